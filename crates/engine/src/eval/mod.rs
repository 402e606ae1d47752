//! Evaluation of lowered expressions.
//!
//! - [`ops`]: comparison, arithmetic and canonical keys of values.
//! - [`fields`]: reading event fields and expanding repeated fields into copies.
//! - [`expr`]: the expression evaluator and its environment.
//! - [`aggregate`]: outcome aggregates over a detection's rows.
//! - [`event_types`]: numbers of `metadata.event_type` names.

pub(crate) mod aggregate;
pub(crate) mod event_types;
pub(crate) mod expr;
pub(crate) mod fields;
pub(crate) mod ops;
