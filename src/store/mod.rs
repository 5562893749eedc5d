//! The store: content, file infos, the job queue and per-target sync state.
//!
//! Every read and write goes through a transaction ([`Tx`]). Backends
//! implement [`Backend`] and the `*Tx` traits; SQLite is the one shipped
//! ([`sqlite`]), and nothing outside this module names it, so a PostgreSQL
//! backend can be added beside it.

pub mod sqlite;
mod types;

use std::path::{Path, PathBuf};

pub use types::*;

use crate::model::{
    Author, AuthorId, Category, CategoryId, Comment, Entry, EntryId, EntryKind, FileInfoId, Status, Template,
    TemplateId, TemplateMap, TemplateMapId, Timestamp,
};

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot migrate database {path} to schema version {version}")]
    Migrate { path: PathBuf, version: u32, source: rusqlite::Error },
    #[error("database {path} has schema version {found}, newer than this pressrun knows ({known}); upgrade pressrun")]
    TooNew { path: PathBuf, found: u32, known: u32 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{what} is already used by {by}")]
    Conflict { what: String, by: String },
    #[error("invalid value {value:?} in column {column}")]
    Corrupt { column: &'static str, value: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Whether a transaction may write. Write transactions take the database's
/// write lock when they begin, so two writers never deadlock on upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxMode {
    Read,
    Write,
}

/// A database that can begin transactions.
pub trait Backend: Send + Sync {
    fn begin(&self, mode: TxMode) -> Result<Box<dyn Tx + '_>>;
}

/// One transaction. Dropping it without [`Tx::commit`] rolls it back.
pub trait Tx: ContentTx + FileTx + QueueTx + SyncTx {
    fn commit(self: Box<Self>) -> Result<()>;
}

/// Which entries to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct EntryFilter {
    pub kind: Option<EntryKind>,
    pub status: Option<Status>,
}

/// Entries, pages, categories, authors, comments, templates and settings.
pub trait ContentTx {
    fn setting(&mut self, name: &str) -> Result<Option<String>>;
    fn set_setting(&mut self, name: &str, value: &str) -> Result<()>;

    fn authors(&mut self) -> Result<Vec<Author>>;
    fn author_by_name(&mut self, name: &str) -> Result<Option<Author>>;
    fn insert_author(&mut self, author: &Author) -> Result<AuthorId>;

    fn categories(&mut self) -> Result<Vec<Category>>;
    fn insert_category(&mut self, category: &Category) -> Result<CategoryId>;
    fn update_category(&mut self, category: &Category) -> Result<()>;
    fn delete_category(&mut self, id: CategoryId) -> Result<()>;

    fn entry(&mut self, id: EntryId) -> Result<Option<Entry>>;
    fn entry_by_basename(&mut self, kind: EntryKind, basename: &str) -> Result<Option<Entry>>;
    fn entry_by_source_key(&mut self, source_key: &str) -> Result<Option<Entry>>;
    /// Lists entries with their categories and tags, oldest first.
    fn entries(&mut self, filter: EntryFilter) -> Result<Vec<Entry>>;
    /// Inserts `entry` (its `id` is ignored) and returns the new id.
    fn insert_entry(&mut self, entry: &Entry, source_key: Option<&str>) -> Result<EntryId>;
    fn update_entry(&mut self, entry: &Entry) -> Result<()>;
    fn delete_entry(&mut self, id: EntryId) -> Result<()>;
    /// Whether an entry of `kind` other than `except` uses `basename`.
    fn basename_in_use(&mut self, kind: EntryKind, basename: &str, except: Option<EntryId>) -> Result<bool>;
    /// Entries whose status is scheduled and whose date is at or before `now`.
    fn due_scheduled_entries(&mut self, now: Timestamp) -> Result<Vec<EntryId>>;

    fn comments(&mut self, entry_id: Option<EntryId>) -> Result<Vec<Comment>>;
    /// Replaces all comments of an entry.
    fn replace_comments(&mut self, entry_id: EntryId, comments: &[Comment]) -> Result<()>;

