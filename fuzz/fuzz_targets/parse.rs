//! Fuzz target: lex, parse, check (both dialects), render and format arbitrary rule text.
//!
//! It fails on a panic, on formatter output that does not format to itself, and on the
//! formatter's internal error, which means its output changed the syntax tree or the comments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yaral::{compile, format, render, render_json, CheckOptions, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = SourceFile::new("fuzz.yaral", text);
    for strict in [false, true] {
        let options = CheckOptions { strict, ..CheckOptions::default() };
        let output = compile(&source, &options);
        for diagnostic in output.rejected.iter().flat_map(|r| &r.diagnostics) {
            render(diagnostic, &source);
            render_json(diagnostic, &source);
        }
    }
    match format(&source) {
        Ok(formatted) => {
            let again = format(&SourceFile::new("formatted.yaral", formatted.clone()));
            assert_eq!(again.ok().as_ref(), Some(&formatted), "formatting is not idempotent");
        }
        Err(errors) => {
            let internal =
                errors.iter().find(|e| e.message.starts_with("internal formatter error"));
            assert!(internal.is_none(), "{internal:?}");
        }
    }
});
