//! Field paths against the UDM schema: unknown fields, indexes, map keys and `any`/`all`.
//!
//! This is the only module that reads `udm::schema`; the type checks get a [`FieldType`] from
//! [`resolve_field`].

use udm::schema::{self, FieldKind, PathError};

use crate::ast::{FieldRef, FieldSource, PathSegment, Quantifier, Span};
use crate::diagnostic::Diagnostic;

/// The type of the value a field reference reads.
#[derive(Debug, Clone, Copy)]
pub struct FieldType {
    /// The schema kind of the value; a map access (`["k"]`) reads a string.
    pub kind: FieldKind,
    /// Whether the reference still yields several values: it crosses a repeated field that is
    /// not indexed.
    pub repeated: bool,
}

/// Resolves a field reference, or explains why it does not resolve. Returns `Ok(None)` for
/// paths the schema does not describe (detections of composite rules).
pub fn resolve_field(field: &FieldRef) -> Result<Option<FieldType>, Diagnostic> {
    let root = match field.source {
        FieldSource::Udm => schema::event(),
        FieldSource::Graph => schema::entity(),
        // NOTE: the detection message of composite rules has no schema here, so its paths are
        // not checked.
        FieldSource::Detection => return Ok(None),
    };
    let names: Vec<(&str, Span)> = field
        .path
        .iter()
        .filter_map(|s| match s {
            PathSegment::Field(ident) => Some((ident.name.as_str(), ident.span)),
            _ => None,
        })
        .collect();
    let var = &field.var.name;
    if names.is_empty() {
        return Err(Diagnostic::error(
            field.span,
            format!("`${var}` needs a field path here, such as `${var}.metadata.event_type`"),
        ));
    }
    let plain: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
    let resolved = match schema::resolve(root, &plain) {
        Ok(resolved) => resolved,
        Err(error) => return Err(path_error(&error, &names, field)),
    };

    let has_index = field.path.iter().any(|s| matches!(s, PathSegment::Index(..)));
    let has_key = field.path.iter().any(|s| matches!(s, PathSegment::Key(..)));
    if let Some(quantifier) = field.quantifier {
        let word = quantifier_word(quantifier);
        if has_index || has_key {
            return Err(Diagnostic::error(
                field.span,
                format!("`{word}` cannot be combined with an index or a map key"),
            )
            .with_help(format!("remove `{word}`, or remove the index")));
        }
        if resolved.repeated_count == 0 {
            return Err(Diagnostic::error(
                field.span,
                format!(
                    "`{word}` applies only to repeated fields, and `{}` is not repeated",
                    field.dotted()
                ),
            )
            .with_help(format!("remove `{word}`")));
        }
    }

    // Walk the segments to check where indexes and keys sit and which repeated fields remain
    // unindexed.
    let mut unindexed_repeated = false;
    let mut field_index = 0;
    let segments = &field.path;
    for (position, segment) in segments.iter().enumerate() {
        let PathSegment::Field(ident) = segment else { continue };
        field_index += 1;
        let Ok(step) = schema::resolve(root, plain.get(..field_index).unwrap_or(&plain)) else {
            continue;
        };
        let next = segments.get(position + 1);
        let is_label_list =
            step.field.repeated && matches!(step.kind, FieldKind::Message(m) if m.name == "Label");
        match next {
            Some(PathSegment::Index(_, span)) if !step.field.repeated => {
                return Err(Diagnostic::error(
                    *span,
                    format!("`{}` is not repeated and cannot be indexed", ident.name),
                ));
            }
            Some(PathSegment::Key(_, span))
                if !(step.struct_fields
                    || matches!(step.kind, FieldKind::Struct)
                    || is_label_list) =>
            {
                return Err(Diagnostic::error(
                    *span,
                    format!(
                        "`{}` is not a map; `[\"key\"]` works on Struct fields and label lists",
                        ident.name
                    ),
                ));
            }
            Some(PathSegment::Index(..)) | Some(PathSegment::Key(..)) => {}
            _ if step.field.repeated => {
                if has_index {
                    return Err(Diagnostic::error(
                        ident.span,
                        format!("`{}` is repeated and must be indexed too, because the path indexes another repeated field", ident.name),
                    )
                    .with_help(format!("write `{}[0]`, or drop every index", ident.name)));
                }
                unindexed_repeated = true;
            }
            _ => {}
        }
    }
    if matches!(segments.last(), Some(PathSegment::Index(..)) | Some(PathSegment::Key(..)))
        && matches!(
            segments.get(segments.len().saturating_sub(2)),
            Some(PathSegment::Index(..) | PathSegment::Key(..))
        )
    {
        return Err(Diagnostic::error(
            field.span,
            "a path cannot take two indexes or keys in a row",
        ));
    }
    let kind = if matches!(segments.last(), Some(PathSegment::Key(..))) {
        FieldKind::String
    } else {
        resolved.kind
    };
    Ok(Some(FieldType { kind, repeated: unindexed_repeated }))
}

/// The source word of a quantifier.
pub fn quantifier_word(quantifier: Quantifier) -> &'static str {
    match quantifier {
        Quantifier::Any => "any",
        Quantifier::All => "all",
    }
}

fn path_error(error: &PathError, names: &[(&str, Span)], field: &FieldRef) -> Diagnostic {
    let span_at = |index: &usize| names.get(*index).map_or(field.span, |(_, span)| *span);
    let var = &field.var.name;
    match error {
        PathError::UnknownField { index, segment, prefix, message, suggestion } => {
            let place = if prefix.is_empty() {
                format!("`{message}`")
            } else {
                format!("`${var}.{prefix}` ({message})")
            };
            let diagnostic = Diagnostic::error(
                span_at(index),
                format!("unknown UDM field `{segment}` in {place}"),
            );
            match suggestion {
                Some(name) => diagnostic.with_help(format!("did you mean `{name}`?")),
                None => diagnostic,
            }
        }
        PathError::NounInNoun { index, segment, prefix } => Diagnostic::error(
            span_at(index),
            format!("`{segment}` is an event-level noun and cannot appear inside `{prefix}`"),
        )
        .with_help(format!("start the path with `${var}.{segment}`")),
        PathError::NotAMessage { index, segment, prefix, type_name } => Diagnostic::error(
            span_at(index),
            format!("`{prefix}` is a {type_name} and has no field `{segment}`"),
        ),
        PathError::Empty { .. } => Diagnostic::error(field.span, "empty field path"),
    }
}
