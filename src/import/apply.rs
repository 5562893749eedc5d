//! Storing an [`ImportBatch`]: authors, categories, entries, comments and
//! asset records, then queueing every file the import affects, all in the
//! caller's transaction.
//!
//! Records are matched by their source key, so importing the same file
//! again updates what the first import created instead of duplicating it.

use std::collections::{HashMap, HashSet};

use tracing::debug;

use super::source::{ImportBatch, ImportedAsset, ImportedDate, ImportedEntry, Position, Skipped};
use crate::basename;
use crate::change::{self, ChangeSet, keys};
use crate::model::{Author, AuthorId, Category, CategoryId, Comment, Entry, EntryId, EntryKind, Timestamp};
use crate::site_root::RelPath;
use crate::snapshot::{SiteSettings, Snapshot};
use crate::store::{Asset, StoreError, Tx};

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub entries_created: usize,
    pub entries_updated: usize,
    pub pages_created: usize,
    pub pages_updated: usize,
    /// Comments added (ones the entries already had are not counted).
    pub comments: usize,
    pub categories_created: usize,
    pub authors_created: usize,
    pub assets_created: usize,
    /// Asset records whose bytes must still be attached with `pressrun upload`.
    pub assets_without_file: usize,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<Skipped>,
    /// Basenames changed to stay unique: (as given, as stored).
    pub renamed: Vec<(String, String)>,
    /// Files queued for publishing.
    pub queued: usize,
}

/// Stores `batch` and queues what it affects.
pub fn apply(
    tx: &mut dyn Tx,
    batch: ImportBatch,
    settings: &SiteSettings,
    now: Timestamp,
) -> Result<ImportReport, StoreError> {
    let mut report =
        ImportReport { skipped: batch.skipped.clone(), warnings: batch.warnings.clone(), ..ImportReport::default() };
    let mut importer =
        Importer { tx, settings, now, authors: HashMap::new(), categories: HashMap::new(), commented: Vec::new() };

    for author in &batch.authors {
        importer.author(&author.name, &author.display_name, &author.email, &mut report)?;
    }
    for category in &batch.categories {
        let basename = category.basename.as_deref();
        importer.category(&category.path, basename, &category.description, &mut report)?;
    }

    let mut changes: Vec<(Option<Entry>, Entry)> = Vec::new();
    let mut basenames_by_key: HashMap<String, String> = HashMap::new();
    for imported in order_parents_first(&batch.entries) {
        if imported.no_entry {
            match importer.comments_only(imported, &mut report) {
                Ok(()) => {}
                Err(ImportItemError::Skip(reason)) => {
                    report.skipped.push(Skipped { position: imported.position, reason })
                }
                Err(ImportItemError::Store(error)) => return Err(error),
            }
            continue;
        }
        match importer.entry(imported, &basenames_by_key, &mut report) {
            Ok((before, after)) => {
                basenames_by_key.insert(imported.source_key.clone(), after.basename.clone());
                changes.push((before, after));
            }
            Err(ImportItemError::Skip(reason)) => report.skipped.push(Skipped { position: imported.position, reason }),
            Err(ImportItemError::Store(error)) => return Err(error),
        }
    }
    for asset in batch.assets.iter().chain(&referenced_images(&batch.entries)) {
        importer.asset(asset, &mut report)?;
    }

    let snapshot = Snapshot::load(importer.tx, settings.clone())?;
    let mut change_set = ChangeSet::default();
    for (before, after) in &changes {
        change_set.entry_changed(before.as_ref(), Some(after), &snapshot);
    }
    for entry_id in &importer.commented {
        change_set.touch_whole(keys::entry_comments(*entry_id));
    }
    let queued = change::commit_with(importer.tx, &snapshot, &change_set, now)?;
    report.queued = queued.files.len();
    Ok(report)
}

enum ImportItemError {
    Skip(String),
    Store(StoreError),
}

impl From<StoreError> for ImportItemError {
    fn from(error: StoreError) -> Self {
        ImportItemError::Store(error)
    }
}

struct Importer<'a> {
    tx: &'a mut dyn Tx,
    settings: &'a SiteSettings,
    now: Timestamp,
    authors: HashMap<String, AuthorId>,
    categories: HashMap<Vec<String>, CategoryId>,
    /// Entries that gained comments.
    commented: Vec<EntryId>,
}

