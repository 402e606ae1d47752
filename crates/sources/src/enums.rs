//! Stores UDM enum fields by value name through the UDM schema.
//!
//! Every parser goes through these two functions so that a wrong value name shows up in one
//! place: tests run with debug assertions, which reject any name the schema does not define.

use udm::Event;

/// Sets the enum field at `path` to the value called `name`.
pub(crate) fn set_enum(event: &mut Event, path: &str, name: &'static str) {
    let stored = event.set_enum(path, name);
    debug_assert!(stored, "{name} is not a value of the enum field {path}");
}

/// Appends the value called `name` to the repeated enum field at `path`.
pub(crate) fn push_enum(event: &mut Event, path: &str, name: &'static str) {
    let stored = event.push_enum(path, name);
    debug_assert!(stored, "{name} is not a value of the enum field {path}");
}
