//! Log source parsers: raw records from Microsoft 365, Entra ID, Microsoft Graph, Okta and
//! Salesforce, or native UDM, into [`udm::Event`]s.
//!
//! - [`Format`]: the `--format` names and per-record detection.
//! - [`Normalizer`]: per-run state (the identity map) and the entry points
//!   [`Normalizer::normalize`], [`Normalizer::normalize_each`] and
//!   [`Normalizer::normalize_csv_row`].
//! - [`CsvFile`]: CSV log files (Salesforce EventLogFile) split into rows.
//! - [`Identities`]: aliases of people, loaded from `--identities FILE.csv`.
//! - [`SourceError`]: why one record was rejected.
//!
//! Every parser writes `metadata.product_log_id` from the record's own id when it has one and
//! puts every source field it does not map into `additional.fields`, so nothing is dropped.
#![warn(missing_docs)]

mod bare_udm;
mod build;
mod context;
mod csv_file;
mod entra;
mod entra_download;
mod enums;
mod error;
mod fields;
mod format;
mod graph;
mod identities;
mod ip;
mod log_analytics;
mod m365;
mod m365_ops;
mod normalizer;
mod okta;
mod salesforce;
mod time;
mod udm_input;

pub use bare_udm::is_bare_udm;
#[doc(hidden)]
pub use bare_udm::is_bare_udm_by_serde;
pub use csv_file::{column_name, CsvFile, CsvRow};
pub use error::SourceError;
pub use format::{detect, Format, UnknownFormat};
pub use identities::Identities;
pub use normalizer::{Normalized, Normalizer};
pub use udm_input::{read_bare as read_bare_udm, read_bare_projected as read_bare_udm_projected};
