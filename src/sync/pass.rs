//! One sync pass for one target: pending paths are grouped into tiers and
//! removals, each group is sent with one rsync run, and what arrived is
//! cleared.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use tracing::{error, info, warn};

use super::rsync::{self, Exit, Item, Mode, Outcome, Rsync};
use super::{SyncError, Syncer, TargetReport, TargetResult};
use crate::archive::DELETE_TIER;
use crate::config::DeleteFallback;
use crate::store::PendingFile;

/// Rounds of rsync per target and pass. A round sends what is pending; a
/// later round re-checks paths that vanished or changed meanwhile.
const MAX_ROUNDS: usize = 4;

/// The stored name of each way of sending removals.
pub const DELETE_MISSING_ARGS: &str = "delete-missing-args";
pub const DIRECTORY_DELETE: &str = "directory-delete";
pub const UNSUPPORTED: &str = "unsupported";

/// Paths synced by one rsync run.
struct Group {
    files: Vec<PendingFile>,
    removal: bool,
}

enum GroupResult {
    /// `vanished` counts files removed locally while rsync sent them.
    Done { files: usize, deleted: usize, bytes: u64, vanished: usize },
    /// The target is not synced further in this pass.
    Stopped(TargetResult),
}

/// The state of one target's pass.
pub struct TargetPass<'a> {
    syncer: &'a Syncer<'a>,
    rsync: Rsync,
    /// Whether the remote rsync accepts `--delete-missing-args`. It is
    /// assumed until the remote rejects the option.
    delete_missing: bool,
    /// The capability found in this pass, to store afterwards.
    pub found_method: Option<&'static str>,
    progress: Option<indicatif::ProgressBar>,
}

