//! Records that belong to publishing rather than content: file infos, their
//! dependencies, jobs and per-target sync state.

use crate::model::{ArchiveType, AssetId, CategoryId, EntryId, FileInfoId, TemplateId, TemplateMapId, Timestamp};

/// The producer of a file. Two file infos never share an owner, and a file is
/// only ever removed by the file info that owns it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FileOwner {
    /// Page `page` (1-based) of an index template.
    Index {
        template_id: TemplateId,
        page: u32,
    },
    /// The file of one entry or page under one template map.
    Entry {
        map_id: TemplateMapId,
        entry_id: EntryId,
    },
    /// A date-based archive; `period` is its local label such as `2024-05`.
    Date {
        map_id: TemplateMapId,
        period: String,
    },
    Category {
        map_id: TemplateMapId,
        category_id: CategoryId,
    },
    Author {
        map_id: TemplateMapId,
        author_id: i64,
    },
    /// The original file of an asset.
    Asset {
        asset_id: AssetId,
    },
    /// A resized copy of an image asset; 0 means "not constrained".
    Thumbnail {
        asset_id: AssetId,
        width: u32,
        height: u32,
    },
}

impl FileOwner {
    /// The unique text form stored in `file_info.owner_key`.
    pub fn key(&self) -> String {
        match self {
            FileOwner::Index { template_id, page } => format!("index:{template_id}:{page}"),
            FileOwner::Entry { map_id, entry_id } => format!("entry:{map_id}:{entry_id}"),
            FileOwner::Date { map_id, period } => format!("date:{map_id}:{period}"),
            FileOwner::Category { map_id, category_id } => format!("category:{map_id}:{category_id}"),
            FileOwner::Author { map_id, author_id } => format!("author:{map_id}:{author_id}"),
            FileOwner::Asset { asset_id } => format!("asset:{asset_id}"),
            FileOwner::Thumbnail { asset_id, width, height } => format!("thumbnail:{asset_id}:{width}x{height}"),
        }
    }

    /// Parses the text form made by [`FileOwner::key`].
    pub fn parse(key: &str) -> Option<FileOwner> {
        let mut parts = key.splitn(3, ':');
        let kind = parts.next()?;
        let first = parts.next()?;
        let rest = parts.next();
        let owner = match kind {
            "index" => FileOwner::Index { template_id: first.parse().ok()?, page: rest?.parse().ok()? },
            "entry" => FileOwner::Entry { map_id: first.parse().ok()?, entry_id: rest?.parse().ok()? },
            "date" => FileOwner::Date { map_id: first.parse().ok()?, period: rest?.to_string() },
            "category" => FileOwner::Category { map_id: first.parse().ok()?, category_id: rest?.parse().ok()? },
            "author" => FileOwner::Author { map_id: first.parse().ok()?, author_id: rest?.parse().ok()? },
            "asset" => FileOwner::Asset { asset_id: first.parse().ok()? },
            "thumbnail" => {
                let (width, height) = rest?.split_once('x')?;
                FileOwner::Thumbnail {
                    asset_id: first.parse().ok()?,
                    width: width.parse().ok()?,
                    height: height.parse().ok()?,
                }
            }
            _ => return None,
        };
        Some(owner)
    }

    pub fn entry_id(&self) -> Option<EntryId> {
        match self {
            FileOwner::Entry { entry_id, .. } => Some(*entry_id),
            _ => None,
        }
    }

    pub fn asset_id(&self) -> Option<AssetId> {
        match self {
            FileOwner::Asset { asset_id } | FileOwner::Thumbnail { asset_id, .. } => Some(*asset_id),
            _ => None,
        }
    }

    pub fn category_id(&self) -> Option<CategoryId> {
        match self {
            FileOwner::Category { category_id, .. } => Some(*category_id),
            _ => None,
        }
    }

    pub fn map_id(&self) -> Option<TemplateMapId> {
        match self {
            FileOwner::Entry { map_id, .. }
            | FileOwner::Date { map_id, .. }
            | FileOwner::Category { map_id, .. }
            | FileOwner::Author { map_id, .. } => Some(*map_id),
            _ => None,
        }
    }
}

