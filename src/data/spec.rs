//! Parsing of data-source names: `digits`, `cifar10:PATH`, `folder:PATH`
//! and `folder:PATH?resize=N`.

use crate::error::{Error, Result};
use std::path::PathBuf;
use std::str::FromStr;

/// A named data source (DESIGN 3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSpec {
    /// The built-in UCI digits (scikit-learn's copy), 1,797 8×8 images.
    Digits,
    /// A directory with the CIFAR-10 binary batches.
    Cifar10(PathBuf),
    /// One sub-folder of PNG or JPEG images per class; `resize`: every image
    /// resampled to N×N (`folder:PATH?resize=N`), else all must have one size.
    Folder { dir: PathBuf, resize: Option<usize> },
}

impl FromStr for DataSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let path = |rest: &str, kind: &str| {
            if rest.is_empty() {
                Err(Error::invalid(format!(
                    "data spec '{s}': {kind}: needs a path, e.g. {kind}:/data/dir"
                )))
            } else {
                Ok(PathBuf::from(rest))
            }
        };
        if s == "digits" {
            Ok(DataSpec::Digits)
        } else if let Some(rest) = s.strip_prefix("cifar10:") {
            Ok(DataSpec::Cifar10(path(rest, "cifar10")?))
        } else if let Some(rest) = s.strip_prefix("folder:") {
            let (dir, resize) = match rest.rsplit_once("?resize=") {
                Some((dir, n)) => {
                    let n: usize = n.parse().map_err(|_| {
                        Error::invalid(format!(
                            "data spec '{s}': resize={n} is not a whole number (e.g. \
                             folder:{dir}?resize=32)"
                        ))
                    })?;
                    crate::limits::IMAGE_SIZE.check(&format!("data spec '{s}': resize"), n)?;
                    (dir, Some(n))
                }
                None => (rest, None),
            };
            Ok(DataSpec::Folder {
                dir: path(dir, "folder")?,
                resize,
            })
        } else {
            Err(Error::invalid(format!(
                "unknown data spec '{s}': expected 'digits', 'cifar10:PATH', 'folder:PATH' or \
                 'folder:PATH?resize=N'"
            )))
        }
    }
}

impl std::fmt::Display for DataSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataSpec::Digits => f.write_str("digits"),
            DataSpec::Cifar10(p) => write!(f, "cifar10:{}", p.display()),
            DataSpec::Folder { dir, resize } => {
                write!(f, "folder:{}", dir.display())?;
                match resize {
                    Some(n) => write!(f, "?resize={n}"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms_and_prints_them_back() {
        for s in [
            "digits",
            "cifar10:/data/c10",
            "folder:imgs",
            "folder:imgs?resize=32",
        ] {
            assert_eq!(s.parse::<DataSpec>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn unknown_or_empty_specs_are_named_in_the_error() {
        let e = "mnist".parse::<DataSpec>().unwrap_err().to_string();
        assert!(e.contains("'mnist'") && e.contains("cifar10:PATH"), "{e}");
        let e = "cifar10:".parse::<DataSpec>().unwrap_err().to_string();
        assert!(e.contains("needs a path"), "{e}");
        let e = "folder:x?resize=big".parse::<DataSpec>().unwrap_err();
        assert!(e.to_string().contains("resize=big"), "{e}");
        let e = "folder:x?resize=0".parse::<DataSpec>().unwrap_err();
        assert!(e.to_string().contains("resize"), "{e}");
    }
}
