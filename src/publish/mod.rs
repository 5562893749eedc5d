//! The publish worker: claims a batch of jobs, renders the files in
//! parallel, writes them atomically under the site root, makes the batch
//! durable with one filesystem sync, and only then, in one transaction,
//! records the result, marks every written or removed path pending for
//! every target and removes the jobs.
//!
//! A crash at any point loses nothing: until that transaction commits the
//! jobs stay queued (their lease runs out and another run takes them), and
//! a file written before the crash is found equal on disk and still marked
//! pending, because "unchanged" means equal both on disk and in the store.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tracing::{debug, info_span, warn};

use crate::asset::image::{self, Limits, ThumbnailRequest};
use crate::asset::thumbnails::{self, ThumbnailSize};
use crate::blob::BlobStore;
use crate::change::keys;
use crate::config::Config;
use crate::model::{ArchiveType, PublishType, Template, Timestamp};
use crate::render::Renderer;
use crate::site_root::{RelPath, SiteIoError, SiteRoot};
use crate::snapshot::{SiteSettings, Snapshot};
use crate::store::{Asset, Dep, FileInfo, FileOwner, FileState, Job, Store, StoreError, Tx};
use crate::time::now;

mod record;

/// Attempts before a failing job is given up.
const MAX_ATTEMPTS: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Io(#[from] SiteIoError),
}

/// What one batch did.
#[derive(Debug, Default, Clone)]
pub struct BatchReport {
    pub claimed: usize,
    /// Files written because their bytes changed.
    pub written: usize,
    /// Files whose bytes were already in place.
    pub unchanged: usize,
    /// Files removed from the site root.
    pub removed: usize,
    /// Jobs that failed, with the file and the error.
    pub failures: Vec<(String, String)>,
    /// Jobs postponed by a scheduled template's interval.
    pub postponed: usize,
    pub elapsed: Duration,
}

/// The result of one job, before it is recorded.
#[derive(Debug)]
enum Outcome {
    /// The file at `path` now has `hash`; `wrote` says whether bytes were
    /// written (rather than found equal on disk).
    Published {
        info: FileInfo,
        path: String,
        hash: String,
        produced: Produced,
        wrote: bool,
        changed: bool,
    },
    /// The file info was retired and its file is gone.
    Removed {
        info: FileInfo,
    },
    /// A scheduled template's interval has not passed.
    Postponed {
        retry_at: Timestamp,
    },
    Failed {
        info: Option<FileInfo>,
        error: String,
        permanent: bool,
    },
}

/// A claimed job with what is needed to run it.
struct Work {
    job: Job,
    info: Option<FileInfo>,
    /// Set when a scheduled template's interval has not passed.
    postpone: Option<Timestamp>,
}

/// Paths removed by one job, for pending deletions.
#[derive(Debug, Default)]
struct Removals {
    paths: Vec<String>,
}

/// Publishes batches of jobs for one site.
pub struct Publisher<'a> {
    store: &'a Store,
    site: SiteRoot,
    settings: SiteSettings,
    blobs: BlobStore,
    limits: Limits,
    worker: String,
    lease: Duration,
    batch_size: usize,
    cache: Option<(String, Arc<Snapshot>, Arc<Renderer>)>,
}

