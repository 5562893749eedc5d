//! Builds one generated site with pressrun and with Hugo and prints pages
//! per second, peak memory and the time to sync pressrun's output to two
//! local targets, as a Markdown table of medians over several runs.
//!
//! ```text
//! cargo bench --bench site_build -- [--entries 10000] [--runs 3] [--keep DIR]
//! ```
//!
//! Every run writes into fresh directories, because on a file system
//! mounted with `discard` the first large write after removing a large tree
//! can be several times slower. Odd runs start with pressrun, even runs
//! with Hugo, so neither tool always runs on a warmer page cache.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;
#[path = "site_build/hugo.rs"]
mod hugo;
#[path = "site_build/pressrun.rs"]
mod pressrun;

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::bail;
use clap::Parser;

use common::content::{self, Entry};
use common::expected::ExpectedFiles;
use common::options::RunOptions;
use common::process::{self, Measured};
use common::report::{self, Row};
use common::tree;
use pressrun::PressrunResult;

#[derive(Parser)]
#[command(about = "Build a generated site with pressrun and with Hugo; print pages per second and peak memory")]
struct Arguments {
    /// Entries in the generated site.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,

    #[command(flatten)]
    run: RunOptions,
}

/// Everything measured in one run.
struct RunResult {
    pressrun: PressrunResult,
    hugo: Measured,
    hugo_files: usize,
    hugo_bytes: u64,
}

fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    arguments.run.validate()?;
    if arguments.entries == 0 {
        bail!("--entries must be at least 1");
    }
    let work_dir = arguments.run.work_dir("pressrun-site-build-")?;
    let runs = arguments.run.runs;

    let entries = content::generate(arguments.entries);
    let expected = ExpectedFiles::of(&entries);
    eprintln!(
        "{} entries, {} months, {} categories; pressrun should publish {} files, Hugo {}; working in {}",
        expected.entries,
        expected.months,
        expected.categories,
        expected.pressrun(),
        expected.hugo(),
        work_dir.path.display()
    );

    let mut results = Vec::new();
    let mut summaries = Vec::new();
    for number in 1..=runs {
        let run_dir = work_dir.run_dir(number)?;
        let result = run(&run_dir, &entries, &expected, number % 2 == 0)?;
        let summary = format!("run {number}/{runs}: {}", summarize(&result));
        eprintln!("{summary}");
        summaries.push(summary);
        results.push(result);
    }

    println!("## Results: {} entries, {runs} runs\n", arguments.entries);
    println!("{}", report::table(&rows(&results)));
    println!("{}", describe_outputs(&results[0], &expected));
    println!("Per run (odd runs start with pressrun, even runs with Hugo):\n");
    for summary in &summaries {
        println!("- {summary}");
    }
    let hugo_version = process::version_line("hugo", &["version"]);
    println!("\nMachine:\n\n{}", report::machine_facts(&work_dir.path, &[hugo_version]));
    Ok(())
}

/// Writes both tools' inputs into `dir`, then builds the site with each.
fn run(dir: &Path, entries: &[Entry], expected: &ExpectedFiles, hugo_first: bool) -> anyhow::Result<RunResult> {
    let export = dir.join("export.txt");
    let hugo_site = dir.join("hugo-site");
    content::write_mt_export(entries, &export)?;
    hugo::write_site(entries, &hugo_site)?;

    let mut hugo_run = None;
    if hugo_first {
        hugo_run = Some(run_hugo(dir, &hugo_site, expected)?);
    }
    let pressrun = pressrun::run(dir, &export, expected.pressrun())?;
    let (hugo, hugo_files, hugo_bytes) = match hugo_run {
        Some(done) => done,
        None => run_hugo(dir, &hugo_site, expected)?,
    };
    Ok(RunResult { pressrun, hugo, hugo_files, hugo_bytes })
}

/// Runs `hugo` into a fresh `DIR/hugo-out` and returns the measurement,
/// the number of files and their total size.
fn run_hugo(dir: &Path, site: &Path, expected: &ExpectedFiles) -> anyhow::Result<(Measured, usize, u64)> {
    let output = dir.join("hugo-out");
    let logs = dir.join("logs");
    fs::create_dir_all(&logs)?;
    let mut command = Command::new("hugo");
    command.arg("--quiet").arg("--source").arg(site).arg("--destination").arg(&output);
    let measured = process::run(&mut command, &logs, "hugo")?;
    let files = tree::count_files(&output)?;
    if files != expected.hugo() {
        bail!("hugo published {files} files into {}; expected {}", output.display(), expected.hugo());
    }
    Ok((measured, files, tree::total_bytes(&output)?))
}

