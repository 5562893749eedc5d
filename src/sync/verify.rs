//! Checking a target against the site root, and repairing drift.
//!
//! rsync compares the two trees with checksums in a dry run; its itemized
//! output names every path that is missing on the target, differs from the
//! site root, or exists only on the target. Repair marks those paths
//! pending, so the next sync sends or removes them like any other change.

use tracing::info;

use super::rsync::{Exit, Item};
use super::target::Target;
use super::{SyncError, Syncer};
use crate::archive::DELETE_TIER;
use crate::time::now;

/// How one target differs from the site root. Paths are relative to the
/// site root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    pub missing: Vec<String>,
    pub different: Vec<String>,
    pub extra: Vec<String>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.different.is_empty() && self.extra.is_empty()
    }

    fn add(&mut self, item: &Item) {
        let Ok(path) = String::from_utf8(item.path.clone()) else { return };
        let path = path.trim_start_matches("./").to_string();
        if path.is_empty() || path == "." {
            return;
        }
        if item.is_deletion() {
            self.extra.push(path);
        } else if item.is_dir {
            // Directories are created on the way when their files are sent.
        } else if item.change.get(1..) == Some("f+++++++++") {
            // `<` when rsync sends to a remote target, `>` for a local one.
            self.missing.push(path);
        } else if item.change.starts_with("<f") || item.change.starts_with(">f") {
            self.different.push(path);
        }
    }
}

impl Syncer<'_> {
    /// Compares `target` with the site root.
    pub fn verify(&self, target: &Target) -> Result<Drift, SyncError> {
        let rsync = self.rsync_for(target);
        let outcome = rsync.run_verify(&self.site_root);
        if let Some(shell) = &rsync.remote_shell {
            shell.close(target);
        }
        let outcome = outcome?;
        if outcome.exit != Exit::Success {
            return Err(SyncError::Verify { target: target.name.clone(), message: outcome.describe() });
        }
        let mut drift = Drift::default();
        for item in &outcome.items {
            drift.add(item);
        }
        Ok(drift)
    }

    /// Marks every drifted path pending for `target`: missing and different
    /// files to be sent, extra paths to be removed. Returns how many.
    pub fn repair(&self, target: &Target, drift: &Drift) -> Result<usize, SyncError> {
        let now = now();
        let count = self.store.write(|tx| {
            tx.add_target(&target.name, now)?;
            let mut count = 0;
            for path in drift.missing.iter().chain(&drift.different) {
                let tier = tx.file_info_by_path(path)?.map_or(DELETE_TIER - 1, |info| info.tier);
                tx.mark_pending_for(&target.name, path, tier, now)?;
                count += 1;
            }
            for path in &drift.extra {
                tx.mark_pending_for(&target.name, path, DELETE_TIER, now)?;
                count += 1;
            }
            Ok::<_, crate::store::StoreError>(count)
        })?;
        info!(target = %target, count, "queued repairs");
        Ok(count)
    }
}