impl<'a> Publisher<'a> {
    pub fn new(
        store: &'a Store,
        config: &Config,
        settings: SiteSettings,
        worker: String,
        batch_size: usize,
    ) -> Publisher<'a> {
        Publisher {
            store,
            site: SiteRoot::new(&config.site_path),
            settings,
            blobs: BlobStore::new(&config.assets.store_dir),
            limits: Limits { max_bytes: config.assets.max_upload_bytes, max_pixels: config.assets.max_image_pixels },
            worker,
            lease: config.queue.lease,
            batch_size,
            cache: None,
        }
    }

    /// Claims and publishes one batch. Returns `None` when no job was ready.
    pub fn run_batch(&mut self) -> Result<Option<BatchReport>, PublishError> {
        let started = Instant::now();
        let claimed_at = now();
        let lease_until = claimed_at + self.lease.as_secs() as i64;
        let jobs = self.store.write(|tx| tx.claim_jobs(&self.worker, self.batch_size, claimed_at, lease_until))?;
        if jobs.is_empty() {
            return Ok(None);
        }

        let work = self.prepare(&jobs)?;
        let (snapshot, renderer) = self.snapshot_and_renderer()?;
        let removals_protected = self.protected_paths(&work)?;
        let results: Vec<(Job, Outcome, Removals)> = work
            .into_par_iter()
            .map(|work| {
                let (outcome, removals) = self.run_job(&snapshot, &renderer, &work, &removals_protected);
                (work.job, outcome, removals)
            })
            .collect();

        let touched_disk = results.iter().any(|(_, outcome, removals)| {
            !removals.paths.is_empty()
                || matches!(outcome, Outcome::Published { wrote: true, .. } | Outcome::Removed { .. })
        });
        if touched_disk {
            self.site.sync_filesystem()?;
        }

        let mut report = self.store.write(|tx| self.record(tx, results))?;
        report.claimed = jobs.len();
        report.elapsed = started.elapsed();
        Ok(Some(report))
    }

    /// Loads the file info of every claimed job. A job whose file info is
    /// gone is simply completed.
    fn prepare(&self, jobs: &[Job]) -> Result<Vec<Work>, StoreError> {
        self.store.read(|tx| {
            let templates = tx.templates()?;
            let mut work = Vec::with_capacity(jobs.len());
            for job in jobs {
                let info = tx.file_info(job.file_info_id)?;
                let postpone = match &info {
                    Some(info) => postponed_until(tx, &templates, info)?,
                    None => None,
                };
                work.push(Work { job: job.clone(), info, postpone });
            }
            Ok(work)
        })
    }

    /// The snapshot and renderer for this batch, reused while the content
    /// version has not changed since the last batch.
    fn snapshot_and_renderer(&mut self) -> Result<(Arc<Snapshot>, Arc<Renderer>), StoreError> {
        let version = self.store.read(|tx| crate::change::content_version(tx))?;
        if let Some((cached, snapshot, renderer)) = &self.cache {
            if *cached == version {
                return Ok((snapshot.clone(), renderer.clone()));
            }
        }
        let snapshot = Arc::new(self.store.read(|tx| Snapshot::load(tx, self.settings.clone()))?);
        let renderer = Arc::new(Renderer::new(&snapshot.templates));
        self.cache = Some((version, snapshot.clone(), renderer.clone()));
        Ok((snapshot, renderer))
    }

    /// Paths that some active file info wants, so that a retired or moved
    /// file info must not remove them.
    fn protected_paths(&self, work: &[Work]) -> Result<HashSet<String>, StoreError> {
        let candidates: Vec<&String> = work
            .iter()
            .filter_map(|work| work.info.as_ref())
            .filter_map(|info| info.published_path.as_ref().filter(|old| info.path.as_ref() != Some(*old)))
            .collect();
        self.store.read(|tx| {
            let mut protected = HashSet::new();
            for path in candidates {
                if tx.file_info_by_path(path)?.is_some() {
                    protected.insert(path.clone());
                }
            }
            Ok(protected)
        })
    }

    fn run_job(
        &self,
        snapshot: &Arc<Snapshot>,
        renderer: &Renderer,
        work: &Work,
        protected: &HashSet<String>,
    ) -> (Outcome, Removals) {
        let Some(info) = work.info.clone() else {
            return (Outcome::Removed { info: gone_file_info(&work.job) }, Removals::default());
        };
        let span = info_span!("job", job = work.job.id, path = info.path.as_deref().or(info.published_path.as_deref()));
        let _entered = span.enter();

        let mut removals = Removals::default();
        let old_path = info.published_path.clone().filter(|old| info.path.as_ref() != Some(old));
        if let Some(old) = old_path.filter(|old| !protected.contains(old)) {
            match self.remove(&old) {
                Ok(paths) => removals.paths = paths,
                Err(error) => return (fail(Some(info), crate::error_chain(&error), false), removals),
            }
        }
        if info.state == FileState::Retired {
            return (Outcome::Removed { info }, removals);
        }
        if let Some(retry_at) = work.postpone {
            return (Outcome::Postponed { retry_at }, removals);
        }
        (self.publish(snapshot, renderer, info), removals)
    }

    /// Removes a file and its emptied directories; returns every removed path.
    fn remove(&self, path: &str) -> Result<Vec<String>, PublishError> {
        let Ok(rel) = RelPath::new(path) else {
            warn!(path, "stored path is not a valid site path; nothing removed");
            return Ok(Vec::new());
        };
        let removal = self.site.remove(&rel)?;
        let mut paths = vec![rel.to_string()];
        paths.extend(removal.removed_dirs.iter().map(RelPath::to_string));
        debug!(path, dirs = removal.removed_dirs.len(), "removed");
        Ok(paths)
    }

    fn publish(&self, snapshot: &Arc<Snapshot>, renderer: &Renderer, info: FileInfo) -> Outcome {
        let Some(path) = info.path.clone() else {
            return fail(Some(info), "active file info has no path".to_string(), true);
        };
        let rel = match RelPath::new(path.clone()) {
            Ok(rel) => rel,
            Err(error) => return fail(Some(info), error.to_string(), true),
        };
        let produced = match self.produce_guarded(snapshot, renderer, &info) {
            Ok(produced) => produced,
            Err(ProduceError { message, permanent }) => return fail(Some(info), message, permanent),
        };
        let bytes = &produced.bytes;

        let hash = blake3::hash(bytes).to_hex().to_string();
        let on_disk = match self.site.read(&rel) {
            Ok(existing) => existing,
            Err(error) => return fail(Some(info), crate::error_chain(&error), false),
        };
        let disk_equal = on_disk.as_deref() == Some(bytes.as_slice());
        let recorded_equal = info.content_hash.as_deref() == Some(hash.as_str())
            && info.published_path.as_deref() == Some(path.as_str());
        if !disk_equal {
            if let Err(error) = self.site.write_atomic(&rel, bytes) {
                return fail(Some(info), crate::error_chain(&error), false);
            }
        }
        Outcome::Published { info, path, hash, produced, wrote: !disk_equal, changed: !(disk_equal && recorded_equal) }
    }

    /// [`Publisher::produce`], with a panic in a decoder or a template
    /// function turned into a failure of this one job.
    fn produce_guarded(
        &self,
        snapshot: &Arc<Snapshot>,
        renderer: &Renderer,
        info: &FileInfo,
    ) -> Result<Produced, ProduceError> {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.produce(snapshot, renderer, info)));
        result.unwrap_or_else(|_| Err(ProduceError::permanent("producing the file panicked; see the log".to_string())))
    }

    /// The bytes of a file and what it depended on.
    fn produce(
        &self,
        snapshot: &Arc<Snapshot>,
        renderer: &Renderer,
        info: &FileInfo,
    ) -> Result<Produced, ProduceError> {
        match &info.owner {
            FileOwner::Asset { asset_id } => {
                let asset = find_asset(snapshot, *asset_id)?;
                let bytes = self.asset_bytes(asset)?;
                Ok(Produced { bytes, deps: vec![Dep::whole(keys::asset(*asset_id))], thumbnails: Vec::new() })
            }
            FileOwner::Thumbnail { asset_id, width, height } => {
                let asset = find_asset(snapshot, *asset_id)?;
                let source = self.asset_bytes(asset)?;
                let bound = |value: u32| (value > 0).then_some(value);
                let format = thumbnails::output_format(asset, snapshot.settings.thumbnail_format);
                let request = ThumbnailRequest { width: bound(*width), height: bound(*height), format };
                let thumbnail = image::make_thumbnail(&source, request, &self.limits)
                    .map_err(|error| ProduceError::permanent(format!("{}: {error}", asset.path)))?;
                Ok(Produced {
                    bytes: thumbnail.bytes,
                    deps: vec![Dep::whole(keys::asset(*asset_id))],
                    thumbnails: Vec::new(),
                })
            }
            _ => renderer
                .render(snapshot, info)
                .map(|rendered| Produced {
                    bytes: rendered.bytes,
                    deps: rendered.deps,
                    thumbnails: rendered.thumbnails,
                })
                // Rendering gives the same result until a template or the
                // content changes, and either change queues the file again.
                .map_err(|error| ProduceError::permanent(error.to_string())),
        }
    }

    fn asset_bytes(&self, asset: &Asset) -> Result<Vec<u8>, ProduceError> {
        let hash = asset
            .hash
            .as_deref()
            .ok_or_else(|| ProduceError::permanent(format!("asset {} has no stored bytes yet", asset.path)))?;
        self.blobs.read(hash).map_err(|error| ProduceError::transient(crate::error_chain(&error)))
    }
}

