//! Distribution: every path written or removed under the site root becomes
//! pending for every target, and each target is brought up to date with
//! rsync on its own.
//!
//! Targets never wait for each other: each has its own pending paths, its
//! own lease (so two `pressrun` processes never sync one target at once),
//! its own retry schedule, and runs in its own thread. Within a target,
//! paths go in tiers (uploaded files and thumbnails, then permalinks, then
//! indexes and archives, then removals), and a tier starts only when the
//! one before it fully arrived, so no page goes live before what it links
//! to.

pub mod rsync;
pub mod ssh;
pub mod target;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use tracing::{error, info, info_span, warn};

use self::rsync::{Exit, Mode, Outcome, Rsync};
use self::ssh::{RemoteShell, ShellSettings};
use self::target::Target;
use crate::archive::DELETE_TIER;
use crate::config::Config;
use crate::model::Timestamp;
use crate::store::{FileState, PendingFile, Store, StoreError, TargetState};
use crate::time::now;

/// Rounds of rsync per target and run. A round sends what is pending; a
/// later round re-checks paths that vanished or changed meanwhile.
const MAX_ROUNDS: usize = 4;

/// How one target fared in one sync pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetResult {
    /// Nothing was pending.
    UpToDate,
    /// Every pending path arrived.
    Synced,
    /// Not attempted now: another process holds it, or it is waiting for
    /// its next retry.
    Skipped(String),
    /// Some paths did not arrive; they stay pending.
    Partial(String),
    Failed(String),
}

impl TargetResult {
    pub fn is_failure(&self) -> bool {
        matches!(self, TargetResult::Partial(_) | TargetResult::Failed(_))
    }
}

/// What one sync pass did for one target.
#[derive(Clone, Debug)]
pub struct TargetReport {
    pub target: String,
    pub result: TargetResult,
    /// Paths sent or deleted.
    pub files: usize,
    pub deleted: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Paths still pending afterwards.
    pub pending: i64,
}

impl TargetReport {
    fn new(target: &Target) -> TargetReport {
        TargetReport {
            target: target.name.clone(),
            result: TargetResult::UpToDate,
            files: 0,
            deleted: 0,
            bytes: 0,
            elapsed: Duration::ZERO,
            pending: 0,
        }
    }
}

/// Errors that stop a sync pass before any target is tried.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rsync(#[from] rsync::RsyncError),
}

/// How a sync pass runs.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    pub worker: String,
    /// Keep ssh connections open between passes.
    pub daemon: bool,
    /// Ignore retry back-off (an explicit request by the user).
    pub force: bool,
    /// Show a progress bar for large copies on a terminal.
    pub progress: bool,
}

/// Syncs the site root to targets.
pub struct Syncer<'a> {
    config: &'a Config,
    store: &'a Store,
    options: SyncOptions,
    /// The site root as rsync sees it: canonical and absolute.
    site_root: PathBuf,
}

