//! `import`, `publish` and `run-periodic-tasks`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::commit::Edit;
use super::{InputError, Site};
use crate::import::{self, ImportReport};
use crate::runner::{self, RunOptions, Workers};
use crate::time::now;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Movable Type / TypePad export text.
    Mt,
    /// WordPress eXtended RSS, versions 1.0 to 1.2.
    Wxr,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The format of the export file.
    #[arg(long, value_enum)]
    format: Format,
    /// The export file.
    file: PathBuf,
}

pub fn import(site: &Site, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    check_format(&args.file, &bytes, args.format)?;
    let batch = match args.format {
        Format::Mt => import::mt::parse(&bytes),
        Format::Wxr => {
            import::wxr::parse(&bytes).map_err(|error| InputError(format!("{}: {error}", args.file.display())))?
        }
    };
    let settings = site.settings();
    let report = site.store.write(|tx| import::apply::apply(tx, batch, &settings, now()))?;
    print_import_report(&args.file, &report);
    Ok(ExitCode::SUCCESS)
}

/// Rejects a file that is plainly in the other format, which would
/// otherwise import nothing (MT) or fail with an XML error (WXR).
fn check_format(file: &std::path::Path, bytes: &[u8], format: Format) -> Result<(), InputError> {
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let looks_like_xml = text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    match format {
        Format::Mt if looks_like_xml => Err(InputError(format!(
            "{} looks like XML, not a Movable Type export; for a WordPress export use --format wxr",
            file.display()
        ))),
        Format::Wxr if !looks_like_xml => {
            Err(InputError(format!("{} is not XML; for a Movable Type export use --format mt", file.display())))
        }
        _ => Ok(()),
    }
}

fn print_import_report(file: &std::path::Path, report: &ImportReport) {
    println!("Imported {}:", file.display());
    println!("  entries:    {} new, {} updated", report.entries_created, report.entries_updated);
    println!("  pages:      {} new, {} updated", report.pages_created, report.pages_updated);
    println!("  comments:   {} new", report.comments);
    println!("  categories: {} new", report.categories_created);
    println!("  authors:    {} new", report.authors_created);
    if report.assets_created > 0 {
        println!("  assets:     {} new", report.assets_created);
    }
    if report.assets_without_file > 0 {
        println!(
            "  without file: {} (only their old URL is known; `pressrun asset list` shows them, and \
             `pressrun upload --replace PATH FILE` gives each its file)",
            super::count(report.assets_without_file as i64, "asset")
        );
    }
    println!("  skipped:    {}", report.skipped.len());
    print_positions("skipped", &report.skipped);
    print_positions("warning", &report.warnings);
    for (given, stored) in &report.renamed {
        println!("  basename {given:?} is stored as {stored:?}");
    }
    println!("  queued:     {}", super::count(report.queued as i64, "file"));
}

/// Prints records with their positions, grouping repeats of one reason so
/// that seventy skipped menu items take one line, not seventy.
fn print_positions(label: &str, records: &[import::Skipped]) {
    let mut groups: Vec<(&str, Vec<&import::Skipped>)> = Vec::new();
    for record in records {
        match groups.iter_mut().find(|(reason, _)| *reason == record.reason) {
            Some((_, members)) => members.push(record),
            None => groups.push((&record.reason, vec![record])),
        }
    }
    for (reason, members) in groups {
        let first = members[0].position;
        if members.len() == 1 {
            println!("    {label}: line {} (record {}): {reason}", first.line, first.record);
        } else {
            println!(
                "    {label}: {} records from line {} (record {}): {reason}",
                members.len(),
                first.line,
                first.record
            );
        }
    }
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Queue every file of the site, templates with the manual publish
    /// type included.
    #[arg(long, conflicts_with = "template")]
    all: bool,
    /// Queue every file of this template (repeatable).
    #[arg(long, value_name = "NAME")]
    template: Vec<String>,
    /// List the files that would be queued and change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn publish(site: &Site, args: PublishArgs) -> anyhow::Result<ExitCode> {
    if !args.all && args.template.is_empty() {
        return Err(InputError("say what to publish: --all or --template NAME".to_string()).into());
    }
    super::commit::run(site, args.dry_run, |tx| {
        let mut edit = Edit { everything: args.all, include_manual: true, ..Edit::default() };
        for name in &args.template {
            let template =
                tx.template_by_name(name)?.ok_or_else(|| InputError(format!("no template named {name:?}")))?;
            edit.templates.insert(template.id);
        }
        Ok(edit)
    })?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Report each publish batch and each target's sync on stderr: files,
    /// bytes and seconds.
    #[arg(long, short)]
    verbose: bool,
    /// Keep running, publishing and syncing as work arrives.
    #[arg(long)]
    daemon: bool,
    /// Seconds a daemon sleeps when a pass found nothing to do.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    sleep: f64,
    /// Jobs claimed and published per batch [default: PublishBatchSize].
    #[arg(long, value_name = "N")]
    load: Option<usize>,
    /// The kinds of work to do: publish, sync, or both (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "publish,sync", value_name = "KINDS")]
    workers: Vec<WorkerKind>,
    /// Try targets that failed now, instead of waiting for their next retry.
    #[arg(long)]
    retry_now: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WorkerKind {
    Publish,
    Sync,
}

pub fn run_periodic_tasks(site: &Site, args: RunArgs) -> anyhow::Result<ExitCode> {
    if !(args.sleep.is_finite() && args.sleep >= 0.0) {
        return Err(InputError(format!("--sleep {} is not a number of seconds", args.sleep)).into());
    }
    let options = RunOptions {
        daemon: args.daemon,
        sleep: Duration::from_secs_f64(args.sleep),
        load: args.load,
        workers: Workers {
            publish: args.workers.contains(&WorkerKind::Publish),
            sync: args.workers.contains(&WorkerKind::Sync),
        },
        verbose: args.verbose,
        progress: std::io::stderr().is_terminal(),
        retry_now: args.retry_now,
    };
    let shutdown = Arc::new(AtomicBool::new(false));
    // A signal lets a daemon finish its current batch and stop cleanly.
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, shutdown.clone()).context("cannot install a signal handler")?;
    }
    let summary = runner::run_periodic_tasks(&site.config, &site.store, &site.settings(), &options, &shutdown)?;
    Ok(if summary.failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
