//! Peak resident memory of this process, from Linux's `/proc/self/status`.
//!
//! Why: `csnas bench` reports the peak memory of a training step beside
//! PyTorch's, read the same way in both (`VmHWM`, the resident-set high-water
//! mark, in KiB). Before each measured run the mark is reset by writing `5` to
//! `/proc/self/clear_refs` (Linux ≥ 4.0), so each thread count gets its own
//! peak; where that is impossible the bench reports no peak rather than one
//! inflated by earlier runs. On other systems both functions report nothing.

/// A `Vm*` field of `/proc/self/status` in KiB (e.g. `VmHWM`, `VmRSS`).
pub fn read_status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, key)
}

/// Resets the peak-RSS mark (`VmHWM`) to the current RSS; false if it cannot.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Finds `key:   <n> kB` in the text of a `status` file.
fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        let value = rest.trim().strip_suffix("kB")?;
        value.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_parse_in_kib_and_other_keys_do_not_match() {
        let text = "VmPeak:\t  500 kB\nVmHWM:\t   1234 kB\nVmRSS:\t 99 kB\n";
        assert_eq!(parse_status_kib(text, "VmHWM"), Some(1234));
        assert_eq!(parse_status_kib(text, "VmRSS"), Some(99));
        assert_eq!(parse_status_kib(text, "VmHW"), None);
    }
}
