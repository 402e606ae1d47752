//! Enrichment data for Dragnet rules.
//!
//! - [`lists`]: reference lists (`--lists DIR`) that rules test values against.
//! - [`tables`]: data tables (`--data-tables DIR`) that rules test and join as `%table.column`.
//! - [`asn`]: IP-to-ASN lookup (`--asn-db FILE`) and the `ip_geo_artifact` enrichment of UDM
//!   events.
#![warn(missing_docs)]

pub mod asn;
pub mod lists;
pub mod tables;

pub use asn::geo_artifact::{enrich_event, enrich_event_fields, GeoFields};
pub use asn::{AsnDb, AsnError, AsnInfo, Coordinates};
pub use lists::{compile_re2, ListError, ListKind, ListLimits, ReferenceList, ReferenceLists};
pub use tables::{Column, ColumnType, DataTable, DataTables, Number, TableError};
