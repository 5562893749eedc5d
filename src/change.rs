//! Changes: turning an edit of the content into exactly the publish jobs it
//! needs.
//!
//! A change states what it touched: an entry's metadata or content, its
//! position in each list it belongs to (all entries, a month, a category), a
//! template, or the whole site. Every rendered file recorded what it read
//! (see `render::deps`), so the files to queue are the ones whose recorded
//! dependencies overlap what the change touched, plus whatever planning
//! finds new, moved or retired.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::archive::Period;
use crate::model::{ArchiveType, Entry, EntryId, EntryKind, FileInfoId, PublishType, Status, TemplateId, Timestamp};
use crate::plan::{self, PathClash};
use crate::snapshot::{SiteSettings, Snapshot, sort_key};
use crate::store::{FileInfo, FileState, StoreError, Tx};
use crate::time::SiteTimeZone;

/// One thing a change touched.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Touch {
    /// Every dependency on the key.
    Whole(String),
    /// Dependencies on the key whose range contains the position.
    At(String, String),
    /// Dependencies on the key whose range overlaps the span from the first
    /// position to the second (`None` is unbounded). Used for ranks: an
    /// entry that moves from one position to another shifts every entry in
    /// between by one place.
    Span(String, Option<String>, Option<String>),
}

/// Dependency keys, shared by the renderer (which records them) and changes
/// (which touch them).
pub mod keys {
    use crate::model::{ArchiveType, CategoryId, EntryId};

    /// An entry's title, basename and URL.
    pub fn entry(id: EntryId) -> String {
        format!("entry:{id}")
    }

    /// One more field of an entry: `date`, `modified`, `categories`,
    /// `tags` or `author`.
    pub fn entry_field(id: EntryId, field: &str) -> String {
        format!("entry:{id}:{field}")
    }

    /// An entry's body, extended body, excerpt and keywords.
    pub fn entry_content(id: EntryId) -> String {
        format!("entry:{id}:content")
    }

    pub fn entry_comments(id: EntryId) -> String {
        format!("entry:{id}:comments")
    }

    /// All published entries in date order; a dependency on it covers the
    /// entries whose positions it names.
    pub const ALL_ENTRIES: &str = "list:all";
    /// The rank of each published entry in date order; a dependency on it
    /// covers the places it names (a page of a paginated index).
    pub const ENTRY_RANKS: &str = "rank:all";
    /// The list of published pages.
    pub const PAGES: &str = "pages";
    /// Labels, basenames and parents of all categories.
    pub const CATEGORIES: &str = "categories";
    /// Site name, URL and time zone.
    pub const SITE: &str = "site";

    pub fn period_list(archive_type: ArchiveType, label: &str) -> String {
        format!("list:{archive_type}:{label}")
    }

    /// Which periods of an archive type have entries.
    pub fn periods(archive_type: ArchiveType) -> String {
        format!("periods:{archive_type}")
    }

    pub fn category_list(id: CategoryId) -> String {
        format!("list:category:{id}")
    }

    pub fn category(id: CategoryId) -> String {
        format!("category:{id}")
    }

    /// The number of entries in a list (not their order).
    pub fn count(list: &str) -> String {
        format!("count:{list}")
    }

    /// Whether a category has any published entry.
    pub fn category_has_entries(id: CategoryId) -> String {
        format!("category:{id}:has-entries")
    }

    pub fn author_list(id: i64) -> String {
        format!("list:author:{id}")
    }

    /// An asset, read directly or through one of its thumbnails. The text
    /// equals the asset's file owner key, so a page's dependency also names
    /// the file it links to.
    pub fn asset(id: i64) -> String {
        format!("asset:{id}")
    }

    /// The list of assets attached to an entry.
    pub fn entry_assets(id: EntryId) -> String {
        format!("entry:{id}:assets")
    }
}

