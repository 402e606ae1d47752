//! Okta System Log events into UDM.

use serde_json::{Map, Value};
use udm::Event;

use crate::context::Context;
use crate::SourceError;

/// Normalises one Okta System Log event.
pub(crate) fn normalize(
    _obj: &Map<String, Value>,
    _ctx: &mut Context,
) -> Result<Event, SourceError> {
    // TODO: map Okta System Log events.
    Err(SourceError::invalid("the Okta System Log parser is not implemented yet"))
}
