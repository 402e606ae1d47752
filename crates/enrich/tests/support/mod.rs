//! Helpers shared by the integration tests.

pub mod mmdb_writer;