/// The things a change touched.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet {
    pub touches: BTreeSet<Touch>,
    /// Templates whose source or settings changed.
    pub templates: BTreeSet<TemplateId>,
    /// Queue every file (a site setting changed, or `publish --all`).
    pub everything: bool,
    /// Include templates whose publish type is manual (an explicit publish).
    pub include_manual: bool,
}

/// A file that a change queued.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueuedFile {
    pub path: String,
    pub file_info_id: FileInfoId,
    /// True when the file is to be removed.
    pub removal: bool,
    /// The file's current path, when it is moving to `path`.
    pub moved_from: Option<String>,
}

/// The result of [`commit`].
#[derive(Debug, Default)]
pub struct Queued {
    pub files: Vec<QueuedFile>,
    pub clashes: Vec<PathClash>,
}

const DATE_TYPES: [ArchiveType; 4] =
    [ArchiveType::Daily, ArchiveType::Weekly, ArchiveType::Monthly, ArchiveType::Yearly];

/// The lists a published entry belongs to, with its position in each.
fn memberships(entry: &Entry, time_zone: SiteTimeZone) -> HashMap<String, String> {
    let mut lists = HashMap::new();
    if entry.status != Status::Published || entry.kind != EntryKind::Entry {
        return lists;
    }
    let position = sort_key(entry.authored_on, entry.id);
    let local = time_zone.local(entry.authored_on);
    lists.insert(keys::ALL_ENTRIES.to_string(), position.clone());
    for archive_type in DATE_TYPES {
        if let Some(period) = Period::containing(archive_type, local) {
            lists.insert(keys::period_list(archive_type, &period.label()), position.clone());
        }
    }
    for category_id in &entry.category_ids {
        lists.insert(keys::category_list(*category_id), position.clone());
    }
    if let Some(author_id) = entry.author_id {
        lists.insert(keys::author_list(author_id), position.clone());
    }
    lists
}

/// The ranks an entry's move shifts: every place between its old and new
/// position, or, when it only arrives or leaves, every place older than it.
fn rank_span(before: Option<&String>, after: Option<&String>) -> Touch {
    let key = keys::ENTRY_RANKS.to_string();
    match (before, after) {
        (Some(a), Some(b)) => Touch::Span(key, Some(a.min(b).clone()), Some(a.max(b).clone())),
        (Some(p), None) | (None, Some(p)) => Touch::Span(key, None, Some(p.clone())),
        (None, None) => Touch::Span(key, None, None),
    }
}

fn published(entry: Option<&Entry>) -> Option<&Entry> {
    entry.filter(|entry| entry.status == Status::Published)
}

/// The metadata keys of an entry that differ between `a` and `b`. The
/// entry's own key (title, basename, URL) is touched when its permalink
/// path changes too, since the URL depends on the date or category when the
/// path pattern uses them.
fn changed_meta_keys(a: &Entry, b: &Entry, snapshot: &Snapshot) -> Vec<String> {
    let id = b.id;
    let mut changed = Vec::new();
    let path = |entry: &Entry| {
        let archive_type = if entry.kind == EntryKind::Page { ArchiveType::Page } else { ArchiveType::Individual };
        let map = snapshot.preferred_map(archive_type)?;
        snapshot.entry_path(map, entry, snapshot.settings.time_zone.local(entry.authored_on)).ok()
    };
    if a.title != b.title || a.basename != b.basename || a.kind != b.kind || path(a) != path(b) {
        changed.push(keys::entry(id));
    }
    if a.authored_on != b.authored_on {
        changed.push(keys::entry_field(id, "date"));
    }
    if a.modified_on != b.modified_on {
        changed.push(keys::entry_field(id, "modified"));
    }
    if a.category_ids != b.category_ids {
        changed.push(keys::entry_field(id, "categories"));
    }
    if a.tags != b.tags {
        changed.push(keys::entry_field(id, "tags"));
    }
    if a.author_id != b.author_id {
        changed.push(keys::entry_field(id, "author"));
    }
    if a.allow_comments != b.allow_comments {
        changed.push(keys::entry_comments(id));
    }
    changed
}