impl Importer<'_> {
    fn author(
        &mut self,
        name: &str,
        display_name: &str,
        email: &str,
        report: &mut ImportReport,
    ) -> Result<AuthorId, StoreError> {
        let name = name.trim();
        if let Some(id) = self.authors.get(name) {
            return Ok(*id);
        }
        let id = match self.tx.author_by_name(name)? {
            Some(author) => author.id,
            None => {
                let taken: Vec<String> = self.tx.authors()?.into_iter().map(|a| a.basename).collect();
                let basename = basename::unique(&basename::from_title(name), |b| taken.iter().any(|t| t == b));
                let author = Author {
                    id: 0,
                    name: name.to_string(),
                    display_name: display_name.trim().to_string(),
                    email: email.trim().to_string(),
                    basename,
                };
                report.authors_created += 1;
                self.tx.insert_author(&author)?
            }
        };
        self.authors.insert(name.to_string(), id);
        Ok(id)
    }

    /// Finds or creates the category at `path` (labels from the top down),
    /// creating missing parents on the way.
    fn category(
        &mut self,
        path: &[String],
        source_basename: Option<&str>,
        description: &str,
        report: &mut ImportReport,
    ) -> Result<Option<CategoryId>, StoreError> {
        let labels: Vec<String> = path.iter().map(|label| label.trim().to_string()).filter(|l| !l.is_empty()).collect();
        if labels.is_empty() {
            return Ok(None);
        }
        if let Some(id) = self.categories.get(&labels) {
            return Ok(Some(*id));
        }
        let parent = match labels.len() {
            1 => None,
            n => self.category(&labels[..n - 1], None, "", report)?,
        };
        let label = labels.last().expect("labels are not empty");
        let existing = self.tx.categories()?;
        let id = match existing.iter().find(|c| c.parent_id == parent && c.label == *label) {
            Some(found) => found.id,
            None => {
                let wanted = source_basename
                    .and_then(|raw| basename::normalize(raw).ok())
                    .filter(|b| !b.contains('/'))
                    .unwrap_or_else(|| basename::from_title(label));
                let siblings: Vec<&str> =
                    existing.iter().filter(|c| c.parent_id == parent).map(|c| c.basename.as_str()).collect();
                let basename = basename::unique(&wanted, |b| siblings.contains(&b));
                let category = Category {
                    id: 0,
                    label: label.clone(),
                    basename,
                    parent_id: parent,
                    description: description.trim().to_string(),
                };
                report.categories_created += 1;
                self.tx.insert_category(&category)?
            }
        };
        self.categories.insert(labels, id);
        Ok(Some(id))
    }

    fn timestamp(&self, date: Option<ImportedDate>) -> Timestamp {
        match date {
            Some(ImportedDate::Local(local)) => self.settings.time_zone.to_timestamp(local),
            Some(ImportedDate::Utc(utc)) => utc.timestamp(),
            None => self.now,
        }
    }

    /// Creates or updates one entry; returns it before (if it existed) and after.
    fn entry(
        &mut self,
        imported: &ImportedEntry,
        parents: &HashMap<String, String>,
        report: &mut ImportReport,
    ) -> Result<(Option<Entry>, Entry), ImportItemError> {
        let before = self.tx.entry_by_source_key(&imported.source_key)?;
        let author_id = match imported.author.as_deref().filter(|a| !a.trim().is_empty()) {
            Some(name) => Some(self.author(name, "", "", report)?),
            None => None,
        };
        let mut category_ids = Vec::new();
        for path in &imported.categories {
            if let Some(id) = self.category(path, None, "", report)? {
                if !category_ids.contains(&id) {
                    category_ids.push(id);
                }
            }
        }
        let basename = match &before {
            Some(existing) => existing.basename.clone(),
            None => self.new_basename(imported, parents, report)?,
        };

        let mut entry = Entry {
            id: before.as_ref().map_or(0, |e| e.id),
            kind: imported.kind,
            title: imported.title.trim().to_string(),
            basename,
            status: imported.status,
            authored_on: self.timestamp(imported.date),
            modified_on: self.now,
            author_id,
            body: imported.body.clone(),
            extended: imported.extended.clone(),
            excerpt: imported.excerpt.clone(),
            keywords: imported.keywords.clone(),
            text_filter: imported.text_filter,
            allow_comments: imported.allow_comments,
            category_ids,
            tags: dedup(&imported.tags),
        };
        // Exports carry no modification date, so a new entry counts as last
        // changed when it was written. Feeds would otherwise show every old
        // entry as just updated.
        entry.modified_on = entry.authored_on;
        if let Some(existing) = &before {
            entry.modified_on = if same_content(existing, &entry) { existing.modified_on } else { self.now };
            self.tx.update_entry(&entry)?;
        } else {
            entry.id = self.tx.insert_entry(&entry, Some(&imported.source_key))?;
        }
        report.comments += self.merge_comments(entry.id, imported)?;
        count_entry(report, imported.kind, before.is_some());
        debug!(id = entry.id, basename = entry.basename, "imported");
        Ok((before, entry))
    }

    /// A unique basename for a new entry: the source's, normalized, or one
    /// made from the title. Pages nest under their parent page's basename.
    fn new_basename(
        &mut self,
        imported: &ImportedEntry,
        parents: &HashMap<String, String>,
        report: &mut ImportReport,
    ) -> Result<String, ImportItemError> {
        let raw = imported.basename.as_deref().map(str::trim).filter(|b| !b.is_empty());
        let mut wanted = match raw {
            Some(raw) => basename::normalize(raw).map_err(|error| ImportItemError::Skip(error.to_string()))?,
            None => basename::from_title(&imported.title),
        };
        let normalized_differs = raw.is_some_and(|raw| raw != wanted);
        if let Some(parent) = imported.parent_key.as_ref().and_then(|key| parents.get(key)) {
            wanted = format!("{parent}/{wanted}");
        }
        let kind = imported.kind;
        let mut in_use = Vec::new();
        let unique = basename::unique(&wanted, |candidate| {
            let taken = self.tx.basename_in_use(kind, candidate, None);
            if let Err(error) = &taken {
                in_use.push(error.to_string());
            }
            taken.unwrap_or(true)
        });
        if let Some(error) = in_use.pop() {
            return Err(ImportItemError::Skip(format!("cannot check basename {wanted:?}: {error}")));
        }
        if unique != wanted || normalized_differs {
            report.renamed.push((raw.unwrap_or(&wanted).to_string(), unique.clone()));
        }
        Ok(unique)
    }

    /// Adds the imported comments that the entry does not have yet, and
    /// returns how many. Comments are never removed by an import, since
    /// two export files may each hold part of an entry's comments.
    fn merge_comments(&mut self, entry_id: EntryId, imported: &ImportedEntry) -> Result<usize, StoreError> {
        let mut comments = self.tx.comments(Some(entry_id))?;
        let identity = |c: &Comment| (c.kind, c.author.clone(), c.created_on, c.body.clone());
        let mut known: HashSet<_> = comments.iter().map(identity).collect();
        let mut added = 0;
        for source in &imported.comments {
            let comment = Comment {
                id: 0,
                entry_id,
                kind: source.kind,
                author: source.author.trim().to_string(),
                email: source.email.trim().to_string(),
                url: source.url.trim().to_string(),
                ip: source.ip.trim().to_string(),
                body: source.body.clone(),
                created_on: self.timestamp(source.date),
                approved: source.approved,
            };
            if known.insert(identity(&comment)) {
                comments.push(comment);
                added += 1;
            }
        }
        if added > 0 {
            self.tx.replace_comments(entry_id, &comments)?;
            self.commented.push(entry_id);
        }
        Ok(added)
    }

    /// Adds the comments of an MT record marked `NO ENTRY` to the existing
    /// entry with the same date, as Movable Type's importer does.
    fn comments_only(&mut self, imported: &ImportedEntry, report: &mut ImportReport) -> Result<(), ImportItemError> {
        let date = self.timestamp(imported.date);
        let existing = self.tx.entries(crate::store::EntryFilter::default())?;
        let Some(entry) = existing.iter().find(|entry| entry.authored_on == date) else {
            return Err(ImportItemError::Skip(
                "NO ENTRY record matches no existing entry by date; its comments are skipped".to_string(),
            ));
        };
        report.comments += self.merge_comments(entry.id, imported)?;
        Ok(())
    }

    /// Records an asset known only by URL. Its path under the site root is
    /// the URL's path, so links in imported content keep working once the
    /// file is attached.
    fn asset(&mut self, imported: &ImportedAsset, report: &mut ImportReport) -> Result<(), StoreError> {
        if self.tx.asset_by_source_key(&imported.source_key)?.is_some() {
            return Ok(());
        }
        let Some(path) = asset_path(&imported.url) else {
            report.skipped.push(Skipped {
                position: imported.position,
                reason: format!("attachment URL {:?} has no usable file path", imported.url),
            });
            return Ok(());
        };
        let entry_id = match &imported.parent_key {
            Some(key) => self.tx.entry_by_source_key(key)?.map(|entry| entry.id),
            None => None,
        };
        if let Some(mut existing) = self.tx.asset_by_path(&path)? {
            if existing.entry_id.is_none() && entry_id.is_some() {
                existing.entry_id = entry_id;
                self.tx.update_asset(&existing)?;
            }
            return Ok(());
        }
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        let asset = Asset {
            id: 0,
            name,
            path,
            mime: "application/octet-stream".to_string(),
            size: 0,
            width: None,
            height: None,
            hash: None,
            source_url: Some(imported.url.clone()),
            entry_id,
            created_on: self.now,
        };
        self.tx.insert_asset(&asset, Some(&imported.source_key))?;
        report.assets_created += 1;
        report.assets_without_file += 1;
        Ok(())
    }
}

