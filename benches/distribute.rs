//! Measures how long pressrun takes to copy a built 10,000-entry site to
//! four targets at once, against four plain `rsync -a` processes, for local
//! directories and for targets behind four sshd servers on 127.0.0.1. Then
//! measures the latency of a one-entry change: from starting `entry edit`
//! until `run-periodic-tasks` returns with the change on every target.
//!
//! ```text
//! cargo bench --bench distribute -- [--entries 10000] [--targets 4] [--changes 3] [--runs 3] [--keep DIR] [--no-ssh]
//! ```
//!
//! The ssh part needs root: it adds the user `pressrun-bench` when missing
//! and starts its own sshd servers, which it ends when it finishes.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;
#[path = "distribute/copies.rs"]
mod copies;
#[path = "distribute/ssh_hosts.rs"]
mod ssh_hosts;

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Parser;

use common::content::{self, Entry};
use common::expected::ExpectedFiles;
use common::options::RunOptions;
use common::process::{self, Measured};
use common::report::{self, Row};
use common::site::Site;
use copies::{Copies, EntryChange, Transport};
use ssh_hosts::SshHosts;

#[derive(Parser)]
#[command(about = "Copy a built site to several targets with pressrun and with plain rsync; time one-entry changes")]
struct Arguments {
    /// Entries in the generated site.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,

    /// Targets per copy, synced in parallel.
    #[arg(long, default_value_t = 4)]
    targets: usize,

    /// One-entry changes per run and transport, each to a different entry.
    #[arg(long, default_value_t = 3)]
    changes: usize,

    /// Leave out the ssh targets (they need root and sshd).
    #[arg(long)]
    no_ssh: bool,

    #[command(flatten)]
    run: RunOptions,
}

/// Everything measured in one run.
struct RunResult {
    build: Measured,
    files: usize,
    bytes: u64,
    /// One per transport: local, then ssh unless `--no-ssh`.
    copies: Vec<Copies>,
}

fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    arguments.run.validate()?;
    if arguments.entries < 2 || arguments.targets == 0 {
        bail!("--entries must be at least 2 and --targets at least 1");
    }
    let work_dir = arguments.run.work_dir("pressrun-distribute-")?;
    let entries = content::generate(arguments.entries);
    let expected = ExpectedFiles::of(&entries);
    let export = work_dir.path.join("export.txt");
    content::write_mt_export(&entries, &export)?;
    let hosts =
        if arguments.no_ssh { None } else { Some(SshHosts::start(&work_dir.path.join("sshd"), arguments.targets)?) };
    let mut transports = vec![Transport::Local];
    transports.extend(hosts.as_ref().map(Transport::Ssh));
    eprintln!(
        "{} entries, {} files to publish, {} targets, transports: {}; working in {}",
        expected.entries,
        expected.pressrun(),
        arguments.targets,
        transports.iter().map(Transport::label).collect::<Vec<_>>().join(", "),
        work_dir.path.display()
    );

    let runs = arguments.run.runs;
    let mut results = Vec::new();
    for number in 1..=runs {
        let dir = work_dir.run_dir(number)?;
        let changes = pick_changes(&entries, arguments.changes, transports.len(), number);
        let result = run(&dir, &export, &expected, &transports, &changes, arguments.targets, number % 2 == 1)?;
        eprintln!("run {number}/{runs}: {}", summarize(&result));
        results.push(result);
    }

    println!("## Results: {} entries, {} targets, {runs} runs\n", arguments.entries, arguments.targets);
    println!("{}", report::table(&rows(&results, &transports, arguments.targets)));
    println!("Per run (odd runs start with pressrun, even runs with rsync):\n");
    for (number, result) in results.iter().enumerate() {
        println!("- run {}/{runs}: {}", number + 1, summarize(result));
    }
    let ssh_version = process::version_line("ssh", &["-V"]);
    println!("\nMachine:\n\n{}", report::machine_facts(&work_dir.path, &[ssh_version]));
    drop(hosts);
    Ok(())
}

/// Builds the site in `dir`, then copies it and changes entries once per
/// transport.
fn run(
    dir: &Path,
    export: &Path,
    expected: &ExpectedFiles,
    transports: &[Transport],
    changes: &[Vec<EntryChange>],
    targets: usize,
    pressrun_first: bool,
) -> anyhow::Result<RunResult> {
    let site = Site::init(dir)?;
    let build = site.build(export, expected.pressrun())?;
    let mut copies = Vec::new();
    for (transport, changes) in transports.iter().zip(changes) {
        copies.push(copies::measure(&site, dir, transport, targets, pressrun_first, changes)?);
    }
    let (files, bytes) = (build.files.len(), build.bytes());
    Ok(RunResult { build: build.publish, files, bytes, copies })
}