/// What producing a file gave.
#[derive(Debug)]
struct Produced {
    bytes: Vec<u8>,
    deps: Vec<Dep>,
    thumbnails: Vec<(i64, ThumbnailSize)>,
}

fn find_asset(snapshot: &Snapshot, asset_id: i64) -> Result<&Asset, ProduceError> {
    snapshot
        .assets
        .iter()
        .find(|asset| asset.id == asset_id)
        .ok_or_else(|| ProduceError::permanent(format!("asset {asset_id} no longer exists")))
}

/// A placeholder for a job whose file info was deleted meanwhile.
fn gone_file_info(job: &Job) -> FileInfo {
    FileInfo {
        id: 0,
        owner: FileOwner::Asset { asset_id: 0 },
        archive_type: ArchiveType::Asset,
        template_id: None,
        path: None,
        url: String::new(),
        published_path: None,
        content_hash: None,
        priority: job.priority,
        tier: 0,
        state: FileState::Retired,
        last_error: None,
    }
}

struct ProduceError {
    message: String,
    permanent: bool,
}

impl ProduceError {
    fn permanent(message: String) -> ProduceError {
        ProduceError { message, permanent: true }
    }

    fn transient(message: String) -> ProduceError {
        ProduceError { message, permanent: false }
    }
}

fn fail(info: Option<FileInfo>, error: String, permanent: bool) -> Outcome {
    Outcome::Failed { info, error, permanent }
}

/// When a file of a scheduled-interval template may be published next, if
/// that is in the future.
fn postponed_until(tx: &mut dyn Tx, templates: &[Template], info: &FileInfo) -> Result<Option<Timestamp>, StoreError> {
    let Some(template_id) = info.template_id else { return Ok(None) };
    let Some(template) = templates.iter().find(|t| t.id == template_id) else { return Ok(None) };
    let PublishType::Scheduled { .. } = template.publish_type else { return Ok(None) };
    let last = tx.template_last_published(template.id)?;
    let next = crate::plan::scheduled_run_after(template.publish_type, last);
    Ok((next > now()).then_some(next))
}
