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

mod pass;
pub mod rsync;
pub mod ssh;
pub mod target;
pub mod verify;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use tracing::{error, info, info_span};

use self::pass::TargetPass;
use self::rsync::Rsync;
use self::ssh::{RemoteShell, ShellSettings};
use self::target::Target;
use crate::config::Config;
use crate::model::Timestamp;
use crate::store::{FileState, Store, StoreError, TargetState};
use crate::time::now;

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
    /// Files removed or rewritten locally while rsync was sending them
    /// (rsync exit 24); each is checked again in the next round.
    pub vanished: usize,
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
            vanished: 0,
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
    #[error("cannot compare {target} with the site root: {message}")]
    Verify { target: String, message: String },
}

/// How a sync pass runs.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    pub worker: String,
    /// Keep ssh connections open between passes.
    pub daemon: bool,
    /// Try failed targets now instead of waiting for their next retry.
    pub retry_now: bool,
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
        if !self.options.retry_now && state.as_ref().is_some_and(|s| s.next_retry > now && s.pending > 0) {
            let at = state.map(|s| s.next_retry).unwrap_or(now);
            report.result = TargetResult::Skipped(format!(
                "waiting to retry in {} s after a failure (--retry-now tries at once)",
                at - now
            ));
            return Ok(());
        }
        let lease_until = now + self.config.queue.lease.as_secs() as i64;
        if !self.store.write(|tx| tx.claim_target(&target.name, &self.options.worker, now, lease_until))? {
            report.result = TargetResult::Skipped("another pressrun process is syncing it".to_string());
            return Ok(());
        }

        let rsync = self.rsync_for(target);
        let shell = rsync.remote_shell.clone();
        let mut pass = TargetPass::new(self, rsync);
        let result = pass.run(report);
        let released = self.store.write(|tx| {
            let failures = state.as_ref().map_or(0, |s| s.failures);
            match &result {
                Ok(TargetResult::Partial(message) | TargetResult::Failed(message)) => {
                    tx.record_sync_failure(&target.name, message, now, now + self.retry_delay(failures))?;
                }
                Ok(TargetResult::Synced) => tx.record_sync_success(&target.name, crate::time::now())?,
                // Nothing was pending: a target that failed before has
                // nothing left to catch up on.
                Ok(TargetResult::UpToDate) if failures > 0 => tx.record_sync_success(&target.name, now)?,
                Ok(_) | Err(_) => {}
            }
            if let Some(method) = pass.found_method {
                tx.set_delete_method(&target.name, method)?;
            }
            if self.pending_count_tx(tx, target)? == 0 {
                tx.set_initial_copy_done(&target.name)?;
            }
            tx.release_target(&target.name, &self.options.worker)
        });
        if !self.options.daemon {
            if let Some(shell) = shell {
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

    pub(crate) fn rsync_for(&self, target: &Target) -> Rsync {
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
