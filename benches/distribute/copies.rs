//! One transport's part of a run: a full copy of the site root to several
//! fresh targets by pressrun and by plain `rsync -a`, then one-entry
//! changes that pressrun publishes and syncs to its targets.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::common::process::{self, Measured};
use crate::common::site::{self, PublishCounts, Site, SyncLine};
use crate::common::tree;
use crate::ssh_hosts::SshHosts;

/// The way the targets are reached.
pub enum Transport<'a> {
    /// Directories on this machine, written by a local rsync.
    Local,
    /// Directories on this machine, written by rsync over ssh to the
    /// servers of [`SshHosts`], one server per target.
    Ssh(&'a SshHosts),
}

impl Transport<'_> {
    pub fn label(&self) -> &'static str {
        match self {
            Transport::Local => "local",
            Transport::Ssh(_) => "ssh",
        }
    }

    fn create_dir(&self, dir: &Path) -> anyhow::Result<()> {
        match self {
            Transport::Local => fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display())),
            Transport::Ssh(hosts) => hosts.create_target_dir(dir),
        }
    }

    /// Returns the rsync destination for target `number` (from 1) in `dir`.
    fn destination(&self, number: usize, dir: &Path) -> String {
        match self {
            Transport::Local => dir.display().to_string(),
            Transport::Ssh(_) => format!("{}:{}", SshHosts::alias(number), dir.display()),
        }
    }

    fn remote_shell(&self) -> Option<String> {
        match self {
            Transport::Local => None,
            Transport::Ssh(hosts) => Some(hosts.ssh_command()),
        }
    }
}

/// One entry to change: its basename, its page under the site root and
/// the text of its new body.
pub struct EntryChange {
    pub basename: String,
    pub page: PathBuf,
    pub body: String,
}

/// A one-entry change: `entry edit` followed by `run-periodic-tasks`.
pub struct Change {
    /// From starting `entry edit` until `run-periodic-tasks` returned.
    pub seconds: f64,
    pub edit: Measured,
    pub run: Measured,
    pub published: PublishCounts,
    pub synced: Vec<SyncLine>,
}

/// Measurements of one transport's part of a run.
pub struct Copies {
    /// The transport: "local" or "ssh".
    pub label: &'static str,
    /// `run-periodic-tasks --workers sync` to every target.
    pub pressrun: Measured,
    pub pressrun_synced: Vec<SyncLine>,
    /// `rsync -a SITE_ROOT/ TARGET/` to as many targets, in parallel.
    pub rsync: Measured,
    pub changes: Vec<Change>,
}

impl Copies {
    /// Returns the fewest files that pressrun sent to one target.
    pub fn fewest_sent(&self) -> usize {
        self.pressrun_synced.iter().map(|line| line.sent).min().unwrap_or(0)
    }

    /// Returns the fewest bytes that pressrun sent to one target.
    pub fn fewest_bytes(&self) -> u64 {
        self.pressrun_synced.iter().map(|line| line.bytes).min().unwrap_or(0)
    }
}

/// Copies the site root to `targets` fresh targets with pressrun and with
/// plain rsync, in the order `pressrun_first` gives, checks every copy,
/// then makes `changes` one after another.
pub fn measure(
    site: &Site,
    dir: &Path,
    transport: &Transport,
    targets: usize,
    pressrun_first: bool,
    changes: &[EntryChange],
) -> anyhow::Result<Copies> {
    let label = transport.label();
    let pressrun_dirs = create_dirs(transport, dir, &format!("{label}-pressrun"), targets)?;
    let rsync_dirs = create_dirs(transport, dir, &format!("{label}-rsync"), targets)?;
    let destinations: Vec<String> =
        pressrun_dirs.iter().enumerate().map(|(index, dir)| transport.destination(index + 1, dir)).collect();
    let rsync_options = transport.remote_shell().map(|shell| format!("-e \"{shell}\""));
    site.set_targets(&destinations, rsync_options.as_deref())?;

    let (pressrun, rsync) = if pressrun_first {
        let pressrun = sync_with_pressrun(site, label)?;
        (pressrun, copy_with_rsync(site, transport, &rsync_dirs)?)
    } else {
        let rsync = copy_with_rsync(site, transport, &rsync_dirs)?;
        (sync_with_pressrun(site, label)?, rsync)
    };
    for copy in pressrun_dirs.iter().map(|target| site.copy_in(target)).chain(rsync_dirs.iter().cloned()) {
        tree::compare_trees(&site.root, &copy)?;
    }

    let mut measured = Vec::new();
    for (index, change) in changes.iter().enumerate() {
        measured.push(change_entry(site, &format!("{label}-change{}", index + 1), change, &pressrun_dirs)?);
    }
    let pressrun_synced = site::sync_lines(&pressrun.stderr);
    Ok(Copies { label, pressrun, pressrun_synced, rsync, changes: measured })
}

fn create_dirs(transport: &Transport, dir: &Path, name: &str, count: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for number in 1..=count {
        let target = dir.join(format!("{name}{number}"));
        transport.create_dir(&target)?;
        dirs.push(target);
    }
    Ok(dirs)
}

fn sync_with_pressrun(site: &Site, label: &str) -> anyhow::Result<Measured> {
    process::flush_file_systems();
    site.run(&format!("{label}-pressrun-sync"), &["run-periodic-tasks", "--verbose", "--workers", "sync"])
}

/// Runs one `rsync -a SITE_ROOT/ TARGET/` per directory, all at once.
fn copy_with_rsync(site: &Site, transport: &Transport, dirs: &[PathBuf]) -> anyhow::Result<Measured> {
    let source = format!("{}/", site.root.display());
    let mut commands: Vec<Command> = dirs
        .iter()
        .enumerate()
        .map(|(index, dir)| {
            let mut command = Command::new("rsync");
            command.arg("-a");
            if let Some(shell) = transport.remote_shell() {
                command.arg("-e").arg(shell);
            }
            command.arg(&source).arg(format!("{}/", transport.destination(index + 1, dir)));
            command
        })
        .collect();
    let names: Vec<String> = (1..=dirs.len()).map(|number| format!("{}-rsync{number}", transport.label())).collect();
    let parallel = commands.iter_mut().zip(names.iter().map(String::as_str)).collect();
    process::flush_file_systems();
    process::run_parallel(parallel, &site.logs)
}

/// Edits one entry's body, publishes and syncs, and checks that every
/// target's copy of the entry's page has the new body.
fn change_entry(site: &Site, name: &str, change: &EntryChange, targets: &[PathBuf]) -> anyhow::Result<Change> {
    process::flush_file_systems();
    let started = Instant::now();
    let edit = site.run(&format!("{name}-edit"), &["entry", "edit", &change.basename, "--body", &change.body])?;
    let run = site.run(&format!("{name}-run"), &["run-periodic-tasks", "--verbose"])?;
    let seconds = started.elapsed().as_secs_f64();

    for target in targets {
        let page = site.copy_in(target).join(&change.page);
        let text = fs::read_to_string(&page).with_context(|| format!("cannot read {}", page.display()))?;
        if !text.contains(&change.body) {
            bail!("{} does not contain the new body {:?} after the sync", page.display(), change.body);
        }
    }
    let published = site::publish_counts(&run.stderr);
    let synced = site::sync_lines(&run.stderr);
    Ok(Change { seconds, edit, run, published, synced })
}