/// Whether a file info still produces a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    /// The file should exist at `path`.
    Active,
    /// The owner is gone; the file at `published_path` is to be removed,
    /// after which the file info is deleted.
    Retired,
    /// The file cannot be produced (a corrupt image); it is not retried
    /// until its owner changes.
    Failed,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Active => "active",
            FileState::Retired => "retired",
            FileState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> FileState {
        match text {
            "retired" => FileState::Retired,
            "failed" => FileState::Failed,
            _ => FileState::Active,
        }
    }
}

/// One output file (Movable Type's "file info").
#[derive(Clone, Debug, PartialEq)]
pub struct FileInfo {
    pub id: FileInfoId,
    pub owner: FileOwner,
    pub archive_type: ArchiveType,
    pub template_id: Option<TemplateId>,
    /// The path the file should have, relative to the site root; `None` once the
    /// file info is retired.
    pub path: Option<String>,
    /// Absolute or site-relative URL of `path`.
    pub url: String,
    /// The path of the last written copy, relative to the site root.
    pub published_path: Option<String>,
    /// BLAKE3 hex digest of the bytes last written to `published_path`.
    pub content_hash: Option<String>,
    pub priority: i32,
    /// Sync order: lower tiers reach a target before higher ones.
    pub tier: u8,
    pub state: FileState,
    pub last_error: Option<String>,
}

/// Something a rendered file read. A change that touches `key` at a
/// position between `lo` and `hi` (inclusive; `None` is unbounded) makes the
/// file out of date.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dep {
    pub key: String,
    pub lo: Option<String>,
    pub hi: Option<String>,
}

impl Dep {
    /// A dependency on the whole of `key`.
    pub fn whole(key: impl Into<String>) -> Dep {
        Dep { key: key.into(), lo: None, hi: None }
    }
}

/// A claimed publish job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub file_info_id: FileInfoId,
    pub priority: i32,
    /// The generation this claim covers; a newer request bumps the stored
    /// generation and the job runs again.
    pub generation: i64,
    pub attempts: i64,
}

/// The result of completing a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// The job left the queue.
    Done,
    /// A newer request arrived while it ran; it stays queued.
    Requeued,
    /// Another worker has claimed the job now, so nothing was changed.
    LostLease,
}

/// Counts of queued jobs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueSummary {
    pub queued: i64,
    pub claimed: i64,
    pub failing: i64,
    /// `queued_on` of the oldest job.
    pub oldest: Option<Timestamp>,
    /// Queued jobs by priority, highest first.
    pub by_priority: Vec<(i32, i64)>,
}

/// A path waiting to reach a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingFile {
    pub path: String,
    pub tier: u8,
    pub since: Timestamp,
    /// Changes when the path changes again; clearing uses it so that a newer
    /// change made during a sync is not lost.
    pub version: i64,
}

/// The sync state of one target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetState {
    pub name: String,
    pub added_on: Timestamp,
    pub initial_copy_done: bool,
    pub last_attempt: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Consecutive failed runs.
    pub failures: i64,
    /// Not retried before this time.
    pub next_retry: Timestamp,
    pub pending: i64,
    /// `since` of the oldest pending path.
    pub oldest_pending: Option<Timestamp>,
    /// The method for sending deletions, once found out (`delete-missing-args` or
    /// `directory-delete`).
    pub delete_method: Option<String>,
}

/// A stored uploaded file.
#[derive(Clone, Debug, PartialEq)]
pub struct Asset {
    pub id: AssetId,
    /// The display name, as uploaded.
    pub name: String,
    /// The path the file is published at, relative to the site root.
    pub path: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// BLAKE3 hex digest of the bytes, which also names the blob in the
    /// asset store; `None` while only a remote URL is known.
    pub hash: Option<String>,
    /// The URL the file came from when it was imported.
    pub source_url: Option<String>,
    pub entry_id: Option<EntryId>,
    pub created_on: Timestamp,
}
