//! Source keys that stay unique within one import batch.

use std::collections::HashMap;

/// The source keys handed out so far in one file.
#[derive(Debug, Default)]
pub(crate) struct SourceKeys {
    counts: HashMap<String, usize>,
}

impl SourceKeys {
    /// Returns `key` the first time it is claimed, and `key:2`, `key:3`, …
    /// for later records with the same key. The numbering follows the order
    /// of records in the file, so importing the same file again yields the
    /// same keys.
    pub(crate) fn claim(&mut self, key: String) -> String {
        let count = self.counts.entry(key.clone()).or_insert(0);
        *count += 1;
        if *count == 1 { key } else { format!("{key}:{count}") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_numbers_repeated_keys() {
        let mut keys = SourceKeys::default();
        assert_eq!(keys.claim("mt:abc".into()), "mt:abc");
        assert_eq!(keys.claim("mt:def".into()), "mt:def");
        assert_eq!(keys.claim("mt:abc".into()), "mt:abc:2");
        assert_eq!(keys.claim("mt:abc".into()), "mt:abc:3");
    }
}
