//! The rule pack, list templates and demo data compiled into the binary.

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled files whose path starts with `prefix`, in path order.
pub fn files_under(prefix: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> + '_ {
    FILES.iter().copied().filter(move |(path, _)| path.starts_with(prefix))
}

/// The bundled file at `path`, if any.
pub fn file(path: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, bytes)| *bytes)
}

/// The bundled rule pack.
pub const RULES_DIR: &str = "rules/unc6040/";
/// The bundled list templates.
pub const LISTS_DIR: &str = "lists/unc6040/";
/// The demo logs.
pub const DEMO_LOGS_DIR: &str = "examples/logs/";
/// The demo's filled-in lists, layered over the templates.
pub const DEMO_LISTS_DIR: &str = "examples/lists/";
/// The demo's IP-to-ASN table.
pub const DEMO_ASN_DB: &str = "examples/asn.tsv";
/// The demo's identity table.
pub const DEMO_IDENTITIES: &str = "examples/identities.csv";
/// The demo's change windows.
pub const DEMO_SUPPRESSIONS: &str = "examples/suppressions.toml";