    fn templates(&mut self) -> Result<Vec<Template>>;
    fn template_by_name(&mut self, name: &str) -> Result<Option<Template>>;
    fn insert_template(&mut self, template: &Template) -> Result<TemplateId>;
    fn update_template(&mut self, template: &Template) -> Result<()>;
    fn delete_template(&mut self, id: TemplateId) -> Result<()>;
    fn set_template_published(&mut self, id: TemplateId, at: Timestamp) -> Result<()>;
    fn template_last_published(&mut self, id: TemplateId) -> Result<Timestamp>;
    fn template_maps(&mut self) -> Result<Vec<TemplateMap>>;
    fn insert_template_map(&mut self, map: &TemplateMap) -> Result<TemplateMapId>;
    fn delete_template_map(&mut self, id: TemplateMapId) -> Result<()>;

    fn assets(&mut self) -> Result<Vec<Asset>>;
    fn asset(&mut self, id: crate::model::AssetId) -> Result<Option<Asset>>;
    fn asset_by_path(&mut self, path: &str) -> Result<Option<Asset>>;
    fn asset_by_source_key(&mut self, source_key: &str) -> Result<Option<Asset>>;
    fn insert_asset(&mut self, asset: &Asset, source_key: Option<&str>) -> Result<crate::model::AssetId>;
    fn update_asset(&mut self, asset: &Asset) -> Result<()>;
    fn delete_asset(&mut self, id: crate::model::AssetId) -> Result<()>;
}

/// File infos and the dependencies recorded when they were rendered.
pub trait FileTx {
    fn file_infos(&mut self) -> Result<Vec<FileInfo>>;
    fn file_info(&mut self, id: FileInfoId) -> Result<Option<FileInfo>>;
    fn file_info_by_owner(&mut self, owner: &FileOwner) -> Result<Option<FileInfo>>;
    /// The file info whose current desired path is `path`.
    fn file_info_by_path(&mut self, path: &str) -> Result<Option<FileInfo>>;
    fn file_infos_of_entry(&mut self, entry_id: EntryId) -> Result<Vec<FileInfo>>;
    fn file_infos_of_template(&mut self, template_id: TemplateId) -> Result<Vec<FileInfo>>;
    fn file_infos_of_asset(&mut self, asset_id: crate::model::AssetId) -> Result<Vec<FileInfo>>;
    /// File infos that could not be produced and wait for their owner to change.
    fn failed_file_infos(&mut self) -> Result<Vec<FileInfo>>;
    /// File infos whose last publish failed, including ones that will be
    /// retried and ones whose failure is final.
    fn file_infos_with_errors(&mut self) -> Result<Vec<FileInfo>>;
    /// Inserts a file info (its `id` is ignored). Fails with
    /// [`StoreError::Conflict`] when another file info wants the same path.
    fn insert_file_info(&mut self, info: &FileInfo) -> Result<FileInfoId>;
    fn update_file_info(&mut self, info: &FileInfo) -> Result<()>;
    fn delete_file_info(&mut self, id: FileInfoId) -> Result<()>;
    fn set_deps(&mut self, id: FileInfoId, deps: &[Dep]) -> Result<()>;
    fn deps(&mut self, id: FileInfoId) -> Result<Vec<Dep>>;
    /// File infos with a dependency on `key` whose range holds `position`;
    /// with `position` `None`, every dependency on `key` matches.
    fn files_depending_on(&mut self, key: &str, position: Option<&str>) -> Result<Vec<FileInfoId>>;
    /// File infos with any dependency on any of `keys`.
    fn files_depending_on_any(&mut self, keys: &[String]) -> Result<Vec<FileInfoId>>;
    /// Whether any dependency is recorded at all (none before the first publish).
    fn has_deps(&mut self) -> Result<bool>;
    /// File infos with a dependency on `key` whose range overlaps the span
    /// from `from` to `to` (inclusive; `None` is unbounded).
    fn files_overlapping(&mut self, key: &str, from: Option<&str>, to: Option<&str>) -> Result<Vec<FileInfoId>>;
}