/// The site path for an attachment URL: its path, percent-decoded once,
/// if that is a valid relative path.
fn asset_path(url: &str) -> Option<String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map(|(_, path)| path)?;
    let path = path.split(['?', '#']).next()?;
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?.into_owned();
    RelPath::new(decoded.trim_matches('/')).ok().map(|rel| rel.to_string())
}

/// Images that Movable Type entries show (`<img src>` in the body or
/// extended body), as asset records of those entries. WXR files list
/// their images as attachments instead.
fn referenced_images(entries: &[ImportedEntry]) -> Vec<ImportedAsset> {
    let mut assets = Vec::new();
    for entry in entries.iter().filter(|entry| entry.source_key.starts_with("mt:")) {
        for html in [&entry.body, &entry.extended] {
            for url in image_sources(html) {
                assets.push(ImportedAsset {
                    position: entry.position,
                    source_key: format!("img:{url}"),
                    title: String::new(),
                    parent_key: Some(entry.source_key.clone()),
                    url,
                });
            }
        }
    }
    assets
}

/// The `src` values of the `<img>` tags in `html`.
fn image_sources(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut sources = Vec::new();
    let mut rest = 0;
    while let Some(start) = lower[rest..].find("<img") {
        let tag_start = rest + start;
        let tag_end = lower[tag_start..].find('>').map_or(lower.len(), |end| tag_start + end);
        let tag = &html[tag_start..tag_end];
        if let Some(at) = tag.to_ascii_lowercase().find("src=") {
            let value = &tag[at + 4..];
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'');
            let source = match quote {
                Some(q) => value[1..].split(q).next().unwrap_or(""),
                None => value.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or(""),
            };
            if !source.is_empty() && !source.starts_with("data:") {
                sources.push(source.to_string());
            }
        }
        rest = tag_end;
    }
    sources
}

