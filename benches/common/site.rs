//! A pressrun site made by `pressrun init`, the commands run against it
//! through the real binary, and the counts parsed from `--verbose` output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::process::{self, Measured};
use super::tree;

pub const PRESSRUN: &str = env!("CARGO_BIN_EXE_pressrun");

/// A site made by `pressrun init`.
pub struct Site {
    pub config: PathBuf,
    /// The site root, canonical.
    pub root: PathBuf,
    /// Directory of the stdout and stderr files of each command.
    pub logs: PathBuf,
}

impl Site {
    /// Runs `pressrun init DIR/pressrun`, with logs in `DIR/logs`.
    pub fn init(dir: &Path) -> anyhow::Result<Site> {
        let site_dir = dir.join("pressrun");
        let logs = dir.join("logs");
        fs::create_dir_all(&logs)?;
        let mut command = Command::new(PRESSRUN);
        command.arg("init").arg(&site_dir).args(["--site-name", "Bench Site", "--site-url", "http://localhost/"]);
        process::run(&mut command, &logs, "init")?;
        let root = site_dir.join("htdocs").canonicalize().context("cannot find the site root that init made")?;
        Ok(Site { config: site_dir.join("pressrun.conf"), root, logs })
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(PRESSRUN);
        command.arg("--config").arg(&self.config).args(args);
        command.env_remove("PRESSRUN_CONFIG").env_remove("PRESSRUN_LOG");
        command
    }

    /// Runs pressrun with `args`; `name` names the log files.
    pub fn run(&self, name: &str, args: &[&str]) -> anyhow::Result<Measured> {
        process::run(&mut self.command(args), &self.logs, name)
    }

    /// Appends lines (each ending in a newline) to the config file.
    pub fn append_config(&self, lines: &str) -> anyhow::Result<()> {
        let mut text = fs::read_to_string(&self.config)?;
        text.push_str(lines);
        fs::write(&self.config, text).with_context(|| format!("cannot write {}", self.config.display()))
    }

    /// Replaces every `SyncTarget` and `RsyncOptions` line of the config
    /// with `targets` and `rsync_options`. pressrun drops the pending paths
    /// of targets that are no longer configured and gives new ones a full
    /// copy.
    pub fn set_targets(&self, targets: &[String], rsync_options: Option<&str>) -> anyhow::Result<()> {
        let text = fs::read_to_string(&self.config)?;
        let mut lines: Vec<&str> = text
            .lines()
            .filter(|line| {
                let name = line.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                name != "synctarget" && name != "rsyncoptions"
            })
            .collect();
        let options_line = rsync_options.map(|options| format!("RsyncOptions {options}"));
        lines.extend(options_line.as_deref());
        let target_lines: Vec<String> = targets.iter().map(|target| format!("SyncTarget {target}")).collect();
        lines.extend(target_lines.iter().map(String::as_str));
        fs::write(&self.config, lines.join("\n") + "\n")
            .with_context(|| format!("cannot write {}", self.config.display()))
    }

    /// Returns where a local target keeps its copy of the site root: under
    /// the target, at the site root's absolute path.
    pub fn copy_in(&self, target: &Path) -> PathBuf {
        target.join(self.root.strip_prefix("/").unwrap_or(&self.root))
    }
}

/// The steps that build a site from an export, as `Site::build` ran them.
pub struct Build {
    pub import: Measured,
    /// `publish --all`, which queues every file.
    pub queue: Measured,
    /// `run-periodic-tasks --workers publish`, which renders and writes them.
    pub publish: Measured,
    /// Files under the site root after the build, by relative path, with
    /// their sizes.
    pub files: std::collections::BTreeMap<PathBuf, u64>,
}

impl Build {
    pub fn bytes(&self) -> u64 {
        self.files.values().sum()
    }
}

impl Site {
    /// Imports `export` (Movable Type format), queues every file and
    /// publishes them, and checks that the site root then has
    /// `expected_files` files.
    pub fn build(&self, export: &Path, expected_files: usize) -> anyhow::Result<Build> {
        let import = self.run("import", &["import", "--format", "mt", path_str(export)?])?;
        let queue = self.run("publish", &["publish", "--all"])?;
        let publish = self.run("run-publish", &["run-periodic-tasks", "--verbose", "--workers", "publish"])?;
        let files = tree::list_files(&self.root)?;
        if files.len() != expected_files {
            bail!("pressrun published {} files into {}; expected {expected_files}", files.len(), self.root.display());
        }
        Ok(Build { import, queue, publish, files })
    }
}

/// Creates `DIR/NAME1` … `DIR/NAMEcount` as new empty directories and
/// returns their canonical paths.
pub fn create_target_dirs(dir: &Path, name: &str, count: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut targets = Vec::new();
    for number in 1..=count {
        let target = dir.join(format!("{name}{number}"));
        super::options::create_fresh_dir(&target)?;
        targets.push(target.canonicalize()?);
    }
    Ok(targets)
}

/// The counts of `published N jobs: W written, U unchanged, R removed in
/// S s` lines, summed over every batch of one run.
#[derive(Clone, Copy, Debug, Default)]
pub struct PublishCounts {
    pub jobs: usize,
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub seconds: f64,
}

/// Adds up the `published …` lines of `run-periodic-tasks --verbose`.
pub fn publish_counts(stderr: &str) -> PublishCounts {
    let mut counts = PublishCounts::default();
    for line in stderr.lines().filter_map(|line| line.strip_prefix("published ")) {
        let numbers = numbers_in(line);
        if let [jobs, written, unchanged, removed, seconds] = numbers[..] {
            counts.jobs += jobs as usize;
            counts.written += written as usize;
            counts.unchanged += unchanged as usize;
            counts.removed += removed as usize;
            counts.seconds += seconds;
        }
    }
    counts
}

/// One `sync TARGET: N files sent, D deleted, B bytes in S s` line.
#[derive(Clone, Debug)]
pub struct SyncLine {
    pub target: String,
    pub sent: usize,
    pub deleted: usize,
    pub bytes: u64,
    pub seconds: f64,
}

/// Parses the `sync …` lines of `run-periodic-tasks --verbose`, one per
/// target that had something to send.
pub fn sync_lines(stderr: &str) -> Vec<SyncLine> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("sync "))
        .filter_map(|line| {
            let (target, counts) = line.rsplit_once(": ")?;
            match numbers_in(counts)[..] {
                [sent, deleted, bytes, seconds] => Some(SyncLine {
                    target: target.to_string(),
                    sent: sent as usize,
                    deleted: deleted as usize,
                    bytes: bytes as u64,
                    seconds,
                }),
                _ => None,
            }
        })
        .collect()
}

/// Returns the words of `text` that parse as numbers, in order.
fn numbers_in(text: &str) -> Vec<f64> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ':').filter_map(|word| word.parse().ok()).collect()
}

pub fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().with_context(|| format!("path is not UTF-8: {}", path.display()))
}
