//! The pressrun side of a run: init, import, build, then sync to two
//! local targets, each step through the real binary.

use std::path::Path;

use crate::common::process::Measured;
use crate::common::site::{self, Site};
use crate::common::tree;

/// Number of local sync targets.
const TARGETS: usize = 2;

/// Timings and output counts of the pressrun steps of one run.
pub struct PressrunResult {
    pub import: Measured,
    /// `publish --all`, which queues every file.
    pub queue: Measured,
    /// `run-periodic-tasks --workers publish`, which renders and writes them.
    pub publish: Measured,
    /// Sum of the batch times that `--verbose` reports.
    pub batch_seconds: f64,
    /// Files under the site root after the build.
    pub files: usize,
    pub bytes: u64,
    /// `run-periodic-tasks --workers sync` to every target at once.
    pub sync: Measured,
    /// Files that each target reported as sent.
    pub sent_per_target: Vec<usize>,
}

impl PressrunResult {
    /// Wall time of the build: queueing plus publishing.
    pub fn build_seconds(&self) -> f64 {
        self.queue.seconds + self.publish.seconds
    }
}

/// Builds the site from `export` in the fresh directory `dir` and syncs it,
/// checking that the site root has `expected_files` files and that every
/// target ends up equal to it.
pub fn run(dir: &Path, export: &Path, expected_files: usize) -> anyhow::Result<PressrunResult> {
    let site = Site::init(dir)?;
    let build = site.build(export, expected_files)?;
    let batch_seconds = site::publish_counts(&build.publish.stderr).seconds;

    let targets = site::create_target_dirs(dir, "target", TARGETS)?;
    let lines: String = targets.iter().map(|target| format!("SyncTarget {}\n", target.display())).collect();
    site.append_config(&lines)?;
    let sync = site.run("run-sync", &["run-periodic-tasks", "--verbose", "--workers", "sync"])?;
    let sent_per_target = site::sync_lines(&sync.stderr).iter().map(|line| line.sent).collect();
    for target in &targets {
        tree::compare_trees(&site.root, &site.copy_in(target))?;
    }
    Ok(PressrunResult {
        files: build.files.len(),
        bytes: build.bytes(),
        import: build.import,
        queue: build.queue,
        publish: build.publish,
        batch_seconds,
        sync,
        sent_per_target,
    })
}
