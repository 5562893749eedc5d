//! The number of files pressrun's default theme (and the Hugo theme of the
//! site_build benchmark) publishes for a generated site.

use std::collections::BTreeSet;

use super::content::Entry;

/// Entries per page of the main index, in pressrun's default theme and in
/// `paginate` of the Hugo config.
pub const INDEX_PAGE_SIZE: usize = 10;

/// The number of files each tool should publish for the generated site.
pub struct ExpectedFiles {
    pub entries: usize,
    pub index_pages: usize,
    pub months: usize,
    pub categories: usize,
}

impl ExpectedFiles {
    pub fn of(entries: &[Entry]) -> ExpectedFiles {
        let months: BTreeSet<String> = entries.iter().map(Entry::month).collect();
        let categories: BTreeSet<&str> = entries.iter().flat_map(|entry| entry.categories.iter().copied()).collect();
        ExpectedFiles {
            entries: entries.len(),
            index_pages: entries.len().div_ceil(INDEX_PAGE_SIZE).max(1),
            months: months.len(),
            categories: categories.len(),
        }
    }

    /// Entry pages, index pages, monthly and category archives, and
    /// `archives.html`, `atom.xml` and `styles.css`.
    pub fn pressrun(&self) -> usize {
        self.entries + self.index_pages + self.months + self.categories + 3
    }

    /// Counts the same files plus `page/1/index.html`, which Hugo writes as a
    /// redirect to the first index page.
    pub fn hugo(&self) -> usize {
        self.pressrun() + 1
    }
}
