//! Planning: which files the site should have, and bringing the stored file
//! infos in line with that.
//!
//! [`desired_files`] derives the complete file set from a [`Snapshot`]; it
//! renders nothing, so it is cheap enough to run on every change.
//! [`reconcile`] compares that set with the stored file infos: new files are
//! added, moved files get their new path, and files whose owner is gone are
//! retired so that a job removes them. Ownership is what makes removal safe:
//! only the file info that wrote a file can remove it.

use std::collections::{HashMap, HashSet};

use tracing::warn;

use crate::archive::{self, Period};
use crate::asset::thumbnails::{self, ThumbnailSize};
use crate::asset::upload;
use crate::model::{ArchiveType, FileInfoId, PublishType, TemplateId, TemplateKind, Timestamp};
use crate::snapshot::Snapshot;
use crate::store::{FileInfo, FileOwner, FileState, StoreError, Tx};

/// A file the site should have.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredFile {
    pub owner: FileOwner,
    pub archive_type: ArchiveType,
    pub template_id: Option<TemplateId>,
    pub path: String,
    pub url: String,
    pub priority: i32,
    pub tier: u8,
}

/// Two owners that want the same path; the first keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct PathClash {
    pub path: String,
    pub kept: FileOwner,
    pub dropped: FileOwner,
}

/// Computes every file the site should have, sorted by priority. Clashing
/// paths are resolved in favour of the higher priority (then the older
/// owner) and reported.
pub fn desired_files(snapshot: &Snapshot, requested: &HashSet<FileOwner>) -> (Vec<DesiredFile>, Vec<PathClash>) {
    let mut files = Vec::new();
    for template in &snapshot.templates {
        if template.kind == TemplateKind::Index && template.publish_type != PublishType::Disabled {
            for page in 1..=snapshot.index_page_count(template) {
                let path = snapshot.index_path(template, page);
                let priority = archive::priority(ArchiveType::Index, &path);
                let owner = FileOwner::Index { template_id: template.id, page };
                files.push(desired(snapshot, owner, ArchiveType::Index, Some(template.id), path, priority));
            }
        }
    }
    for map in &snapshot.maps {
        let Some(template) = snapshot.template(map.template_id) else { continue };
        if template.publish_type == PublishType::Disabled {
            continue;
        }
        files.extend(map_files(snapshot, map));
    }
    files.extend(asset_files(snapshot, requested));
    resolve_clashes(files)
}

fn desired(
    snapshot: &Snapshot,
    owner: FileOwner,
    archive_type: ArchiveType,
    template_id: Option<TemplateId>,
    path: String,
    priority: i32,
) -> DesiredFile {
    let url = archive::url_for(&snapshot.settings.url, &path);
    DesiredFile { owner, archive_type, template_id, path, url, priority, tier: archive::tier(archive_type) }
}

/// The files of one template map.
fn map_files(snapshot: &Snapshot, map: &crate::model::TemplateMap) -> Vec<DesiredFile> {
    let archive_type = map.archive_type;
    let priority = archive::priority(archive_type, "");
    let mut files = Vec::new();
    let mut push = |owner: FileOwner, path: Result<String, _>| match path {
        Ok(path) if !path.is_empty() => {
            files.push(desired(snapshot, owner, archive_type, Some(map.template_id), path, priority));
        }
        Ok(_) => warn!(owner = owner.key(), "file path pattern gave an empty path; no file is published"),
        Err(error) => warn!(owner = owner.key(), %error, "invalid file path pattern; no file is published"),
    };

    match archive_type {
        ArchiveType::Individual | ArchiveType::Page => {
            let views = if archive_type == ArchiveType::Page { &snapshot.pages } else { &snapshot.entries };
            for view in views {
                let owner = FileOwner::Entry { map_id: map.id, entry_id: view.entry.id };
                push(owner, snapshot.entry_path(map, &view.entry, view.local_date));
            }
        }
        kind if kind.is_date_based() => {
            for period in snapshot.periods(kind) {
                let owner = FileOwner::Date { map_id: map.id, period: period.label() };
                push(owner, snapshot.period_path(map, &period));
            }
        }
        ArchiveType::Category => {
            let mut ids: Vec<_> = snapshot.by_category.keys().copied().collect();
            ids.sort_unstable();
            for category_id in ids.into_iter().filter(|id| snapshot.categories.contains_key(id)) {
                push(FileOwner::Category { map_id: map.id, category_id }, snapshot.category_path(map, category_id));
            }
        }
        ArchiveType::Author => {
            let mut ids: Vec<_> = snapshot.by_author.keys().copied().collect();
            ids.sort_unstable();
            for author_id in ids {
                push(FileOwner::Author { map_id: map.id, author_id }, snapshot.author_path(map, author_id));
            }
        }
        _ => {}
    }
    files
}

