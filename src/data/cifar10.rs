//! CIFAR-10 binary batches (`data_batch_1.bin` … `data_batch_5.bin`,
//! `test_batch.bin`): records of one label byte then 3,072 pixel bytes
//! (1,024 red, 1,024 green, 1,024 blue, each row-major 32×32).

use super::{Dataset, Loaded};
use crate::error::{Error, Result};
use std::path::Path;

const RECORD: usize = 1 + 3 * 32 * 32;

/// Loads the five training batches and the test batch from `dir`.
pub fn load_dir(dir: &Path) -> Result<Loaded> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!(
            "cifar10:{}: not a directory",
            dir.display()
        )));
    }
    let train_files: Vec<_> = (1..=5)
        .map(|i| dir.join(format!("data_batch_{i}.bin")))
        .collect();
    let train = load_files(&train_files, &format!("cifar10:{} (train)", dir.display()))?;
    let test = load_files(
        &[dir.join("test_batch.bin")],
        &format!("cifar10:{} (test)", dir.display()),
    )?;
    Ok(Loaded {
        train,
        test: Some(test),
    })
}

/// Decodes batch files in order; a truncated file or a bad label names the
/// file and the byte offset.
pub fn load_files(files: &[std::path::PathBuf], name: &str) -> Result<Dataset> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| Error::io(f, e))?;
        if bytes.is_empty() || bytes.len() % RECORD != 0 {
            return Err(Error::invalid(format!(
                "{}: truncated or corrupt: {} bytes is not a whole number of {RECORD}-byte records (last record starts at offset {})",
                f.display(),
                bytes.len(),
                bytes.len() / RECORD * RECORD
            )));
        }
        for (r, rec) in bytes.chunks_exact(RECORD).enumerate() {
            if rec[0] > 9 {
                return Err(Error::invalid(format!(
                    "{}: record {r} (offset {}): label {} is not in 0..=9",
                    f.display(),
                    r * RECORD,
                    rec[0]
                )));
            }
            labels.push(rec[0] as u16);
            pixels.extend_from_slice(&rec[1..]);
        }
    }
    Ok(Dataset {
        name: name.into(),
        channels: 3,
        height: 32,
        width: 32,
        max_value: 255,
        pixels,
        labels,
        classes: 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_batch(path: &Path, records: &[(u8, u8)]) {
        let mut b = Vec::new();
        for &(label, fill) in records {
            b.push(label);
            b.extend(std::iter::repeat_n(fill, RECORD - 1));
        }
        std::fs::write(path, b).unwrap();
    }

    #[test]
    fn reads_records_in_file_order() {
        let dir = std::env::temp_dir().join(format!("csnas-c10-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("b.bin");
        write_batch(&f, &[(3, 7), (9, 200)]);
        let d = load_files(&[f], "t").unwrap();
        assert_eq!(d.labels, vec![3, 9]);
        assert_eq!(d.image(1)[0], 200);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn truncated_file_and_bad_label_are_named() {
        let dir = std::env::temp_dir().join(format!("csnas-c10t-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("data_batch_1.bin");
        std::fs::write(&f, vec![0u8; RECORD + 10]).unwrap();
        let e = load_files(std::slice::from_ref(&f), "t")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("data_batch_1.bin") && e.contains("offset 3073"),
            "{e}"
        );
        write_batch(&f, &[(1, 0), (12, 0)]);
        let e = load_files(&[f], "t").unwrap_err().to_string();
        assert!(
            e.contains("record 1 (offset 3073)") && e.contains("label 12"),
            "{e}"
        );
        let e = load_dir(&dir.join("missing")).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