fn summarize(result: &RunResult) -> String {
    let pressrun = &result.pressrun;
    format!(
        "pressrun import {:.2} s, build {:.2} s ({} files, {:.1} MiB peak), sync {:.2} s; Hugo {:.2} s ({} files, {:.1} MiB peak)",
        pressrun.import.seconds,
        pressrun.build_seconds(),
        pressrun.files,
        pressrun.publish.peak_rss_mib(),
        pressrun.sync.seconds,
        result.hugo.seconds,
        result.hugo_files,
        result.hugo.peak_rss_mib()
    )
}

fn rows(results: &[RunResult]) -> Vec<Row> {
    let pressrun = |f: fn(&PressrunResult) -> f64| results.iter().map(move |result| f(&result.pressrun));
    let hugo = |f: fn(&RunResult) -> f64| results.iter().map(f);
    let pressrun_rate = |r: &RunResult| r.pressrun.files as f64 / r.pressrun.build_seconds();
    let hugo_rate = |r: &RunResult| r.hugo_files as f64 / r.hugo.seconds;
    vec![
        Row::new("pressrun import (s)", 2, pressrun(|p| p.import.seconds)),
        Row::new("pressrun build: `publish --all` + `run-periodic-tasks` (s)", 2, pressrun(|p| p.build_seconds())),
        Row::new("&nbsp;&nbsp;of which `publish --all` (s)", 2, pressrun(|p| p.queue.seconds)),
        Row::new("&nbsp;&nbsp;of which publish batches, as `--verbose` reports (s)", 2, pressrun(|p| p.batch_seconds)),
        Row::new("pressrun files", 0, pressrun(|p| p.files as f64)),
        Row::new("pressrun pages/s", 0, results.iter().map(pressrun_rate)),
        Row::new(
            "pressrun build CPU time, user + system (s)",
            2,
            pressrun(|p| p.queue.cpu_seconds + p.publish.cpu_seconds),
        ),
        Row::new("pressrun peak RSS, `run-periodic-tasks` (MiB)", 1, pressrun(|p| p.publish.peak_rss_mib())),
        Row::new("pressrun peak RSS, `import` (MiB)", 1, pressrun(|p| p.import.peak_rss_mib())),
        Row::new("Hugo build (s)", 2, hugo(|r| r.hugo.seconds)),
        Row::new("Hugo files", 0, hugo(|r| r.hugo_files as f64)),
        Row::new("Hugo pages/s", 0, results.iter().map(hugo_rate)),
        Row::new("Hugo CPU time, user + system (s)", 2, hugo(|r| r.hugo.cpu_seconds)),
        Row::new("Hugo peak RSS (MiB)", 1, hugo(|r| r.hugo.peak_rss_mib())),
        Row::new("pages/s ratio pressrun / Hugo", 2, results.iter().map(|r| pressrun_rate(r) / hugo_rate(r))),
        Row::new("sync to 2 local targets in parallel (s)", 2, pressrun(|p| p.sync.seconds)),
        Row::new("sync: files sent per target (fewest)", 0, pressrun(|p| min_sent(p) as f64)),
        Row::new("sync peak RSS, pressrun or rsync (MiB)", 1, pressrun(|p| p.sync.peak_rss_mib())),
        Row::new(
            "CPU time of other processes and kernel threads during the pressrun build (s)",
            2,
            pressrun(other_cpu_during_build),
        ),
        Row::new(
            "CPU time of other processes and kernel threads during the Hugo build (s)",
            2,
            hugo(|r| r.hugo.other_cpu_seconds),
        ),
        Row::new(
            "CPU time of other processes and kernel threads during the sync (s)",
            2,
            pressrun(|p| p.sync.other_cpu_seconds),
        ),
    ]
}

fn other_cpu_during_build(result: &PressrunResult) -> f64 {
    result.queue.other_cpu_seconds + result.publish.other_cpu_seconds
}

fn min_sent(result: &PressrunResult) -> usize {
    result.sent_per_target.iter().copied().min().unwrap_or(0)
}

fn describe_outputs(result: &RunResult, expected: &ExpectedFiles) -> String {
    format!(
        "Each tool built {} entry pages, {} index pages, {} monthly and {} category archives, \
         `archives.html`, `atom.xml` and `styles.css`; Hugo also writes `page/1/index.html`, a redirect. \
         Output size: pressrun {:.1} MiB, Hugo {:.1} MiB. \
         The pages/s ratio is computed per run; its median is not the ratio of the medians. \
         \"CPU time of other processes and kernel threads\" is the machine's busy CPU time during a step \
         minus the step's own. It includes kernel writeback of files written by this or an earlier step; \
         several seconds mean another program shared the processors.\n",
        expected.entries,
        expected.index_pages,
        expected.months,
        expected.categories,
        result.pressrun.bytes as f64 / 1_048_576.0,
        result.hugo_bytes as f64 / 1_048_576.0
    )
}
