//! Recording a batch: one transaction that stores each outcome, marks
//! written and removed paths pending for every target, and completes or
//! fails the jobs.

use std::collections::HashSet;

use tracing::{debug, error, warn};

use super::{MAX_ATTEMPTS, Outcome, Publisher, Removals};
use crate::archive::DELETE_TIER;
use crate::asset::thumbnails::{self, ThumbnailSize};
use crate::model::{ArchiveType, Timestamp};
use crate::publish::BatchReport;
use crate::store::{FileInfo, FileOwner, FileState, Job, JobOutcome, StoreError, Tx};
use crate::time::now;

impl Publisher<'_> {
    /// Records every outcome in one transaction.
    pub(super) fn record(
        &self,
        tx: &mut dyn Tx,
        results: Vec<(Job, Outcome, Removals)>,
    ) -> Result<BatchReport, StoreError> {
        let now = now();
        let mut batch = Recorded::default();
        for (job, outcome, removals) in results {
            for path in &removals.paths {
                tx.mark_pending(path, DELETE_TIER, now)?;
                requeue_owner_of(tx, path, now)?;
            }
            batch.report.removed += removals.paths.len().min(1);
            self.record_outcome(tx, &job, outcome, &mut batch, now)?;
        }

        // Pages that show a thumbnail that cannot be made link to the
        // original instead; their dependencies are all recorded by now.
        if !batch.failed_thumbnails.is_empty() {
            crate::change::bump_content_version(tx)?;
        }
        for key in &batch.failed_thumbnails {
            for page in tx.files_depending_on(key, None)? {
                if let Some(page) = tx.file_info(page)? {
                    tx.enqueue(page.id, page.priority, now)?;
                }
            }
        }
        for template_id in &batch.published_templates {
            tx.set_template_published(*template_id, now)?;
        }
        bump_sync_version(tx)?;
        Ok(batch.report)
    }

    fn record_outcome(
        &self,
        tx: &mut dyn Tx,
        job: &Job,
        outcome: Outcome,
        batch: &mut Recorded,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match outcome {
            Outcome::Published { mut info, path, hash, produced, wrote, changed } => {
                if changed {
                    tx.mark_pending(&path, info.tier, now)?;
                }
                batch.report.written += usize::from(wrote);
                batch.report.unchanged += usize::from(!changed);
                batch.published_templates.extend(info.template_id);
                info.published_path = Some(path);
                info.content_hash = Some(hash);
                info.last_error = None;
                tx.update_file_info(&info)?;
                tx.set_deps(info.id, &produced.deps)?;
                self.add_thumbnails(tx, &produced.thumbnails, now)?;
                complete(tx, job, &self.worker)?;
            }
            Outcome::Removed { info } => {
                // Completing first: deleting the file info also deletes its job.
                let outcome = complete(tx, job, &self.worker)?;
                if outcome == JobOutcome::Done && info.id != 0 && info.state == FileState::Retired {
                    tx.delete_file_info(info.id)?;
                }
            }
            Outcome::Postponed { retry_at } => {
                batch.report.postponed += 1;
                tx.fail_job(job, &self.worker, "", Some(retry_at))?;
            }
            Outcome::Failed { info, error, permanent } => {
                let path = info.as_ref().and_then(|i| i.path.clone()).unwrap_or_default();
                error!(job = job.id, path, %error, "publishing failed");
                batch.report.failures.push((path, error.clone()));
                if let Some(failed) =
                    info.as_ref().filter(|i| permanent && matches!(i.owner, FileOwner::Thumbnail { .. }))
                {
                    batch.failed_thumbnails.push(failed.owner.key());
                }
                record_failure(tx, job, &self.worker, info, &error, permanent, now)?;
            }
        }
        Ok(())
    }
    /// Makes sure each thumbnail a page links to has a file info and, when
    /// it is new, a job; the sync holds the page back until it is published.
    fn add_thumbnails(
        &self,
        tx: &mut dyn Tx,
        requested: &[(i64, ThumbnailSize)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        for (asset_id, size) in requested {
            let owner = size.owner(*asset_id);
            if tx.file_info_by_owner(&owner)?.is_some() {
                continue;
            }
            let Some(asset) = tx.asset(*asset_id)? else { continue };
            let Some(path) = thumbnails::thumbnail_path(&asset, *size, self.settings.thumbnail_format) else {
                continue;
            };
            if let Some(other) = tx.file_info_by_path(&path)? {
                warn!(
                    path,
                    owner = other.owner.key(),
                    "a thumbnail's path is taken by another file; the thumbnail is not made"
                );
                continue;
            }
            let info = FileInfo {
                id: 0,
                owner,
                archive_type: ArchiveType::Thumbnail,
                template_id: None,
                url: crate::archive::url_for(&self.settings.url, &path),
                path: Some(path),
                published_path: None,
                content_hash: None,
                priority: crate::archive::priority(ArchiveType::Thumbnail, ""),
                tier: crate::archive::tier(ArchiveType::Thumbnail),
                state: FileState::Active,
                last_error: None,
            };
            let id = tx.insert_file_info(&info)?;
            tx.enqueue(id, info.priority, now)?;
        }
        Ok(())
    }
}

/// What recording a batch has gathered so far.
#[derive(Default)]
struct Recorded {
    report: BatchReport,
    published_templates: HashSet<i64>,
    /// Owner keys of thumbnails that cannot be made.
    failed_thumbnails: Vec<String>,
}

fn complete(tx: &mut dyn Tx, job: &Job, worker: &str) -> Result<JobOutcome, StoreError> {
    let outcome = tx.complete_job(job, worker)?;
    match outcome {
        JobOutcome::Done => {}
        JobOutcome::Requeued => debug!(job = job.id, "changed while publishing; queued again"),
        JobOutcome::LostLease => warn!(job = job.id, "lease ran out while publishing; another run owns the job now"),
    }
    Ok(outcome)
}

/// Retries a failed job with exponential back-off, or gives it up after
/// [`MAX_ATTEMPTS`] or when retrying cannot help. A file that cannot be
/// produced at all (a corrupt image) is marked failed so that it is not
/// queued again until its owner changes.
fn record_failure(
    tx: &mut dyn Tx,
    job: &Job,
    worker: &str,
    info: Option<FileInfo>,
    error: &str,
    permanent: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let give_up = permanent || job.attempts >= MAX_ATTEMPTS;
    if let Some(mut info) = info {
        info.last_error = Some(error.to_string());
        if permanent && matches!(info.owner, FileOwner::Thumbnail { .. }) {
            info.state = FileState::Failed;
        }
        tx.update_file_info(&info)?;
    }
    let retry_at = (!give_up).then(|| now + (30i64 << (job.attempts.clamp(1, 8) - 1)).min(3600));
    tx.fail_job(job, worker, error, retry_at)
}

/// After a path is removed, queues any active file info that wants it, so
/// that a file another run wrote there meanwhile is written again.
fn requeue_owner_of(tx: &mut dyn Tx, path: &str, now: Timestamp) -> Result<(), StoreError> {
    if let Some(owner) = tx.file_info_by_path(path)? {
        tx.enqueue(owner.id, owner.priority, now)?;
    }
    Ok(())
}

/// Increments the sync version, which tells a daemon that new pending
/// paths may be waiting.
fn bump_sync_version(tx: &mut dyn Tx) -> Result<(), StoreError> {
    let next = tx.setting("sync_version")?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1;
    tx.set_setting("sync_version", &next.to_string())
}
