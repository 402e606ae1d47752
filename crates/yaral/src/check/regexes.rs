//! Regular expressions: every regex literal and every literal pattern argument of the `re.*`
//! functions must be valid RE2, which has no look-around and no back-references.

use regex_syntax::hir::{Hir, HirKind};

use crate::ast::{Expr, ExprKind, Literal, Rule};
use crate::diagnostic::Diagnostic;
use crate::parser::dotted_name;
use crate::re2::expand_literal_quotes;

/// Checks the regexes of the rule.
pub fn check(rule: &Rule, out: &mut Vec<Diagnostic>) {
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    for expr in exprs {
        expr.walk(&mut |e| match &e.kind {
            ExprKind::Regex(pattern) => {
                if let Err(diagnostic) = parse_re2(pattern, e) {
                    out.push(diagnostic);
                }
            }
            ExprKind::Call { name, args, .. } => {
                let name = dotted_name(name).to_ascii_lowercase();
                if !matches!(name.as_str(), "re.regex" | "re.capture" | "re.capture_all" | "re.replace") {
                    return;
                }
                let Some(pattern_arg) = args.get(1) else { return };
                let ExprKind::Literal(Literal::String { value, .. }) = &pattern_arg.unparen().kind else {
                    return;
                };
                match parse_re2(value, pattern_arg) {
                    Err(diagnostic) => out.push(diagnostic),
                    Ok(hir) if name.starts_with("re.capture") => {
                        let groups = capture_groups(&hir);
                        if groups > 1 {
                            out.push(
                                Diagnostic::error(pattern_arg.span, format!("`{name}` takes a pattern with at most one capture group, but this one has {groups}"))
                                    .with_help("make the other groups non-capturing with `(?:...)`"),
                            );
                        }
                    }
                    Ok(_) => {}
                }
            }
            _ => {}
        });
    }
}

/// Parses a pattern with RE2's feature set, explaining the constructs RE2 lacks.
///
/// `\Q...\E` quotes are expanded first, as the engine does before compiling, because
/// `regex-syntax` does not read them.
pub fn parse_re2(pattern: &str, at: &Expr) -> Result<Hir, Diagnostic> {
    let pattern = expand_literal_quotes(pattern);
    let pattern = pattern.as_ref();
    if let Some(construct) = unsupported_construct(pattern) {
        return Err(Diagnostic::error(at.span, format!("invalid regex: {construct} is not supported by RE2"))
            .with_help("RE2 matches in linear time and has no look-around or back-references; rewrite the pattern without them"));
    }
    regex_syntax::ParserBuilder::new().octal(true).build().parse(pattern).map_err(|error| {
        let reason = match &error {
            regex_syntax::Error::Parse(e) => e.kind().to_string(),
            regex_syntax::Error::Translate(e) => e.kind().to_string(),
            other => other.to_string(),
        };
        Diagnostic::error(at.span, format!("invalid regex: {reason}"))
    })
}

/// Finds look-around and back-references, which `regex-syntax` would reject with a less
/// specific message.
fn unsupported_construct(pattern: &str) -> Option<&'static str> {
    let bytes = pattern.as_bytes();
    let mut index = 0;
    let mut in_class = false;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\\' => {
                let next = bytes.get(index + 1).copied().unwrap_or(0);
                // RE2 reads `\0`, `\012` and `\12` as octal escapes, but a lone `\1`..`\9`
                // as a back-reference, which it rejects.
                let octal_follows = bytes.get(index + 2).is_some_and(|b| (b'0'..=b'7').contains(b));
                let octal = (b'1'..=b'7').contains(&next) && octal_follows;
                if !in_class && next.is_ascii_digit() && next != b'0' && !octal {
                    return Some("a back-reference such as `\\1`");
                }
                index += 2;
                continue;
            }
            b'[' => in_class = true,
            b']' => in_class = false,
            b'(' if !in_class => {
                let rest = pattern.get(index + 1..).unwrap_or("");
                if rest.starts_with("?=") || rest.starts_with("?!") {
                    return Some("look-ahead `(?=...)` / `(?!...)`");
                }
                if rest.starts_with("?<=") || rest.starts_with("?<!") {
                    return Some("look-behind `(?<=...)` / `(?<!...)`");
                }
                if rest.starts_with("?P=") || rest.starts_with("?>") {
                    return Some("this group syntax");
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

fn capture_groups(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Capture(capture) => 1 + capture_groups(&capture.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().map(capture_groups).sum()
        }
        HirKind::Repetition(repetition) => capture_groups(&repetition.sub),
        _ => 0,
    }
}
