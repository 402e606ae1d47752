//! What rules read besides events: reference lists, data tables, the IP-to-ASN database and
//! entity context.

use std::sync::Arc;

use crate::entities::Entities;

/// The enrichment data that rules are compiled against.
#[derive(Clone, Default)]
pub struct Context {
    /// Reference lists that `in %list` tests resolve against, by case-insensitive name.
    pub lists: Arc<enrich::ReferenceLists>,
    /// The database behind `ip_to_asn()`; without one, `ip_to_asn()` returns `""`.
    pub asn: Option<Arc<enrich::AsnDb>>,
    /// The entity records that `$e.graph.` fields read; see [`Entities`].
    pub entities: Arc<Entities>,
    /// The data tables that `%table.column` reads.
    pub tables: Arc<enrich::DataTables>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("lists", &self.lists.len())
            .field("asn", &self.asn.is_some())
            .field("entities", &self.entities.len())
            .field("tables", &self.tables.len())
            .finish()
    }
}