/// Picks `count` entries per transport, all different, spread evenly over
/// the site. The new body names the run, so every change changes the page.
fn pick_changes(entries: &[Entry], count: usize, transports: usize, run: usize) -> Vec<Vec<EntryChange>> {
    let slots = count * transports + 1;
    (0..transports)
        .map(|transport| {
            (0..count)
                .map(|change| {
                    let slot = change * transports + transport + 1;
                    let entry = &entries[(entries.len() - 1) * slot / slots];
                    EntryChange {
                        basename: entry.basename(),
                        page: PathBuf::from(format!("{}/{}.html", entry.date.format("%Y/%m"), entry.basename())),
                        body: format!("Changed in run {run} as change {} of transport {}.", change + 1, transport + 1),
                    }
                })
                .collect()
        })
        .collect()
}

fn summarize(result: &RunResult) -> String {
    let mut parts = vec![format!("build {:.2} s ({} files)", result.build.seconds, result.files)];
    for copies in &result.copies {
        let changes: Vec<String> = copies.changes.iter().map(|change| format!("{:.2}", change.seconds)).collect();
        parts.push(format!(
            "{} pressrun {:.2} s, rsync {:.2} s, changes {} s",
            copies.label,
            copies.pressrun.seconds,
            copies.rsync.seconds,
            changes.join(", ")
        ));
    }
    parts.join("; ")
}

fn rows(results: &[RunResult], transports: &[Transport], targets: usize) -> Vec<Row> {
    let mut rows = vec![
        Row::new("site build, `run-periodic-tasks --workers publish` (s)", 2, results.iter().map(|r| r.build.seconds)),
        Row::new("files in the site root", 0, results.iter().map(|r| r.files as f64)),
        Row::new("bytes in the site root (MiB)", 1, results.iter().map(|r| r.bytes as f64 / 1_048_576.0)),
    ];
    for (index, transport) in transports.iter().enumerate() {
        let copies: Vec<&Copies> = results.iter().map(|result| &result.copies[index]).collect();
        rows.extend(copy_rows(transport.label(), targets, &copies));
        rows.extend(change_rows(transport.label(), &copies));
    }
    rows
}

fn copy_rows(label: &str, targets: usize, copies: &[&Copies]) -> Vec<Row> {
    let values = |f: fn(&Copies) -> f64| copies.iter().map(move |copy| f(copy));
    vec![
        Row::new(&format!("{label}: pressrun, {targets} targets in parallel (s)"), 2, values(|c| c.pressrun.seconds)),
        Row::new(&format!("{label}: `rsync -a`, {targets} processes in parallel (s)"), 2, values(|c| c.rsync.seconds)),
        Row::new(&format!("{label}: ratio pressrun / rsync"), 2, values(|c| c.pressrun.seconds / c.rsync.seconds)),
        Row::new(&format!("{label}: pressrun files sent per target (fewest)"), 0, values(|c| c.fewest_sent() as f64)),
        Row::new(
            &format!("{label}: pressrun bytes sent per target, as `--verbose` reports (MiB, fewest)"),
            1,
            values(|c| c.fewest_bytes() as f64 / 1_048_576.0),
        ),
        Row::new(&format!("{label}: CPU time of pressrun and its children (s)"), 2, values(|c| c.pressrun.cpu_seconds)),
        Row::new(
            &format!("{label}: CPU time of the rsync processes and their children (s)"),
            2,
            values(|c| c.rsync.cpu_seconds),
        ),
        Row::new(&format!("{label}: other CPU time during pressrun (s)"), 2, values(|c| c.pressrun.other_cpu_seconds)),
        Row::new(&format!("{label}: other CPU time during rsync (s)"), 2, values(|c| c.rsync.other_cpu_seconds)),
    ]
}

/// Rows over every change of every run.
fn change_rows(label: &str, copies: &[&Copies]) -> Vec<Row> {
    let changes = || copies.iter().flat_map(|copy| copy.changes.iter());
    let fewest_sent = |change: &copies::Change| change.synced.iter().map(|line| line.sent).min().unwrap_or(0) as f64;
    vec![
        Row::new(&format!("{label}: one-entry change, edit start to run end (s)"), 2, changes().map(|c| c.seconds)),
        Row::new(&format!("{label}: &nbsp;&nbsp;of which `entry edit` (s)"), 2, changes().map(|c| c.edit.seconds)),
        Row::new(
            &format!("{label}: &nbsp;&nbsp;of which `run-periodic-tasks` (s)"),
            2,
            changes().map(|c| c.run.seconds),
        ),
        Row::new(&format!("{label}: files written per change"), 0, changes().map(|c| c.published.written as f64)),
        Row::new(&format!("{label}: files sent per target per change (fewest)"), 0, changes().map(fewest_sent)),
        Row::new(
            &format!("{label}: other CPU time during a change (s)"),
            2,
            changes().map(|c| c.edit.other_cpu_seconds + c.run.other_cpu_seconds),
        ),
    ]
}
