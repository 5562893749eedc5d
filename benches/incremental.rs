//! Measures what three changes to a built and synced 10,000-entry site cost
//! with two local targets: a body edit, a date change into another month
//! and a template edit. For each, prints the files pressrun queued, wrote
//! and sent, the time from starting the edit command until
//! `run-periodic-tasks` returned, and the files Movable Type's rebuild rule
//! would republish (see `incremental/movable_type.rs`).
//!
//! ```text
//! cargo bench --bench incremental -- [--entries 10000] [--runs 3] [--keep DIR]
//! ```
//!
//! Every run builds a fresh site, so every run makes the same changes.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;
#[path = "incremental/edits.rs"]
mod edits;
#[path = "incremental/movable_type.rs"]
mod movable_type;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::bail;
use clap::Parser;

use common::content::{self, Entry};
use common::expected::ExpectedFiles;
use common::options::RunOptions;
use common::process::{self, Measured};
use common::report::{self, Row};
use common::site::{self, Site};
use common::tree;
use edits::{Edit, EditResult};

/// Number of local sync targets.
const TARGETS: usize = 2;

#[derive(Parser)]
#[command(about = "Time a body edit, a date change and a template edit on a built and synced site")]
struct Arguments {
    /// Entries in the generated site.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,

    #[command(flatten)]
    run: RunOptions,
}

/// Everything measured in one run.
struct RunResult {
    build: Measured,
    /// The first copy to both targets.
    sync: Measured,
    edits: Vec<(Edit, EditResult)>,
}

fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    arguments.run.validate()?;
    if arguments.entries < 8 {
        bail!("--entries must be at least 8");
    }
    let work_dir = arguments.run.work_dir("pressrun-incremental-")?;
    let entries = content::generate(arguments.entries);
    let expected = ExpectedFiles::of(&entries);
    let export = work_dir.path.join("export.txt");
    content::write_mt_export(&entries, &export)?;
    eprintln!(
        "{} entries, {} files to publish; working in {}",
        expected.entries,
        expected.pressrun(),
        work_dir.path.display()
    );

    let runs = arguments.run.runs;
    let mut results = Vec::new();
    for number in 1..=runs {
        let dir = work_dir.run_dir(number)?;
        let result = run(&dir, &export, &entries, &expected, number)?;
        eprintln!("run {number}/{runs}: {}", summarize(&result));
        results.push(result);
    }

    println!("## Results: {} entries, {TARGETS} local targets, {runs} runs\n", arguments.entries);
    println!("{}", report::table(&rows(&results)));
    println!("Files per change, by kind (run 1):\n");
    for (edit, result) in &results[0].edits {
        println!(
            "- {}: pressrun queued {}; Movable Type: {}",
            edit.label,
            describe_queued(result),
            edit.movable_type.describe()
        );
    }
    println!("\nPer run:\n");
    for (number, result) in results.iter().enumerate() {
        println!("- run {}/{runs}: {}", number + 1, summarize(result));
    }
    println!("\nMachine:\n\n{}", report::machine_facts(&work_dir.path, &[]));
    Ok(())
}

/// Builds and syncs the site in `dir`, then makes the three changes.
fn run(
    dir: &Path,
    export: &Path,
    entries: &[Entry],
    expected: &ExpectedFiles,
    number: usize,
) -> anyhow::Result<RunResult> {
    let site = Site::init(dir)?;
    let build = site.build(export, expected.pressrun())?;
    let targets = site::create_target_dirs(dir, "target", TARGETS)?;
    let names: Vec<String> = targets.iter().map(|target| target.display().to_string()).collect();
    site.set_targets(&names, None)?;
    process::flush_file_systems();
    let sync = site.run("first-sync", &["run-periodic-tasks", "--verbose", "--workers", "sync"])?;

    let copies: Vec<_> = targets.iter().map(|target| site.copy_in(target)).collect();
    let mut results = Vec::new();
    for (index, edit) in edits::plan(&site, dir, entries, number)?.into_iter().enumerate() {
        let result = edits::make(&site, &format!("change{}", index + 1), &edit, &copies)?;
        results.push((edit, result));
    }
    for copy in &copies {
        tree::compare_trees(&site.root, copy)?;
    }
    Ok(RunResult { build: build.publish, sync, edits: results })
}