/// The publish queue.
pub trait QueueTx {
    /// Queues a job for a file, or merges into the job already queued for it:
    /// the higher priority wins, and a claimed job is marked to run again.
    fn enqueue(&mut self, file_info_id: FileInfoId, priority: i32, now: Timestamp) -> Result<()>;
    /// Claims up to `limit` ready jobs, highest priority first, for `worker`
    /// until `lease_until`. Jobs whose lease ran out are ready again.
    fn claim_jobs(&mut self, worker: &str, limit: usize, now: Timestamp, lease_until: Timestamp) -> Result<Vec<Job>>;
    fn complete_job(&mut self, job: &Job, worker: &str) -> Result<JobOutcome>;
    /// Records a failure. With `retry_at`, the job runs again then; without,
    /// it leaves the queue.
    fn fail_job(&mut self, job: &Job, worker: &str, error: &str, retry_at: Option<Timestamp>) -> Result<()>;
    fn renew_job_leases(&mut self, worker: &str, lease_until: Timestamp) -> Result<usize>;
    /// Releases every job and target that `worker` holds.
    fn release_jobs(&mut self, worker: &str) -> Result<()>;
    /// Workers that hold a job or a target lease now.
    fn active_workers(&mut self, now: Timestamp) -> Result<Vec<String>>;
    fn queue_summary(&mut self, now: Timestamp) -> Result<QueueSummary>;
    /// Jobs that are ready to claim now.
    fn ready_jobs(&mut self, now: Timestamp) -> Result<i64>;
}

/// Per-target sync state and pending paths.
pub trait SyncTx {
    fn target_states(&mut self) -> Result<Vec<TargetState>>;
    /// Adds a target; does nothing when it exists.
    fn add_target(&mut self, name: &str, now: Timestamp) -> Result<bool>;
    /// Forgets a target and its pending paths.
    fn remove_target(&mut self, name: &str) -> Result<()>;
    /// Marks `path` pending for every known target.
    fn mark_pending(&mut self, path: &str, tier: u8, now: Timestamp) -> Result<()>;
    fn mark_pending_for(&mut self, target: &str, path: &str, tier: u8, now: Timestamp) -> Result<()>;
    /// Pending paths of a target in sync order: tier, then path.
    fn pending(&mut self, target: &str, limit: usize) -> Result<Vec<PendingFile>>;
    /// Pending paths of a target that must wait: pages that link to an
    /// asset or thumbnail whose own job has not run yet.
    fn held_paths(&mut self, target: &str) -> Result<Vec<String>>;
    /// Clears the given paths for `target`, each only if its version is
    /// still the one that was synced.
    fn clear_pending(&mut self, target: &str, files: &[PendingFile]) -> Result<usize>;
    fn claim_target(&mut self, name: &str, worker: &str, now: Timestamp, lease_until: Timestamp) -> Result<bool>;
    fn renew_target_leases(&mut self, worker: &str, lease_until: Timestamp) -> Result<usize>;
    fn release_target(&mut self, name: &str, worker: &str) -> Result<()>;
    fn record_sync_success(&mut self, name: &str, now: Timestamp) -> Result<()>;
    fn record_sync_failure(&mut self, name: &str, error: &str, now: Timestamp, next_retry: Timestamp) -> Result<()>;
    fn set_initial_copy_done(&mut self, name: &str) -> Result<()>;
    fn set_delete_method(&mut self, name: &str, method: &str) -> Result<()>;
}

/// A handle to a store; cheap to share between threads.
pub struct Store {
    backend: Box<dyn Backend>,
    location: String,
}

impl Store {
    /// Opens (creating if needed) an SQLite store and applies migrations.
    pub fn open_sqlite(path: &Path) -> Result<Store> {
        let backend = sqlite::SqliteBackend::open(path)?;
        Ok(Store { backend: Box::new(backend), location: path.display().to_string() })
    }

    /// Where the store lives, for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Runs `work` in a read transaction.
    pub fn read<T, E>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut tx = self.backend.begin(TxMode::Read)?;
        work(tx.as_mut())
    }

    /// Runs `work` in a write transaction and commits it when `work`
    /// succeeds; on error nothing it did is kept.
    pub fn write<T, E>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut tx = self.backend.begin(TxMode::Write)?;
        let value = work(tx.as_mut())?;
        tx.commit()?;
        Ok(value)
    }
}
