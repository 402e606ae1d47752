//! Enrichment data for Dragnet rules.
//!
//! - [`lists`]: reference lists (`--lists DIR`) that rules test values against.
#![warn(missing_docs)]

pub mod lists;

pub use lists::{ListError, ListKind, ListLimits, ReferenceList, ReferenceLists};
