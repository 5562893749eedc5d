//! `run-periodic-tasks`: drains the queue (publish) and brings every target
//! up to date (sync), once or as a daemon.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::change::{self, ChangeSet};
use crate::config::Config;
use crate::model::Status;
use crate::publish::{BatchReport, PublishError, Publisher};
use crate::site_root::SiteRoot;
use crate::snapshot::SiteSettings;
use crate::store::{Store, StoreError};
use crate::sync::{SyncOptions, Syncer, TargetReport, TargetResult};
use crate::time::now;

/// Which kinds of work a run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workers {
    pub publish: bool,
    pub sync: bool,
}

/// Options of `run-periodic-tasks`.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub daemon: bool,
    /// Pause between passes of a daemon that found nothing to do.
    pub sleep: Duration,
    /// Jobs per publish batch; `None` uses `PublishBatchSize`.
    pub load: Option<usize>,
    pub workers: Workers,
    pub verbose: bool,
    /// Show progress bars (stderr is a terminal).
    pub progress: bool,
    /// Try failed targets now instead of waiting for their next retry.
    pub retry_now: bool,
}

/// Totals of a run.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub published: BatchReport,
    pub targets: Vec<TargetReport>,
    /// Whether any job or target failed.
    pub failed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// A name for this process in leases: `host:pid:start:random`, where
/// `start` is the process start time, so a reused process id is never
/// mistaken for the process that held a lease.
pub fn worker_id() -> String {
    let pid = std::process::id();
    let start = process_start_time(pid).unwrap_or_default();
    format!("{}:{pid}:{start}:{:08x}", host_name(), rand::random::<u32>())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default().trim().to_string()
}

/// The start time of a process in clock ticks since boot (field 22 of
/// `/proc/PID/stat`), or `None` when there is no such process.
fn process_start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; the fields after it
    // start after the last ')'.
    let after_name = &stat[stat.rfind(')')? + 2..];
    after_name.split(' ').nth(19).map(str::to_string)
}