/// Every metadata key of an entry, for one that appears or disappears.
fn all_meta_keys(id: EntryId) -> Vec<String> {
    let mut all = vec![keys::entry(id), keys::entry_comments(id)];
    all.extend(["date", "modified", "categories", "tags", "author"].map(|field| keys::entry_field(id, field)));
    all
}

fn content_differs(a: &Entry, b: &Entry) -> bool {
    a.body != b.body
        || a.extended != b.extended
        || a.excerpt != b.excerpt
        || a.keywords != b.keywords
        || a.text_filter != b.text_filter
}

impl ChangeSet {
    /// Records an entry or page going from `before` to `after` (`None` for
    /// one that did not exist or was deleted). `snapshot` is the site after
    /// the change, used to find whether an archive period appeared or
    /// vanished.
    pub fn entry_changed(&mut self, before: Option<&Entry>, after: Option<&Entry>, snapshot: &Snapshot) {
        let (was, is) = (published(before), published(after));
        let id = match was.or(is) {
            Some(entry) => entry.id,
            // A draft that stays a draft changes no public file.
            None => return,
        };

        let (meta, content) = match (was, is) {
            (Some(a), Some(b)) => (changed_meta_keys(a, b, snapshot), content_differs(a, b)),
            _ => (all_meta_keys(id), true),
        };
        let is_page = was.or(is).is_some_and(|entry| entry.kind == EntryKind::Page);
        if is_page && meta.contains(&keys::entry(id)) {
            self.touches.insert(Touch::Whole(keys::PAGES.to_string()));
        }
        for key in meta {
            self.touches.insert(Touch::Whole(key));
        }
        if content {
            self.touches.insert(Touch::Whole(keys::entry_content(id)));
        }

        let time_zone = snapshot.settings.time_zone;
        let old = was.map(|entry| memberships(entry, time_zone)).unwrap_or_default();
        let new = is.map(|entry| memberships(entry, time_zone)).unwrap_or_default();
        self.list_changes(&old, &new, snapshot);
    }

    /// Touches every list whose membership or order changed, and the period
    /// lists of archives that appeared or vanished.
    fn list_changes(&mut self, old: &HashMap<String, String>, new: &HashMap<String, String>, snapshot: &Snapshot) {
        let lists: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for list in lists {
            let (before, after) = (old.get(list), new.get(list));
            if before == after {
                continue;
            }
            for position in [before, after].into_iter().flatten() {
                self.touches.insert(Touch::At(list.clone(), position.clone()));
            }
            if list == keys::ALL_ENTRIES {
                self.touches.insert(rank_span(before, after));
            }
            if before.is_none() != after.is_none() {
                // The entry joined or left the list: its size changed, and
                // the list may have become empty or stopped being empty.
                self.touches.insert(Touch::Whole(keys::count(list)));
                let emptiness_changed = match self.list_size(list, snapshot) {
                    Some(size) if after.is_some() => size == 1,
                    Some(size) => size == 0,
                    None => false,
                };
                if emptiness_changed {
                    self.list_emptied_or_filled(list);
                }
            }
        }
    }

    /// The size of a period or category list after the change.
    fn list_size(&self, list: &str, snapshot: &Snapshot) -> Option<usize> {
        for archive_type in DATE_TYPES {
            if let Some(label) = list.strip_prefix(&keys::period_list(archive_type, "")) {
                return Some(snapshot.period_entries(archive_type, label).len());
            }
        }
        let id = list.strip_prefix("list:category:")?.parse::<i64>().ok()?;
        Some(snapshot.by_category.get(&id).map_or(0, Vec::len))
    }

