//! Log source parsers: raw records from Microsoft 365, Entra ID, Microsoft Graph, Okta and
//! Salesforce, or native UDM, into [`udm::Event`]s.
//!
//! - [`Format`]: the `--format` names and per-record detection.
//! - [`Normalizer`]: per-run state (the identity map) and the entry points
//!   [`Normalizer::normalize`] and [`Normalizer::normalize_csv_row`].
//! - [`Identities`]: aliases of people, loaded from `--identities FILE.csv`.
//! - [`SourceError`]: why one record was rejected.
//!
//! Every parser writes `metadata.product_log_id` from the record's own id when it has one and
//! puts every source field it does not map into `additional.fields`, so nothing is dropped.
#![warn(missing_docs)]

mod build;
mod context;
mod entra;
mod enums;
mod error;
mod fields;
mod format;
mod graph;
mod identities;
mod ip;
mod m365;
mod m365_ops;
mod normalizer;
mod okta;
mod salesforce;
mod time;
mod udm_input;

pub use error::SourceError;
pub use format::{detect, Format, UnknownFormat};
pub use identities::Identities;
pub use normalizer::Normalizer;