impl<'a> Syncer<'a> {
    pub fn new(config: &'a Config, store: &'a Store, options: SyncOptions) -> Syncer<'a> {
        let site_root = config.site_path.canonicalize().unwrap_or_else(|_| config.site_path.clone());
        Syncer { config, store, options, site_root }
    }

    /// Registers configured targets and forgets removed ones. A new target
    /// gets every published file pending, for a full initial copy.
    pub fn register_targets(&self) -> Result<Vec<String>, StoreError> {
        let now = now();
        self.store.write(|tx| {
            let configured: HashSet<&str> = self.config.targets.iter().map(|t| t.name.as_str()).collect();
            for state in tx.target_states()? {
                if !configured.contains(state.name.as_str()) {
                    info!(
                        target = state.name,
                        pending = state.pending,
                        "target removed from the config; its pending paths are dropped"
                    );
                    tx.remove_target(&state.name)?;
                }
            }
            let mut added = Vec::new();
            let infos = tx.file_infos()?;
            for target in &self.config.targets {
                if !tx.add_target(&target.name, now)? {
                    continue;
                }
                for info in infos.iter().filter(|info| info.state != FileState::Retired) {
                    if let Some(path) = &info.published_path {
                        tx.mark_pending_for(&target.name, path, info.tier, now)?;
                    }
                }
                added.push(target.name.clone());
            }
            Ok(added)
        })
    }

    /// Syncs every target, in parallel up to `SyncParallel` at a time.
    pub fn sync_all(&self) -> Vec<TargetReport> {
        let targets = &self.config.targets;
        let limit = match self.config.sync.parallel {
            0 => targets.len(),
            n => n.min(targets.len()),
        };
        let next = AtomicUsize::new(0);
        let reports = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..limit {
                scope.spawn(|| {
                    while let Some(target) = targets.get(next.fetch_add(1, Ordering::SeqCst)) {
                        let report = self.sync_target(target);
                        reports.lock().unwrap_or_else(|e| e.into_inner()).push(report);
                    }
                });
            }
        });
        let mut reports = reports.into_inner().unwrap_or_else(|e| e.into_inner());
        let order: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        reports.sort_by_key(|report| order.iter().position(|name| *name == report.target));
        reports
    }

    /// Syncs one target: claims it, sends its pending paths tier by tier,
    /// records the result and releases it.
    pub fn sync_target(&self, target: &Target) -> TargetReport {
        let span = info_span!("sync", target = %target);
        let _entered = span.enter();
        let started = Instant::now();
        let mut report = TargetReport::new(target);

        match self.try_sync(target, &mut report) {
            Ok(()) => {}
            Err(error) => {
                error!(%error, "sync failed");
                report.result = TargetResult::Failed(crate::error_chain(&error));
            }
        }
        report.elapsed = started.elapsed();
        report.pending = self.pending_count(target).unwrap_or(-1);
        report
    }

    fn try_sync(&self, target: &Target, report: &mut TargetReport) -> Result<(), SyncError> {
        let now = now();
        let state = self.state(target)?;
        if !self.options.force && state.as_ref().is_some_and(|s| s.next_retry > now && s.pending > 0) {
            let at = state.map(|s| s.next_retry).unwrap_or(now);
            report.result = TargetResult::Skipped(format!("waiting to retry in {} s after a failure", at - now));
            return Ok(());
        }
        let lease_until = now + self.config.queue.lease.as_secs() as i64;
        if !self.store.write(|tx| tx.claim_target(&target.name, &self.options.worker, now, lease_until))? {
            report.result = TargetResult::Skipped("another pressrun process is syncing it".to_string());
            return Ok(());
        }

        let rsync = self.rsync_for(target);
        let result = self.sync_rounds(&rsync, target, report);
        let released = self.store.write(|tx| {
            match &result {
                Ok(TargetResult::Partial(message) | TargetResult::Failed(message)) => {
                    let failures = state.as_ref().map_or(0, |s| s.failures);
                    tx.record_sync_failure(&target.name, message, now, now + self.retry_delay(failures))?;
                }
                Ok(TargetResult::Synced) => tx.record_sync_success(&target.name, crate::time::now())?,
                Ok(_) => {}
                Err(_) => {}
            }
            if self.pending_count_tx(tx, target)? == 0 {
                tx.set_initial_copy_done(&target.name)?;
            }
            tx.release_target(&target.name, &self.options.worker)
        });
        if !self.options.daemon {
            if let Some(shell) = &rsync.remote_shell {
                shell.close(target);
            }
        }
        report.result = result?;
        released?;
        Ok(())
    }

    fn state(&self, target: &Target) -> Result<Option<TargetState>, StoreError> {
        Ok(self.store.read(|tx| tx.target_states())?.into_iter().find(|s| s.name == target.name))
    }

    fn pending_count(&self, target: &Target) -> Result<i64, StoreError> {
        self.store.read(|tx| self.pending_count_tx(tx, target))
    }

    fn pending_count_tx(&self, tx: &mut dyn crate::store::Tx, target: &Target) -> Result<i64, StoreError> {
        Ok(tx.target_states()?.into_iter().find(|s| s.name == target.name).map_or(0, |s| s.pending))
    }

    /// Exponential back-off with jitter: the base delay doubles with each
    /// consecutive failure up to the maximum, then a random 50–100 % of it
    /// is taken so that targets that failed together do not retry together.
    fn retry_delay(&self, failures: i64) -> Timestamp {
        let base = self.config.sync.retry_base.as_secs_f64().max(1.0);
        let max = self.config.sync.retry_max.as_secs_f64().max(base);
        let delay = (base * 2f64.powi(failures.clamp(0, 30) as i32)).min(max);
        let jittered = delay * rand::rng().random_range(0.5..=1.0);
        jittered.ceil() as Timestamp
    }

    fn rsync_for(&self, target: &Target) -> Rsync {
        let settings = ShellSettings {
            connect_timeout: self.config.rsync.connect_timeout,
            io_timeout: self.config.rsync.io_timeout,
            control_persist: if self.options.daemon {
                self.config.sync.control_persist
            } else {
                Duration::from_secs(60)
            },
        };
        let user_command = rsync::remote_shell_option(&self.config.rsync.options);
        Rsync {
            settings: self.config.rsync.clone(),
            temp_dir: self.config.temp_dir.clone(),
            target: target.clone(),
            remote_shell: RemoteShell::for_target(target, user_command.as_deref(), &self.config.temp_dir, &settings),
        }
    }

    /// Sends pending paths until none are left, a tier fails, or the round
    /// limit is reached (paths that keep changing wait for the next run).
    fn sync_rounds(
        &self,
        rsync: &Rsync,
        target: &Target,
        report: &mut TargetReport,
    ) -> Result<TargetResult, SyncError> {
        let mut result = TargetResult::UpToDate;
        for _ in 0..MAX_ROUNDS {
            let pending = self.store.read(|tx| tx.pending(&target.name, self.config.sync.batch_size))?;
            if pending.is_empty() {
                break;
            }
            let progress = self.progress_bar(target, report, pending.len());
            for group in self.groups(pending) {
                let outcome = self.send_group(rsync, &group, progress.as_ref())?;
                match outcome {
                    GroupResult::Done { files, deleted, bytes } => {
                        report.files += files;
                        report.deleted += deleted;
                        report.bytes += bytes;
                        result = TargetResult::Synced;
                    }
                    GroupResult::Stopped(stopped) => {
                        if let Some(bar) = progress {
                            bar.abandon();
                        }
                        return Ok(stopped);
                    }
                }
            }
            if let Some(bar) = progress {
                bar.finish_and_clear();
            }
        }
        Ok(result)
    }

    fn progress_bar(&self, target: &Target, report: &TargetReport, pending: usize) -> Option<indicatif::ProgressBar> {
        if !self.options.progress || pending < 200 || report.files > 0 {
            return None;
        }
        let bar = indicatif::ProgressBar::new(pending as u64);
        let style =
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} files, {per_sec}, eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(target.name.clone());
        Some(bar)
    }

    /// Splits pending paths into upload tiers and one removal group, by
    /// whether each path exists under the site root now.
    fn groups(&self, pending: Vec<PendingFile>) -> Vec<Group> {
        let mut tiers: BTreeMap<u8, Vec<PendingFile>> = BTreeMap::new();
        let mut removals = Vec::new();
        for file in pending {
            let absolute = self.site_root.join(&file.path);
            if std::fs::symlink_metadata(&absolute).is_ok_and(|meta| meta.is_file()) {
                tiers.entry(file.tier.min(DELETE_TIER - 1)).or_default().push(file);
            } else if std::fs::symlink_metadata(&absolute).is_ok() {
                // A directory that exists again: nothing to send for it.
                tiers.entry(DELETE_TIER - 1).or_default().push(file);
            } else {
                removals.push(file);
            }
        }
        let mut groups: Vec<Group> = tiers.into_values().map(|files| Group { files, removal: false }).collect();
        if !removals.is_empty() {
            groups.push(Group { files: removals, removal: true });
        }
        groups
    }

    /// Runs rsync for one group and clears what arrived.
    fn send_group(
        &self,
        rsync: &Rsync,
        group: &Group,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<GroupResult, SyncError> {
        let listed = self.listed_paths(group);
        let entries: Vec<Vec<u8>> = listed.iter().map(|path| rsync::list_entry(&self.site_root.join(path))).collect();
        let on_item = |item: &rsync::Item| {
            if let Some(bar) = progress {
                if item.path.len() > self.root_prefix().len() {
                    bar.inc(1);
                }
            }
        };
        let outcome = rsync.run(&entries, Mode::Transfer, &on_item)?;
        let target = rsync.target.name.as_str();
        match &outcome.exit {
            Exit::Success => self.finish_group(target, group, &listed, &outcome),
            Exit::Partial(_) => self.finish_partial(rsync, group, &entries, &outcome),
            _ => {
                let message = outcome.describe();
                warn!(files = entries.len(), %message, "rsync failed; the paths stay pending");
                Ok(GroupResult::Stopped(TargetResult::Failed(message)))
            }
        }
    }

    /// The paths to list for a group. In a removal group, a path whose
    /// parent directory is gone too is replaced by the topmost removed
    /// directory, and paths inside a listed directory are left out: rsync
    /// removes the whole directory (`--force`), while listing a path under
    /// a missing directory would make it report the directory as vanished.
    fn listed_paths(&self, group: &Group) -> Vec<String> {
        if !group.removal {
            return group.files.iter().map(|f| f.path.clone()).collect();
        }
        let mut tops: Vec<String> = group.files.iter().map(|f| self.topmost_missing(&f.path)).collect();
        tops.sort();
        tops.dedup();
        let mut listed: Vec<String> = Vec::new();
        for path in tops {
            let inside_listed = listed.iter().any(|dir| path.starts_with(&format!("{dir}/")));
            if !inside_listed {
                listed.push(path);
            }
        }
        listed
    }

    fn topmost_missing(&self, path: &str) -> String {
        let mut top = path.to_string();
        while let Some((parent, _)) = top.rsplit_once('/') {
            if self.site_root.join(parent).exists() {
                break;
            }
            top = parent.to_string();
        }
        top
    }

    fn root_prefix(&self) -> Vec<u8> {
        rsync::list_entry(&self.site_root)
    }

    /// Checks that rsync reported every uploaded path, then clears the group.
    fn finish_group(
        &self,
        target: &str,
        group: &Group,
        listed: &[String],
        outcome: &Outcome,
    ) -> Result<GroupResult, SyncError> {
        let reported = self.reported_paths(outcome);
        if !group.removal {
            let missing: Vec<&String> = listed.iter().filter(|path| !reported.contains(*path)).collect();
            if !missing.is_empty() {
                let sample: Vec<&str> = missing.iter().take(5).map(|p| p.as_str()).collect();
                let message = format!(
                    "rsync exited 0 but did not report {} of {} listed files (first: {:?}); they stay pending",
                    missing.len(),
                    listed.len(),
                    sample
                );
                error!(%message);
                return Ok(GroupResult::Stopped(TargetResult::Failed(message)));
            }
        }
        self.store.write(|tx| tx.clear_pending(target, &group.files))?;
        let changed =
            outcome.items.iter().filter(|item| item.is_change() && !item.is_dir && self.relative(&item.path).is_some());
        let (deleted, files) =
            changed.fold((0, 0), |(d, f), item| if item.is_deletion() { (d + 1, f) } else { (d, f + 1) });
        Ok(GroupResult::Done { files, deleted, bytes: outcome.bytes() })
    }

    /// After a partial transfer (rsync exit 23 or 24), asks rsync with a
    /// dry run which listed paths still differ on the target. Those stay
    /// pending; the rest are cleared.
    fn finish_partial(
        &self,
        rsync: &Rsync,
        group: &Group,
        entries: &[Vec<u8>],
        outcome: &Outcome,
    ) -> Result<GroupResult, SyncError> {
        let check = rsync.run(entries, Mode::DryRun, &|_| {})?;
        if !matches!(check.exit, Exit::Success | Exit::Partial(_)) {
            let message = format!("{}; the check that followed failed too: {}", outcome.describe(), check.describe());
            return Ok(GroupResult::Stopped(TargetResult::Failed(message)));
        }
        let differing: HashSet<String> =
            check.items.iter().filter(|item| item.is_change()).filter_map(|item| self.relative(&item.path)).collect();
        let differs = |path: &str| differing.iter().any(|d| d == path || path.starts_with(&format!("{d}/")));
        let (failed, arrived): (Vec<PendingFile>, Vec<PendingFile>) =
            group.files.iter().cloned().partition(|file| differs(&file.path) || self.vanished(file, group));
        self.store.write(|tx| tx.clear_pending(&rsync.target.name, &arrived))?;

        let names: Vec<&str> = failed.iter().take(10).map(|file| file.path.as_str()).collect();
        let message =
            format!("{}; {} paths did not arrive and stay pending: {:?}", outcome.describe(), failed.len(), names);
        warn!(%message);
        if failed.is_empty() {
            return Ok(GroupResult::Done { files: arrived.len(), deleted: 0, bytes: outcome.bytes() });
        }
        Ok(GroupResult::Stopped(TargetResult::Partial(message)))
    }

    /// A path listed for upload that no longer exists locally: it stays
    /// pending so that the next round deletes it on the target.
    fn vanished(&self, file: &PendingFile, group: &Group) -> bool {
        !group.removal && !self.site_root.join(&file.path).exists()
    }

    /// The site-relative path of a path rsync reported, or `None` for a
    /// directory above the site root.
    fn relative(&self, reported: &[u8]) -> Option<String> {
        let prefix = self.root_prefix();
        let rest = reported.strip_prefix(prefix.as_slice())?.strip_prefix(b"/")?;
        String::from_utf8(rest.to_vec()).ok()
    }

    fn reported_paths(&self, outcome: &Outcome) -> HashSet<String> {
        outcome.items.iter().filter_map(|item| self.relative(&item.path)).collect()
    }

    pub fn site_root(&self) -> &Path {
        &self.site_root
    }

    /// Closes the shared ssh connections of every target.
    pub fn close_connections(&self) {
        for target in &self.config.targets {
            if let Some(shell) = self.rsync_for(target).remote_shell {
                shell.close(target);
            }
        }
    }
}

/// Paths synced by one rsync run.
struct Group {
    files: Vec<PendingFile>,
    removal: bool,
}

enum GroupResult {
    Done {
        files: usize,
        deleted: usize,
        bytes: u64,
    },
    /// The target is not synced further in this pass.
    Stopped(TargetResult),
}