fn same_content(a: &Entry, b: &Entry) -> bool {
    Entry { modified_on: 0, ..a.clone() } == Entry { modified_on: 0, ..b.clone() }
}

fn count_entry(report: &mut ImportReport, kind: EntryKind, updated: bool) {
    match (kind, updated) {
        (EntryKind::Entry, false) => report.entries_created += 1,
        (EntryKind::Entry, true) => report.entries_updated += 1,
        (EntryKind::Page, false) => report.pages_created += 1,
        (EntryKind::Page, true) => report.pages_updated += 1,
    }
}

fn dedup(tags: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !seen.iter().any(|s: &String| s == tag) {
            seen.push(tag.to_string());
        }
    }
    seen
}

/// Entries in an order where every page comes after its parent page, so
/// that children can nest under the parent's basename.
fn order_parents_first(entries: &[ImportedEntry]) -> Vec<&ImportedEntry> {
    let keys: HashMap<&str, &ImportedEntry> = entries.iter().map(|e| (e.source_key.as_str(), e)).collect();
    let depth = |entry: &ImportedEntry| {
        let mut depth = 0;
        let mut current = entry;
        while let Some(parent) = current.parent_key.as_deref().and_then(|key| keys.get(key)) {
            depth += 1;
            current = parent;
            if depth > 32 {
                break;
            }
        }
        depth
    };
    let mut ordered: Vec<(usize, Position, &ImportedEntry)> =
        entries.iter().map(|e| (depth(e), e.position, e)).collect();
    ordered.sort_by_key(|(depth, position, _)| (*depth, position.record));
    ordered.into_iter().map(|(_, _, entry)| entry).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_sources_are_found() {
        let html =
            r#"<p><IMG alt="x" src="http://a.test/i/one.jpg"> text <img src='/two.png' /><img src=three.gif></p>"#;
        assert_eq!(image_sources(html), vec!["http://a.test/i/one.jpg", "/two.png", "three.gif"]);
    }

    #[test]
    fn asset_paths_come_from_urls() {
        assert_eq!(
            asset_path("http://example.com/wp-content/uploads/2011/01/a%20b.jpg?x=1").as_deref(),
            Some("wp-content/uploads/2011/01/a b.jpg")
        );
        assert_eq!(asset_path("http://example.com/"), None);
        assert_eq!(asset_path("http://example.com/../etc/passwd"), None);
    }
}