    /// Touches what shows which periods exist, or whether a category has
    /// entries.
    fn list_emptied_or_filled(&mut self, list: &str) {
        for archive_type in DATE_TYPES {
            if list.starts_with(&keys::period_list(archive_type, "")) {
                self.touches.insert(Touch::Whole(keys::periods(archive_type)));
            }
        }
        if let Some(id) = list.strip_prefix("list:category:").and_then(|id| id.parse::<i64>().ok()) {
            self.touches.insert(Touch::Whole(keys::category_has_entries(id)));
        }
    }

    pub fn touch_whole(&mut self, key: impl Into<String>) {
        self.touches.insert(Touch::Whole(key.into()));
    }
}

/// Plans the site after a change and queues every file the change affects,
/// inside the caller's transaction. Returns the files queued, sorted.
pub fn commit(
    tx: &mut dyn Tx,
    settings: &SiteSettings,
    change: &ChangeSet,
    now: Timestamp,
) -> Result<Queued, StoreError> {
    let snapshot = Snapshot::load(tx, settings.clone())?;
    commit_with(tx, &snapshot, change, now)
}

/// Like [`commit`], with a snapshot the caller already loaded after making
/// the change.
pub fn commit_with(
    tx: &mut dyn Tx,
    snapshot: &Snapshot,
    change: &ChangeSet,
    now: Timestamp,
) -> Result<Queued, StoreError> {
    bump_content_version(tx)?;
    let reconciled = plan::reconcile(tx, snapshot)?;
    let mut ids: BTreeSet<FileInfoId> = reconciled.changed.iter().chain(&reconciled.retired).copied().collect();

    ids.extend(touched_files(tx, &change.touches)?);
    for template_id in including_templates(snapshot, &change.templates) {
        ids.extend(tx.file_infos_of_template(template_id)?.into_iter().map(|info| info.id));
    }
    if change.everything {
        ids.extend(tx.file_infos()?.into_iter().map(|info| info.id));
    }

    let queued = queue_files(tx, snapshot, ids, change.include_manual, now)?;
    Ok(Queued { files: queued, clashes: reconciled.clashes })
}

/// The files whose recorded dependencies overlap the touches, and the
/// revived files of touched assets.
fn touched_files(tx: &mut dyn Tx, touches: &BTreeSet<Touch>) -> Result<Vec<FileInfoId>, StoreError> {
    let mut ids = Vec::new();
    let whole: Vec<String> = touches
        .iter()
        .filter_map(|touch| match touch {
            Touch::Whole(key) => Some(key.clone()),
            _ => None,
        })
        .collect();
    for key in &whole {
        ids.extend(revive_asset_files(tx, key)?);
    }
    // Before the first publish nothing has been rendered, so nothing can
    // depend on the change yet.
    if !tx.has_deps()? {
        return Ok(ids);
    }
    ids.extend(tx.files_depending_on_any(&whole)?);
    for touch in touches {
        match touch {
            Touch::Whole(_) => {}
            Touch::At(key, position) => ids.extend(tx.files_depending_on(key, Some(position))?),
            Touch::Span(key, from, to) => ids.extend(tx.files_overlapping(key, from.as_deref(), to.as_deref())?),
        }
    }
    Ok(ids)
}

/// The files of a changed asset, with any that failed (a thumbnail of a
/// corrupt image) made active again, since the new bytes may work.
fn revive_asset_files(tx: &mut dyn Tx, key: &str) -> Result<Vec<FileInfoId>, StoreError> {
    let Some(asset_id) = key.strip_prefix("asset:").and_then(|id| id.parse::<i64>().ok()) else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::new();
    for mut info in tx.file_infos_of_asset(asset_id)? {
        if info.state == FileState::Failed {
            info.state = FileState::Active;
            info.last_error = None;
            tx.update_file_info(&info)?;
        }
        ids.push(info.id);
    }
    Ok(ids)
}