/// The original file of every asset whose bytes are stored, and the
/// thumbnails of every image: the configured sizes plus any size a
/// template asked for earlier (`requested`).
fn asset_files(snapshot: &Snapshot, requested: &HashSet<FileOwner>) -> Vec<DesiredFile> {
    let mut files = Vec::new();
    let configured = upload::configured_sizes(&snapshot.settings.thumbnail_sizes);
    for asset in snapshot.assets.iter().filter(|asset| asset.hash.is_some()) {
        let owner = FileOwner::Asset { asset_id: asset.id };
        let priority = archive::priority(ArchiveType::Asset, "");
        files.push(desired(snapshot, owner, ArchiveType::Asset, None, asset.path.clone(), priority));

        let mut sizes: Vec<ThumbnailSize> =
            configured.iter().map(|size| thumbnails::normalized(asset, *size)).collect();
        for owner in requested {
            if let FileOwner::Thumbnail { asset_id, width, height } = owner {
                if *asset_id == asset.id {
                    sizes.push(ThumbnailSize { width: *width, height: *height });
                }
            }
        }
        sizes.sort();
        sizes.dedup();
        for size in sizes {
            let Some(path) = thumbnails::thumbnail_path(asset, size, snapshot.settings.thumbnail_format) else {
                continue;
            };
            let priority = archive::priority(ArchiveType::Thumbnail, "");
            files.push(desired(snapshot, size.owner(asset.id), ArchiveType::Thumbnail, None, path, priority));
        }
    }
    files
}

fn resolve_clashes(mut files: Vec<DesiredFile>) -> (Vec<DesiredFile>, Vec<PathClash>) {
    files.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.owner.key().cmp(&b.owner.key())));
    let mut taken: HashMap<String, FileOwner> = HashMap::new();
    let mut clashes = Vec::new();
    files.retain(|file| match taken.get(&file.path) {
        Some(kept) => {
            clashes.push(PathClash { path: file.path.clone(), kept: kept.clone(), dropped: file.owner.clone() });
            false
        }
        None => {
            taken.insert(file.path.clone(), file.owner.clone());
            true
        }
    });
    (files, clashes)
}

/// The file infos that [`reconcile`] changed.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// File infos that are new, moved or back from retirement.
    pub changed: Vec<FileInfoId>,
    /// File infos retired; each has a file to remove.
    pub retired: Vec<FileInfoId>,
    pub clashes: Vec<PathClash>,
}

/// Brings the stored file infos in line with `snapshot`. Thumbnails that
/// templates asked for stay while their asset exists.
pub fn reconcile(tx: &mut dyn Tx, snapshot: &Snapshot) -> Result<Reconciled, StoreError> {
    let existing = tx.file_infos()?;
    let requested: HashSet<FileOwner> = existing
        .iter()
        .filter(|info| matches!(info.owner, FileOwner::Thumbnail { .. }) && info.state != FileState::Retired)
        .map(|info| info.owner.clone())
        .collect();
    let (desired, clashes) = desired_files(snapshot, &requested);
    let last_pages_before =
        last_index_pages(existing.iter().filter(|i| i.state != FileState::Retired).map(|i| &i.owner));
    let last_pages_after = last_index_pages(desired.iter().map(|file| &file.owner));
    let mut wanted: HashMap<String, DesiredFile> = desired.into_iter().map(|file| (file.owner.key(), file)).collect();

    // Free every path that is changing first, so that two files swapping
    // paths never trip the unique index on the way.
    let mut updates = Vec::new();
    let mut result = Reconciled { clashes, ..Reconciled::default() };
    // A disabled template publishes nothing, but the files it made before
    // stay where they are.
    let disabled: HashSet<TemplateId> =
        snapshot.templates.iter().filter(|t| t.publish_type == PublishType::Disabled).map(|t| t.id).collect();
    for mut info in existing {
        let key = info.owner.key();
        match wanted.remove(&key) {
            Some(file) => {
                if needs_update(&info, &file) {
                    let moved = info.path.as_deref() != Some(&file.path) || info.state == FileState::Retired;
                    if info.path.as_deref() != Some(&file.path) && info.path.is_some() {
                        info.path = None;
                        tx.update_file_info(&info)?;
                    }
                    updates.push((info, file, moved));
                }
            }
            None if info.state == FileState::Retired => {}
            None if info.template_id.is_some_and(|id| disabled.contains(&id)) => {}
            None => retire(tx, info, &mut result)?,
        }
    }

    for (mut info, file, moved) in updates {
        apply(&mut info, &file);
        if moved {
            info.state = FileState::Active;
            info.last_error = None;
            result.changed.push(info.id);
        }
        tx.update_file_info(&info)?;
    }
    queue_flipped_last_pages(tx, &last_pages_before, &last_pages_after, &mut result)?;
    let mut new_files: Vec<DesiredFile> = wanted.into_values().collect();
    new_files.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.path.cmp(&b.path)));
    for file in new_files {
        let mut info = new_file_info(&file);
        info.id = tx.insert_file_info(&info)?;
        result.changed.push(info.id);
    }
    Ok(result)
}

