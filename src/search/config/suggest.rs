//! "Did you mean": the known config keys an unknown one most likely meant.
//!
//! Why: listing every known key (50-odd, about 830 characters) after a typo
//! buries the one the user wanted; a short list of close keys, and where to
//! see them all (`csnas search --print-config`), is what a person can act on.

/// Up to five known keys close to `key`, closest first: within two edits,
/// Jaro–Winkler similarity ≥ 0.85, or in the same section (`sgd.rate` and
/// `sgd.lr` share `sgd.`).
pub fn close_keys<'a>(key: &str, known: &[&'a str]) -> Vec<&'a str> {
    let section = |k: &str| k.split_once('.').map(|(s, _)| s.to_owned());
    let own = section(key);
    let mut scored: Vec<(f64, &str)> = known
        .iter()
        .filter_map(|&k| {
            let sim = strsim::jaro_winkler(key, k);
            let near = strsim::levenshtein(key, k) <= 2;
            let same = own.is_some() && section(k) == own;
            (sim >= 0.85 || near || same).then_some((sim, k))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(5).map(|(_, k)| k).collect()
}

/// `unknown key 'K'; did you mean 'A' or 'B'? (…every key…)`.
pub fn unknown_key(key: &str, known: &[&str]) -> String {
    let all = "`csnas search --print-config` prints every key with its value";
    let close = close_keys(key, known);
    if close.is_empty() {
        return format!("unknown key '{key}' ({all})");
    }
    let names: Vec<String> = close.iter().map(|k| format!("'{k}'")).collect();
    format!(
        "unknown key '{key}'; did you mean {}? ({all})",
        names.join(" or ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &[
        "epochs",
        "batch_size",
        "sgd.lr",
        "sgd.momentum",
        "sgd.dampening",
        "tpe.gamma",
        "tpe.gamma_cap",
        "augment.hflip",
    ];

    #[test]
    fn a_typo_names_the_key_it_is_close_to_first() {
        assert_eq!(close_keys("epoch", KNOWN)[0], "epochs");
        assert_eq!(close_keys("tpe.gama", KNOWN)[0], "tpe.gamma");
        assert_eq!(close_keys("batchsize", KNOWN), vec!["batch_size"]);
    }

    #[test]
    fn a_key_of_a_known_section_lists_that_section() {
        let close = close_keys("sgd.rate", KNOWN);
        assert!(close.contains(&"sgd.lr"), "{close:?}");
        assert!(close.iter().all(|k| k.starts_with("sgd.")), "{close:?}");
    }

    #[test]
    fn nothing_close_says_where_every_key_is_listed_and_stays_short() {
        let m = unknown_key("bogus", KNOWN);
        assert_eq!(
            m,
            "unknown key 'bogus' (`csnas search --print-config` prints every key with its value)"
        );
        let m = unknown_key("epoch", KNOWN);
        assert!(
            m.starts_with("unknown key 'epoch'; did you mean 'epochs'"),
            "{m}"
        );
    }
}