/// Queues the given file infos, honouring each template's publish type.
fn queue_files(
    tx: &mut dyn Tx,
    snapshot: &Snapshot,
    ids: BTreeSet<FileInfoId>,
    include_manual: bool,
    now: Timestamp,
) -> Result<Vec<QueuedFile>, StoreError> {
    let mut queued = Vec::new();
    for id in ids {
        let Some(info) = tx.file_info(id)? else { continue };
        if !should_queue(&info, snapshot, include_manual) {
            continue;
        }
        tx.enqueue(info.id, info.priority, now)?;
        let removal = info.state == FileState::Retired;
        let path = info.path.clone().or(info.published_path.clone()).unwrap_or_default();
        let moved_from = info.published_path.clone().filter(|old| !removal && *old != path);
        queued.push(QueuedFile { path, file_info_id: info.id, removal, moved_from });
    }
    queued.sort();
    Ok(queued)
}

/// Whether a change may queue `info`. Removals are always queued; a failed
/// file waits for its owner to change; manual and disabled templates only
/// publish on an explicit request.
fn should_queue(info: &FileInfo, snapshot: &Snapshot, include_manual: bool) -> bool {
    if info.state == FileState::Retired {
        return true;
    }
    if info.state == FileState::Failed && !include_manual {
        return false;
    }
    let publish_type = info.template_id.and_then(|id| snapshot.template(id)).map(|t| t.publish_type);
    match publish_type {
        Some(PublishType::Disabled) => false,
        Some(PublishType::Manual) => include_manual,
        _ => true,
    }
}

/// The given templates plus every template that includes, extends or
/// imports one of them, directly or through others.
pub fn including_templates(snapshot: &Snapshot, changed: &BTreeSet<TemplateId>) -> BTreeSet<TemplateId> {
    let names: HashMap<&str, TemplateId> = snapshot.templates.iter().map(|t| (t.name.as_str(), t.id)).collect();
    let mut result: BTreeSet<TemplateId> = changed.clone();
    let mut grew = true;
    while grew {
        grew = false;
        for template in &snapshot.templates {
            if result.contains(&template.id) {
                continue;
            }
            let uses_changed = referenced_templates(&template.source)
                .iter()
                .any(|name| names.get(name.as_str()).is_some_and(|id| result.contains(id)));
            if uses_changed {
                result.insert(template.id);
                grew = true;
            }
        }
    }
    result
}

/// Names of templates a template source refers to with `include`,
/// `extends`, `import` or `from`, when the name is a string literal.
pub fn referenced_templates(source: &str) -> HashSet<String> {
    let mut names = HashSet::new();
    for block in source.split("{%").skip(1) {
        let statement = block.split("%}").next().unwrap_or("").trim_start_matches('-').trim();
        let mut words = statement.splitn(2, char::is_whitespace);
        let keyword = words.next().unwrap_or("");
        if !["include", "extends", "import", "from"].contains(&keyword) {
            continue;
        }
        let rest = words.next().unwrap_or("").trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
        if let Some(name) = rest[1..].split(quote).next() {
            names.insert(name.to_string());
        }
    }
    names
}

/// Returns the content version: a counter every content change increments,
/// so a worker can tell when its cached snapshot is stale.
pub fn content_version(tx: &mut dyn Tx) -> Result<String, StoreError> {
    Ok(tx.setting("content_version")?.unwrap_or_else(|| "0".to_string()))
}

/// Increments the content version; call in every transaction that changes
/// content.
pub fn bump_content_version(tx: &mut dyn Tx) -> Result<(), StoreError> {
    let next = content_version(tx)?.parse::<u64>().unwrap_or(0) + 1;
    tx.set_setting("content_version", &next.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_referenced_templates() {
        let source = r#"{% extends "layout" %}{%- include 'sidebar' -%}{% from "macros" import x %}{% if a %}"#;
        let names = referenced_templates(source);
        assert_eq!(names, ["layout", "sidebar", "macros"].into_iter().map(String::from).collect());
    }
}