/// Whether a worker id names a process on this host that is no longer
/// running.
fn is_dead_local_worker(worker: &str) -> bool {
    let mut parts = worker.split(':');
    let (Some(host), Some(pid), Some(start)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    host == host_name() && process_start_time(pid).as_deref() != Some(start)
}

/// Releases the jobs and targets of processes on this host that died
/// without releasing them (killed, or the machine rebooted), so their work
/// is taken up at once instead of when their leases run out.
pub fn release_dead_workers(store: &Store) -> Result<usize, StoreError> {
    store.write(|tx| {
        let dead: Vec<String> = tx.active_workers(now())?.into_iter().filter(|w| is_dead_local_worker(w)).collect();
        for worker in &dead {
            warn!(worker, "releasing the jobs and targets of a pressrun process that is gone");
            tx.release_jobs(worker)?;
        }
        Ok(dead.len())
    })
}

/// Runs publish and sync passes until the queue and the targets are done
/// (once), or until `shutdown` is set (daemon).
pub fn run_periodic_tasks(
    config: &Config,
    store: &Store,
    settings: &SiteSettings,
    options: &RunOptions,
    shutdown: &AtomicBool,
) -> Result<RunSummary, RunError> {
    let worker = worker_id();
    release_dead_workers(store)?;
    let keeper = LeaseKeeper::start(config, &worker);
    let site = SiteRoot::new(&config.site_path);
    site.create().map_err(PublishError::from)?;
    if options.workers.publish {
        let removed = site.remove_stale_temp_files(config.queue.lease).map_err(PublishError::from)?;
        if removed > 0 {
            info!(removed, "removed temporary files left by an interrupted run");
        }
    }

    let batch_size = options.load.unwrap_or(config.queue.batch_size).max(1);
    let mut publisher = Publisher::new(store, config, settings.clone(), worker.clone(), batch_size);
    let sync_options = SyncOptions {
        worker: worker.clone(),
        daemon: options.daemon,
        retry_now: options.retry_now,
        progress: options.progress,
    };
    let syncer = Syncer::new(config, store, sync_options);
    let mut summary = RunSummary::default();

    let result = loop {
        let pass = run_pass(store, settings, &mut publisher, &syncer, options, &mut summary);
        let busy = match pass {
            Ok(busy) => busy,
            Err(error) if options.daemon => {
                error!(%error, "pass failed; retrying after the sleep interval");
                false
            }
            Err(error) => break Err(error),
        };
        if !options.daemon || shutdown.load(Ordering::SeqCst) {
            break Ok(());
        }
        if !busy {
            sleep_unless(shutdown, options.sleep);
        }
        if shutdown.load(Ordering::SeqCst) {
            break Ok(());
        }
    };

    keeper.stop();
    let _ = store.write(|tx| tx.release_jobs(&worker));
    if result.is_ok() && options.workers.publish {
        report_unpublished(store, &mut summary)?;
    }
    if options.daemon {
        syncer.close_connections();
    }
    result.map(|()| summary)
}

/// One publish pass and one sync pass. Returns whether there was work.
fn run_pass(
    store: &Store,
    settings: &SiteSettings,
    publisher: &mut Publisher<'_>,
    syncer: &Syncer<'_>,
    options: &RunOptions,
    summary: &mut RunSummary,
) -> Result<bool, RunError> {
    let mut busy = false;
    if options.workers.publish {
        busy |= publish_due_scheduled(store, settings)? > 0;
        while let Some(report) = publisher.run_batch()? {
            busy = true;
            if options.verbose {
                eprintln!("{}", describe_batch(&report));
            }
            summary.failed |= !report.failures.is_empty();
            add_batch(&mut summary.published, report);
        }
    }
    if options.workers.sync {
        for name in syncer.register_targets()? {
            info!(target = name, "new target; every published file is pending for its initial copy");
        }
        let reports = syncer.sync_all();
        for report in &reports {
            busy |= report.files + report.deleted > 0;
            summary.failed |= report.result.is_failure()
                || matches!(report.result, TargetResult::Skipped(ref why) if why.starts_with("waiting"));
            // A daemon reports only passes that did something or failed.
            let idle = matches!(report.result, TargetResult::UpToDate);
            if options.verbose && !(options.daemon && idle) {
                eprintln!("{}", describe_target(report));
            }
        }
        summary.targets = reports;
    }
    Ok(busy)
}

/// Fails the run when files could not be published, whether in this run
/// or before, because the site does not match its content until they are fixed.
/// A thumbnail that cannot be made from its image does not count, since
/// pages link to the original instead.
fn report_unpublished(store: &Store, summary: &mut RunSummary) -> Result<(), StoreError> {
    let broken: Vec<String> = store
        .read(|tx| tx.file_infos_with_errors())?
        .into_iter()
        .filter(|info| info.state == crate::store::FileState::Active)
        .filter_map(|info| info.path)
        .collect();
    if !broken.is_empty() {
        eprintln!(
            "error: {} could not be published (first: {}); `pressrun status` shows why",
            crate::cli::count(broken.len() as i64, "file"),
            broken[0]
        );
        summary.failed = true;
    }
    Ok(())
}

/// Publishes scheduled entries whose time has come, each as one change.
pub fn publish_due_scheduled(store: &Store, settings: &SiteSettings) -> Result<usize, StoreError> {
    let now = now();
    store.write(|tx| {
        let due = tx.due_scheduled_entries(now)?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut befores = Vec::new();
        for id in &due {
            let Some(before) = tx.entry(*id)? else { continue };
            let after = crate::model::Entry { status: Status::Published, modified_on: now, ..before.clone() };
            tx.update_entry(&after)?;
            befores.push((before, after));
        }
        let snapshot = crate::snapshot::Snapshot::load(tx, settings.clone())?;
        let mut changes = ChangeSet::default();
        for (before, after) in &befores {
            changes.entry_changed(Some(before), Some(after), &snapshot);
        }
        change::commit_with(tx, &snapshot, &changes, now)?;
        info!(entries = befores.len(), "published scheduled entries");
        Ok(befores.len())
    })
}

fn add_batch(total: &mut BatchReport, report: BatchReport) {
    total.claimed += report.claimed;
    total.written += report.written;
    total.unchanged += report.unchanged;
    total.removed += report.removed;
    total.postponed += report.postponed;
    total.elapsed += report.elapsed;
    total.failures.extend(report.failures);
}

/// One line about a publish batch, for `--verbose`.
pub fn describe_batch(report: &BatchReport) -> String {
    let mut line = format!(
        "published {} jobs: {} written, {} unchanged, {} removed in {:.2} s",
        report.claimed,
        report.written,
        report.unchanged,
        report.removed,
        report.elapsed.as_secs_f64()
    );
    if report.postponed > 0 {
        line.push_str(&format!(", {} postponed", report.postponed));
    }
    for (path, error) in &report.failures {
        line.push_str(&format!("\n  failed {path}: {error}"));
    }
    line
}

/// One line about a target, for `--verbose`: files, bytes and seconds.
pub fn describe_target(report: &TargetReport) -> String {
    let mut amount = format!(
        "{} files sent, {} deleted, {} bytes in {:.2} s",
        report.files,
        report.deleted,
        report.bytes,
        report.elapsed.as_secs_f64()
    );
    if report.vanished > 0 {
        amount.push_str(&format!(
            " ({} files changed or vanished during the transfer and were checked again)",
            report.vanished
        ));
    }
    match &report.result {
        TargetResult::UpToDate => format!("sync {}: up to date", report.target),
        TargetResult::Synced => format!("sync {}: {amount}", report.target),
        TargetResult::Skipped(why) => format!("sync {}: skipped, {why} ({} pending)", report.target, report.pending),
        TargetResult::Partial(why) | TargetResult::Failed(why) => {
            format!("sync {}: FAILED after {amount}: {why} ({} pending)", report.target, report.pending)
        }
    }
}

fn sleep_unless(shutdown: &AtomicBool, duration: Duration) {
    let started = Instant::now();
    while started.elapsed() < duration && !shutdown.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(100).min(duration));
    }
}

/// Renews this process's job and target leases in the background, so a
/// batch or an rsync run longer than one lease is not taken over by
/// another process.
struct LeaseKeeper {
    stop: std::sync::mpsc::Sender<()>,
    handle: Option<thread::JoinHandle<()>>,
}

impl LeaseKeeper {
    fn start(config: &Config, worker: &str) -> LeaseKeeper {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let lease = config.queue.lease;
        let database = config.database.clone();
        let worker = worker.to_string();
        let handle = thread::spawn(move || {
            let store = match Store::open_sqlite(&database) {
                Ok(store) => store,
                Err(error) => {
                    warn!(%error, "cannot open the store to renew leases");
                    return;
                }
            };
            // Waiting on the channel wakes at once when the run ends.
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(lease / 3) {
                let until = now() + lease.as_secs() as i64;
                let renewed = store.write(|tx| {
                    Ok::<_, StoreError>(tx.renew_job_leases(&worker, until)? + tx.renew_target_leases(&worker, until)?)
                });
                if let Err(error) = renewed {
                    warn!(%error, "cannot renew leases");
                }
            }
        });
        LeaseKeeper { stop, handle: Some(handle) }
    }

    fn stop(mut self) {
        let _ = self.stop.send(());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