/// The number of pages of each paginated index template.
fn last_index_pages<'a>(owners: impl Iterator<Item = &'a FileOwner>) -> HashMap<TemplateId, u32> {
    let mut last = HashMap::new();
    for owner in owners {
        if let FileOwner::Index { template_id, page } = owner {
            let entry = last.entry(*template_id).or_insert(0);
            *entry = (*entry).max(*page);
        }
    }
    last
}

/// Queues the page that stops or starts being the last when an index's
/// page count changes, because it gains or loses its "next" link. Pages
/// that are added or removed are queued anyway.
fn queue_flipped_last_pages(
    tx: &mut dyn Tx,
    before: &HashMap<TemplateId, u32>,
    after: &HashMap<TemplateId, u32>,
    result: &mut Reconciled,
) -> Result<(), StoreError> {
    for (template_id, new_last) in after {
        let Some(old_last) = before.get(template_id).filter(|old| *old != new_last) else { continue };
        let page = (*old_last).min(*new_last);
        if let Some(info) = tx.file_info_by_owner(&FileOwner::Index { template_id: *template_id, page })? {
            result.changed.push(info.id);
        }
    }
    Ok(())
}

fn needs_update(info: &FileInfo, file: &DesiredFile) -> bool {
    info.path.as_deref() != Some(&file.path)
        || info.url != file.url
        || info.priority != file.priority
        || info.tier != file.tier
        || info.template_id != file.template_id
        || info.state == FileState::Retired
}

fn apply(info: &mut FileInfo, file: &DesiredFile) {
    info.path = Some(file.path.clone());
    info.url = file.url.clone();
    info.priority = file.priority;
    info.tier = file.tier;
    info.template_id = file.template_id;
}

fn new_file_info(file: &DesiredFile) -> FileInfo {
    FileInfo {
        id: 0,
        owner: file.owner.clone(),
        archive_type: file.archive_type,
        template_id: file.template_id,
        path: Some(file.path.clone()),
        url: file.url.clone(),
        published_path: None,
        content_hash: None,
        priority: file.priority,
        tier: file.tier,
        state: FileState::Active,
        last_error: None,
    }
}

/// Retires a file info whose owner is gone. One that never wrote a file is
/// deleted at once, since there is nothing to remove.
fn retire(tx: &mut dyn Tx, mut info: FileInfo, result: &mut Reconciled) -> Result<(), StoreError> {
    if info.published_path.is_none() {
        return tx.delete_file_info(info.id);
    }
    info.path = None;
    info.state = FileState::Retired;
    tx.update_file_info(&info)?;
    result.retired.push(info.id);
    Ok(())
}

/// When a file of a scheduled-interval template may next be published.
pub fn scheduled_run_after(publish_type: PublishType, last_published: Timestamp) -> Timestamp {
    match publish_type {
        PublishType::Scheduled { interval_secs } => last_published + interval_secs,
        _ => 0,
    }
}

/// The period of a date-based archive file, parsed from its owner.
pub fn owner_period(snapshot: &Snapshot, owner: &FileOwner) -> Option<Period> {
    match owner {
        FileOwner::Date { map_id, period } => Period::parse(snapshot.map(*map_id)?.archive_type, period),
        _ => None,
    }
}
