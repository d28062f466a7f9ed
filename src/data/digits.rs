//! The built-in `digits` set: scikit-learn's copy of the UCI handwritten
//! digits, compiled into the binary from `fixtures/digits/digits.csv.gz`
//! (provenance in `fixtures/README.md`), so `csnas search` needs no download.

use super::Dataset;
use crate::error::{Error, Result};
use std::io::Read;

const DIGITS_GZ: &[u8] = include_bytes!("../../fixtures/digits/digits.csv.gz");
const FIXTURE: &str = "fixtures/digits/digits.csv.gz";

/// Decodes the embedded fixture: 1,797 rows of 64 pixels (0..16) and a label.
pub fn load_builtin() -> Result<Dataset> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_GZ)
        .read_to_string(&mut text)
        .map_err(|e| Error::invalid(format!("{FIXTURE}: cannot decompress: {e}")))?;
    parse_csv(&text, FIXTURE)
}

/// Parses the digits CSV; errors name the source, the line and the field.
pub fn parse_csv(text: &str, source: &str) -> Result<Dataset> {
    let mut pixels = Vec::with_capacity(1797 * 64);
    let mut labels = Vec::with_capacity(1797);
    for (line_no, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 65 {
            return Err(Error::invalid(format!(
                "{source}: line {}: expected 65 fields (64 pixels and a label), found {}",
                line_no + 1,
                fields.len()
            )));
        }
        for (col, f) in fields.iter().enumerate() {
            let v: u8 = f.trim().parse().ok().filter(|&v| v <= 16).ok_or_else(|| {
                Error::invalid(format!(
                    "{source}: line {}, field {}: '{f}' is not an integer in 0..=16",
                    line_no + 1,
                    col + 1
                ))
            })?;
            if col < 64 {
                pixels.push(v);
            } else if v > 9 {
                return Err(Error::invalid(format!(
                    "{source}: line {}: label {v} is not a digit",
                    line_no + 1
                )));
            } else {
                labels.push(v as u16);
            }
        }
    }
    Ok(Dataset {
        name: "digits".into(),
        channels: 1,
        height: 8,
        width: 8,
        max_value: 16,
        pixels,
        labels,
        classes: 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_digits_has_1797_labelled_8x8_images() {
        let d = load_builtin().unwrap();
        assert_eq!(d.len(), 1797);
        assert_eq!(d.pixels.len(), 1797 * 64);
        // The first row of the CSV (zcat fixtures/digits/digits.csv.gz | head -1)
        // starts 0,0,5,13,9,1,0,0 and is labelled 0.
        assert_eq!(&d.image(0)[..8], &[0, 0, 5, 13, 9, 1, 0, 0]);
        assert_eq!(d.labels[0], 0);
        // Every class is present: the UCI test set has 174 to 183 per digit.
        for c in 0..10 {
            let n = d.labels.iter().filter(|&&l| l == c).count();
            assert!((170..=185).contains(&n), "class {c}: {n}");
        }
    }

    #[test]
    fn digest_is_stable_and_sensitive_to_one_pixel() {
        let d = load_builtin().unwrap();
        assert_eq!(d.digest(), load_builtin().unwrap().digest());
        let mut e = d.clone();
        e.pixels[1000] ^= 1;
        assert_ne!(d.digest(), e.digest());
    }

    #[test]
    fn malformed_rows_name_the_line_and_field() {
        let e = parse_csv("0,1,2\n", "x.csv").unwrap_err().to_string();
        assert!(
            e.contains("x.csv: line 1") && e.contains("65 fields"),
            "{e}"
        );
        let row = format!("{}17", "0,".repeat(64));
        let e = parse_csv(&row, "x.csv").unwrap_err().to_string();
        assert!(e.contains("field 65"), "{e}");
    }
}
