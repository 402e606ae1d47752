//! Property tests: reading a data table never panics, whatever the CSV text, and every row it
//! keeps has one cell per column.

use enrich::{DataTable, ListKind};
use proptest::prelude::*;

/// Text biased toward what CSV and the header's column types give meaning to.
fn table_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        ",",
        "\"",
        "\"\"",
        "\n",
        "\r\n",
        "\r",
        ":",
        ":cidr",
        ":regex",
        ":number",
        ":string",
        ":integer",
        " ",
        "\u{feff}",
        "(",
        "[",
        "\\",
        "192.0.2.0/24",
        "10.0.0.0/33",
        "1e400",
        "-0",
        "é",
    ]);
    let piece = prop_oneof![special.prop_map(str::to_owned), any::<String>()];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn reading_tables_never_panics(text in table_text()) {
        if let Ok((table, _problems)) = DataTable::from_csv("t", &text, "t.csv") {
            let width = table.columns().len();
            for (_, cells) in table.rows() {
                prop_assert_eq!(cells.len(), width);
            }
            for index in 0..width {
                for kind in [ListKind::String, ListKind::Regex, ListKind::Cidr] {
                    let (list, _) = table.column_list(index, kind);
                    let _ = list.contains("192.0.2.1", true);
                    let _ = list.matches_regex("value", false);
                    let _ = list.contains_ip("192.0.2.1");
                }
            }
            prop_assert_eq!(table.column("no such column"), None);
        }
    }
}