fn summarize(result: &RunResult) -> String {
    let mut parts = vec![format!("build {:.2} s, first sync {:.2} s", result.build.seconds, result.sync.seconds)];
    for (edit, measured) in &result.edits {
        parts.push(format!(
            "{} {:.2} s ({} queued, {} written, {} sent)",
            edit.label,
            measured.seconds,
            measured.queued,
            measured.published.written,
            measured.fewest_sent()
        ));
    }
    parts.join("; ")
}

fn rows(results: &[RunResult]) -> Vec<Row> {
    let mut rows = vec![
        Row::new("site build, `run-periodic-tasks --workers publish` (s)", 2, results.iter().map(|r| r.build.seconds)),
        Row::new(&format!("first sync to {TARGETS} local targets (s)"), 2, results.iter().map(|r| r.sync.seconds)),
    ];
    for (index, (edit, _)) in results[0].edits.iter().enumerate() {
        let measured: Vec<&EditResult> = results.iter().map(|result| &result.edits[index].1).collect();
        rows.extend(edit_rows(edit, &measured));
    }
    rows
}

fn edit_rows(edit: &Edit, results: &[&EditResult]) -> Vec<Row> {
    let label = edit.label;
    let values = |f: fn(&EditResult) -> f64| results.iter().map(move |result| f(result));
    let mt_total = edit.movable_type.total() as f64;
    vec![
        Row::new(&format!("{label}: files queued (`--dry-run`)"), 0, values(|r| r.queued as f64)),
        Row::new(&format!("{label}: files written"), 0, values(|r| r.published.written as f64)),
        Row::new(&format!("{label}: files removed"), 0, values(|r| r.published.removed as f64)),
        Row::new(&format!("{label}: files sent per target (fewest)"), 0, values(|r| r.fewest_sent() as f64)),
        Row::new(&format!("{label}: files deleted per target (fewest)"), 0, values(|r| r.fewest_deleted() as f64)),
        Row::new(&format!("{label}: Movable Type would republish (files)"), 0, results.iter().map(|_| mt_total)),
        Row::new(&format!("{label}: edit start to run end (s)"), 2, values(|r| r.seconds)),
        Row::new(&format!("{label}: &nbsp;&nbsp;of which the edit command (s)"), 2, values(|r| r.edit.seconds)),
        Row::new(&format!("{label}: &nbsp;&nbsp;of which `run-periodic-tasks` (s)"), 2, values(|r| r.run.seconds)),
        Row::new(
            &format!("{label}: other CPU time during the change (s)"),
            2,
            values(|r| r.edit.other_cpu_seconds + r.run.other_cpu_seconds),
        ),
    ]
}

/// Counts the dry run's lines by the kind of file they name.
fn describe_queued(result: &EditResult) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &result.queued_lines {
        let path = line.rsplit(' ').next().unwrap_or("");
        *kinds.entry(kind_of(path)).or_default() += 1;
    }
    let parts: Vec<String> = kinds.iter().map(|(kind, count)| format!("{count} {kind}")).collect();
    parts.join(", ")
}

/// Names the kind of a file of the default theme from its path.
fn kind_of(path: &str) -> &'static str {
    let parts: Vec<&str> = path.split('/').collect();
    let is_number = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    match parts[..] {
        ["index.html"] | ["page", _, "index.html"] => "main index pages",
        [year, month, "index.html"] if is_number(year) && is_number(month) => "monthly archives",
        [year, month, _] if is_number(year) && is_number(month) => "entry pages",
        [_, "index.html"] => "category archives",
        _ => "other files (archives.html, atom.xml)",
    }
}
