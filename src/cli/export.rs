//! `--json` and `--csv` for every command that reports something: one flag
//! pair and one CSV writer, so every command's exports behave alike.
//!
//! Why: scripts should not parse the text reports, which are written for
//! people and may change. The schemas (README, "Export formats") are
//! stable: fields are added, never renamed or removed. JSON is one pretty
//! object on stdout; CSV is a header line, then rows (RFC 4180: a cell
//! holding a comma, quote or line break is quoted, quotes doubled). Progress
//! and notes go to stderr, so stdout holds only the export.

use clap::Args;
use serde_json::Value;

/// The export flags, flattened into each reporting command's arguments.
#[derive(Clone, Copy, Debug, Default, Args)]
pub struct ExportArgs {
    /// Print the report as one JSON object instead of text (schema in
    /// README, "Export formats").
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the report as CSV instead of text: a header, then rows
    /// (columns in README, "Export formats").
    #[arg(long)]
    pub csv: bool,
}

impl ExportArgs {
    /// Whether any export was asked for (then stdout holds only it).
    pub fn any(&self) -> bool {
        self.json || self.csv
    }
}

/// `value` as pretty JSON with a final newline.
pub fn json_text(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("JSON values serialise");
    s.push('\n');
    s
}

/// A JSON number, or `null` for a NaN or an infinity (which JSON lacks).
pub fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// A CSV table: `header`, then each row, each line ending in `\n`.
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, s: &mut String| {
        let cells: Vec<String> = cells.map(cell).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    };
    line(&mut header.iter().copied(), &mut s);
    for row in rows {
        line(&mut row.iter().map(String::as_str), &mut s);
    }
    s
}

/// One CSV cell: quoted, quotes doubled, when it holds `,`, `"`, CR or LF.
pub fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_cells_that_need_it() {
        let t = csv(
            &["a", "b"],
            &[
                vec!["1".into(), "x,y".into()],
                vec!["say \"hi\"".into(), "".into()],
            ],
        );
        assert_eq!(t, "a,b\n1,\"x,y\"\n\"say \"\"hi\"\"\",\n");
    }

    #[test]
    fn non_finite_numbers_are_null() {
        assert_eq!(number(f64::INFINITY), Value::Null);
        assert_eq!(number(f64::NAN), Value::Null);
        assert_eq!(number(0.5), serde_json::json!(0.5));
    }
}