impl<'a> TargetPass<'a> {
    pub fn new(syncer: &'a Syncer<'a>, rsync: Rsync) -> TargetPass<'a> {
        TargetPass { syncer, rsync, delete_missing: true, found_method: None, progress: None }
    }

    /// Sends pending paths until none are left, a group fails, or the round
    /// limit is reached (paths that keep changing wait for the next pass).
    pub fn run(&mut self, report: &mut TargetReport) -> Result<TargetResult, SyncError> {
        let mut result = TargetResult::UpToDate;
        for _ in 0..MAX_ROUNDS {
            let name = self.rsync.target.name.clone();
            let (mut pending, held) = self.syncer.store.read(|tx| {
                Ok::<_, crate::store::StoreError>((
                    tx.pending(&name, self.syncer.config.sync.batch_size)?,
                    tx.held_paths(&name)?,
                ))
            })?;
            if !held.is_empty() {
                info!(held = held.len(), "pages wait for the files they link to");
                let held: HashSet<String> = held.into_iter().collect();
                pending.retain(|file| !held.contains(&file.path));
            }
            if pending.is_empty() {
                break;
            }
            self.progress = self.progress_bar(report, pending.len());
            for group in self.groups(pending) {
                match self.send_group(&group)? {
                    GroupResult::Done { files, deleted, bytes, vanished } => {
                        report.files += files;
                        report.deleted += deleted;
                        report.bytes += bytes;
                        report.vanished += vanished;
                        result = TargetResult::Synced;
                    }
                    GroupResult::Stopped(stopped) => {
                        if let Some(bar) = self.progress.take() {
                            bar.abandon();
                        }
                        return Ok(stopped);
                    }
                }
            }
            if let Some(bar) = self.progress.take() {
                bar.finish_and_clear();
            }
        }
        Ok(result)
    }

    fn progress_bar(&self, report: &TargetReport, pending: usize) -> Option<indicatif::ProgressBar> {
        if !self.syncer.options.progress || pending < 200 || report.files > 0 {
            return None;
        }
        let bar = indicatif::ProgressBar::new(pending as u64);
        let style =
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} files, {per_sec}, eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(self.rsync.target.name.clone());
        Some(bar)
    }

    /// Splits pending paths into upload tiers and one removal group, by
    /// whether each path exists under the site root now.
    fn groups(&self, pending: Vec<PendingFile>) -> Vec<Group> {
        let mut tiers: BTreeMap<u8, Vec<PendingFile>> = BTreeMap::new();
        let mut removals = Vec::new();
        for file in pending {
            match std::fs::symlink_metadata(self.site_root().join(&file.path)) {
                Ok(meta) if meta.is_file() => tiers.entry(file.tier.min(DELETE_TIER - 1)).or_default().push(file),
                // A directory that exists again: nothing to send for it.
                Ok(_) => tiers.entry(DELETE_TIER - 1).or_default().push(file),
                Err(_) => removals.push(file),
            }
        }
        let mut groups: Vec<Group> = tiers.into_values().map(|files| Group { files, removal: false }).collect();
        if !removals.is_empty() {
            groups.push(Group { files: removals, removal: true });
        }
        groups
    }

    fn site_root(&self) -> &Path {
        &self.syncer.site_root
    }

    /// Runs rsync for one group and clears what arrived.
    fn send_group(&mut self, group: &Group) -> Result<GroupResult, SyncError> {
        if group.removal && !self.delete_missing {
            return self.send_removals_without_delete_missing(group);
        }
        let listed = self.listed_paths(group);
        let entries = self.entries(&listed);
        let mut outcome =
            self.rsync.run(&entries, Mode::Transfer { delete_missing: self.delete_missing }, &self.on_item())?;
        if self.delete_missing && outcome.lacks_delete_missing_args() {
            warn!(target = %self.rsync.target, "the remote rsync does not support --delete-missing-args (rsync 3.1.0 or newer needed)");
            self.delete_missing = false;
            self.found_method = Some(UNSUPPORTED);
            if group.removal {
                return self.send_removals_without_delete_missing(group);
            }
            outcome = self.rsync.run(&entries, Mode::Transfer { delete_missing: false }, &self.on_item())?;
        } else if self.delete_missing && self.found_method.is_none() && outcome.exit == Exit::Success {
            self.found_method = Some(DELETE_MISSING_ARGS);
        }
        match &outcome.exit {
            Exit::Success => self.finish_group(group, &listed, &outcome),
            Exit::Partial(_) => self.finish_partial(group, &entries, &outcome),
            _ => {
                let message = outcome.describe();
                warn!(files = entries.len(), %message, "rsync failed; the paths stay pending");
                Ok(GroupResult::Stopped(TargetResult::Failed(message)))
            }
        }
    }

    fn on_item(&self) -> impl Fn(&Item) + Sync + '_ {
        let prefix_len = rsync::list_entry(self.site_root()).len();
        move |item: &Item| {
            if let Some(bar) = &self.progress {
                if !item.is_dir && item.path.len() > prefix_len {
                    bar.inc(1);
                }
            }
        }
    }

    fn entries(&self, listed: &[String]) -> Vec<Vec<u8>> {
        listed.iter().map(|path| rsync::list_entry(&self.site_root().join(path))).collect()
    }

    /// Sends removals to a target whose rsync lacks `--delete-missing-args`.
    /// With `SyncDeleteFallback directory`, each parent directory is synced
    /// with `--delete`. Otherwise the removals fail and stay pending, because
    /// reporting them as done would leave the files on the target.
    fn send_removals_without_delete_missing(&mut self, group: &Group) -> Result<GroupResult, SyncError> {
        if self.syncer.config.sync.delete_fallback != DeleteFallback::Directory {
            let message = format!(
                "the remote rsync does not support --delete-missing-args (rsync 3.1.0 or newer is needed), so {} \
                 removals stay pending; upgrade rsync on the target or set SyncDeleteFallback directory",
                group.files.len()
            );
            error!(%message);
            return Ok(GroupResult::Stopped(TargetResult::Failed(message)));
        }
        self.found_method = Some(DIRECTORY_DELETE);
        let dirs = self.parent_dirs(group);
        let entries: Vec<Vec<u8>> = dirs
            .iter()
            .map(|dir| {
                let mut entry = rsync::list_entry(&self.site_root().join(dir));
                entry.extend_from_slice(b"/.");
                entry
            })
            .collect();
        let outcome = self.rsync.run(&entries, Mode::DirectoryDelete, &self.on_item())?;
        match outcome.exit {
            Exit::Success => self.finish_group(group, &[], &outcome),
            _ => Ok(GroupResult::Stopped(TargetResult::Failed(outcome.describe()))),
        }
    }

    /// The nearest existing directory above each removed path (the site
    /// root at most), without duplicates.
    fn parent_dirs(&self, group: &Group) -> Vec<String> {
        let mut dirs: Vec<String> = group
            .files
            .iter()
            .map(|file| {
                let top = self.topmost_missing(&file.path);
                top.rsplit_once('/').map_or(String::new(), |(parent, _)| parent.to_string())
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs.into_iter().map(|dir| if dir.is_empty() { ".".to_string() } else { dir }).collect()
    }

    /// Lists the paths of a group. In a removal group, a path whose parent
    /// directory is gone too is replaced by the topmost removed directory,
    /// and paths inside a listed directory are left out. rsync removes the
    /// whole directory (`--force`), and a path listed under a missing
    /// directory would make it report the directory as vanished.
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
            if self.site_root().join(parent).exists() {
                break;
            }
            top = parent.to_string();
        }
        top
    }

    /// Checks that rsync reported every uploaded path, then clears the group.
    fn finish_group(&self, group: &Group, listed: &[String], outcome: &Outcome) -> Result<GroupResult, SyncError> {
        if !group.removal {
            let reported = self.reported_paths(outcome);
            let missing: Vec<&String> = listed.iter().filter(|path| !reported.contains(*path)).collect();
            if !missing.is_empty() {
                let sample: Vec<&str> = missing.iter().take(5).map(|p| p.as_str()).collect();
                let message = format!(
                    "rsync exited 0 but did not report {} of {} listed files (first: {sample:?}); they stay pending",
                    missing.len(),
                    listed.len(),
                );
                error!(%message);
                return Ok(GroupResult::Stopped(TargetResult::Failed(message)));
            }
        }
        let target = &self.rsync.target.name;
        self.syncer.store.write(|tx| tx.clear_pending(target, &group.files))?;
        let changed =
            outcome.items.iter().filter(|item| item.is_change() && !item.is_dir && self.relative(&item.path).is_some());
        let (deleted, files) =
            changed.fold((0, 0), |(d, f), item| if item.is_deletion() { (d + 1, f) } else { (d, f + 1) });
        Ok(GroupResult::Done { files, deleted, bytes: outcome.bytes(), vanished: 0 })
    }

    /// Runs a dry run after a partial transfer (rsync exit 23 or 24) to find
    /// which listed paths still differ on the target. Those stay pending,
    /// and the rest are cleared.
    fn finish_partial(&self, group: &Group, entries: &[Vec<u8>], outcome: &Outcome) -> Result<GroupResult, SyncError> {
        let check = self.rsync.run(entries, Mode::DryRun { delete_missing: self.delete_missing }, &|_| {})?;
        if !matches!(check.exit, Exit::Success | Exit::Partial(_)) {
            let message = format!("{}; the check that followed failed too: {}", outcome.describe(), check.describe());
            return Ok(GroupResult::Stopped(TargetResult::Failed(message)));
        }
        let differing: HashSet<String> =
            check.items.iter().filter(|item| item.is_change()).filter_map(|item| self.relative(&item.path)).collect();
        let differs = |path: &str| differing.iter().any(|d| d == path || path.starts_with(&format!("{d}/")));
        let vanished = |file: &PendingFile| !group.removal && !self.site_root().join(&file.path).exists();
        // A file marked pending again while rsync ran was rewritten locally,
        // so it differs on the target because it is newer, not because the
        // target failed. The next round sends the new version.
        let target = &self.rsync.target.name;
        let batch_size = self.syncer.config.sync.batch_size;
        let current: HashMap<String, i64> = self
            .syncer
            .store
            .read(|tx| tx.pending(target, batch_size))?
            .into_iter()
            .map(|f| (f.path, f.version))
            .collect();
        let rewritten = |file: &PendingFile| current.get(&file.path).is_some_and(|version| *version != file.version);
        let mut arrived = Vec::new();
        let mut gone = Vec::new();
        let mut failed = Vec::new();
        for file in group.files.iter().cloned() {
            if vanished(&file) || rewritten(&file) {
                gone.push(file);
            } else if differs(&file.path) {
                failed.push(file);
            } else {
                arrived.push(file);
            }
        }
        self.syncer.store.write(|tx| tx.clear_pending(target, &arrived))?;

        if failed.is_empty() {
            // Files removed or rewritten locally during the transfer stay
            // pending, and the next round sends their current state.
            info!(changed = gone.len(), "partial transfer; files that changed meanwhile are checked again");
            return Ok(GroupResult::Done {
                files: arrived.len(),
                deleted: 0,
                bytes: outcome.bytes(),
                vanished: gone.len(),
            });
        }
        let names: Vec<&str> = failed.iter().take(10).map(|file| file.path.as_str()).collect();
        let message =
            format!("{}; {} paths did not arrive and stay pending: {names:?}", outcome.describe(), failed.len());
        warn!(%message);
        Ok(GroupResult::Stopped(TargetResult::Partial(message)))
    }

    /// The site-relative path of a path rsync reported, or `None` for a
    /// directory above the site root.
    fn relative(&self, reported: &[u8]) -> Option<String> {
        let prefix = rsync::list_entry(self.site_root());
        let rest = reported.strip_prefix(prefix.as_slice())?.strip_prefix(b"/")?;
        String::from_utf8(rest.to_vec()).ok()
    }

    fn reported_paths(&self, outcome: &Outcome) -> HashSet<String> {
        outcome.items.iter().filter_map(|item| self.relative(&item.path)).collect()
    }
}
