//! The pressrun side of a run: init, import, build, then sync to two
//! local targets, each step through the real binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{self, Measured};
use crate::tree;

pub const PRESSRUN: &str = env!("CARGO_BIN_EXE_pressrun");

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

/// A site made by `pressrun init`.
struct Site {
    config: PathBuf,
    root: PathBuf,
    logs: PathBuf,
}

impl Site {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(PRESSRUN);
        command.arg("--config").arg(&self.config).args(args);
        command.env_remove("PRESSRUN_CONFIG").env_remove("PRESSRUN_LOG");
        command
    }

    fn run(&self, name: &str, args: &[&str]) -> anyhow::Result<Measured> {
        process::run(&mut self.command(args), &self.logs, name)
    }
}

/// Builds the site from `export` in the fresh directory `dir` and syncs it,
/// checking that the site root has `expected_files` files and that every
/// target ends up equal to it.
pub fn run(dir: &Path, export: &Path, expected_files: usize) -> anyhow::Result<PressrunResult> {
    let site = init(dir)?;
    let import = site.run("import", &["import", "--format", "mt", path_str(export)?])?;
    let queue = site.run("publish", &["publish", "--all"])?;
    let publish = site.run("run-publish", &["run-periodic-tasks", "--verbose", "--workers", "publish"])?;
    let batch_seconds = batch_seconds(&publish.stderr);

    let files = tree::list_files(&site.root)?;
    if files.len() != expected_files {
        bail!("pressrun published {} files into {}; expected {expected_files}", files.len(), site.root.display());
    }
    let bytes = files.values().sum();

    let targets = add_targets(&site, dir)?;
    let sync = site.run("run-sync", &["run-periodic-tasks", "--verbose", "--workers", "sync"])?;
    let sent_per_target = sent_per_target(&sync.stderr);
    for target in &targets {
        // A local target gets each file under its own absolute path.
        let copy = target.join(site.root.strip_prefix("/")?);
        tree::compare_trees(&site.root, &copy)?;
    }
    Ok(PressrunResult { import, queue, publish, batch_seconds, files: files.len(), bytes, sync, sent_per_target })
}

fn init(dir: &Path) -> anyhow::Result<Site> {
    let site_dir = dir.join("pressrun");
    let logs = dir.join("logs");
    fs::create_dir_all(&logs)?;
    let mut command = Command::new(PRESSRUN);
    command.arg("init").arg(&site_dir).args(["--site-name", "Bench Site", "--site-url", "http://localhost/"]);
    process::run(&mut command, &logs, "init")?;
    let root = site_dir.join("htdocs").canonicalize().context("cannot find the site root that init made")?;
    Ok(Site { config: site_dir.join("pressrun.conf"), root, logs })
}

/// Appends `SyncTarget` lines for new empty directories and returns them.
fn add_targets(site: &Site, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut text = fs::read_to_string(&site.config)?;
    let mut targets = Vec::new();
    for number in 1..=TARGETS {
        let target = dir.join(format!("target{number}"));
        fs::create_dir_all(&target)?;
        let target = target.canonicalize()?;
        text.push_str(&format!("SyncTarget {}\n", target.display()));
        targets.push(target);
    }
    fs::write(&site.config, text)?;
    Ok(targets)
}

/// Adds up the seconds of lines such as
/// `published 1000 jobs: 1000 written, 0 unchanged, 0 removed in 0.31 s`.
fn batch_seconds(stderr: &str) -> f64 {
    stderr
        .lines()
        .filter(|line| line.starts_with("published "))
        .filter_map(|line| line.rsplit_once(" in ")?.1.split(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Parses the file counts from lines such as
/// `sync /dir: 11135 files sent, 0 deleted, 123 bytes in 1.2 s`.
fn sent_per_target(stderr: &str) -> Vec<usize> {
    stderr
        .lines()
        .filter(|line| line.starts_with("sync "))
        .filter_map(|line| line.split_once(": ")?.1.split_once(" files sent")?.0.parse().ok())
        .collect()
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().with_context(|| format!("path is not UTF-8: {}", path.display()))
}
