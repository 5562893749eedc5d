//! The changes the benchmark makes: a body edit, a date change into
//! another month and a template edit. Each is listed with `--dry-run`,
//! made, then published and synced by one `run-periodic-tasks`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{Datelike, Duration};

use crate::common::content::Entry;
use crate::common::process::{self, Measured};
use crate::common::site::{self, PublishCounts, Site, SyncLine};
use crate::movable_type::{self, MtCount, Template};

/// The module template that the template edit changes.
pub const TEMPLATE: &str = "entry_summary";

/// One change, ready to make.
pub struct Edit {
    pub label: &'static str,
    /// The pressrun arguments that make it, without `--dry-run`.
    args: Vec<String>,
    check: Check,
    pub movable_type: MtCount,
}

/// A condition that must hold on every target after the change was synced.
enum Check {
    /// The file contains the text.
    Contains { page: PathBuf, text: String },
    /// The first file is gone and the second exists.
    Moved { old: PathBuf, new: PathBuf },
}

/// Counts and times of one change.
pub struct EditResult {
    /// `N files would be queued` from the dry run.
    pub queued: usize,
    /// The dry run's `publish`, `move` and `remove` lines.
    pub queued_lines: Vec<String>,
    /// From starting the edit command until `run-periodic-tasks` returned.
    pub seconds: f64,
    pub edit: Measured,
    pub run: Measured,
    pub published: PublishCounts,
    pub synced: Vec<SyncLine>,
}

impl EditResult {
    pub fn fewest_sent(&self) -> usize {
        self.synced.iter().map(|line| line.sent).min().unwrap_or(0)
    }

    pub fn fewest_deleted(&self) -> usize {
        self.synced.iter().map(|line| line.deleted).min().unwrap_or(0)
    }
}

/// Plans the three changes for a site built from `entries`; `dir` receives
/// the edited template source. `run` goes into the new texts so that each
/// run's changes are its own.
pub fn plan(site: &Site, dir: &Path, entries: &[Entry], run: usize) -> anyhow::Result<Vec<Edit>> {
    let templates = movable_type::read_templates(site)?;
    Ok(vec![
        body_edit(entries, entries.len() / 2, run, &templates),
        date_change(entries, entries.len() * 3 / 4, &templates)?,
        template_edit(dir, entries, run, &templates)?,
    ])
}

fn body_edit(entries: &[Entry], index: usize, run: usize, templates: &[Template]) -> Edit {
    let entry = &entries[index];
    let body = format!("Body replaced by the incremental benchmark in run {run}.");
    Edit {
        label: "body edit",
        args: strings(&["entry", "edit", &entry.basename(), "--body", &body]),
        check: Check::Contains { page: entry_page(entry, &entry.month()), text: body },
        movable_type: movable_type::entry_save(entries, index, templates),
    }
}

/// Moves `entries[index]` to one minute after the middle entry of the
/// closest earlier month, so that it lands between two entries there.
fn date_change(entries: &[Entry], index: usize, templates: &[Template]) -> anyhow::Result<Edit> {
    let entry = &entries[index];
    let Some(earlier) = entries[..index].iter().rposition(|other| other.month() != entry.month()) else {
        bail!("{} is in the first month; the date change needs an earlier month", entry.basename());
    };
    let new_month = entries[earlier].month();
    let first = entries.iter().position(|other| other.month() == new_month).unwrap_or(earlier);
    let new_previous = (first + earlier) / 2;
    let new_date = entries[new_previous].date + Duration::minutes(1);
    if new_date.month() == entry.date.month() && new_date.year() == entry.date.year() {
        bail!("the new date {new_date} of {} is in its old month", entry.basename());
    }
    let date = new_date.format("%Y-%m-%d %H:%M").to_string();
    Ok(Edit {
        label: "date change to another month",
        args: strings(&["entry", "edit", &entry.basename(), "--date", &date]),
        check: Check::Moved { old: entry_page(entry, &entry.month()), new: entry_page(entry, &new_month) },
        movable_type: movable_type::entry_move(entries, index, &new_month, new_previous, templates),
    })
}

/// Appends an HTML comment to the module [`TEMPLATE`], which every page of
/// the main index includes once per entry.
fn template_edit(dir: &Path, entries: &[Entry], run: usize, templates: &[Template]) -> anyhow::Result<Edit> {
    let template = templates.iter().find(|t| t.name == TEMPLATE).with_context(|| format!("no template {TEMPLATE}"))?;
    let comment = format!("<!-- edited by the incremental benchmark in run {run} -->");
    let source_file = dir.join(format!("{TEMPLATE}.html"));
    fs::write(&source_file, format!("{}\n{comment}\n", template.source.trim_end()))?;
    Ok(Edit {
        label: "template edit",
        args: strings(&["template", "edit", TEMPLATE, "--from", site::path_str(&source_file)?]),
        check: Check::Contains { page: PathBuf::from("index.html"), text: comment },
        movable_type: movable_type::template_save(entries, TEMPLATE, templates)?,
    })
}

/// Returns the page of `entry` when it is in `month` (`2019-05`), as the
/// default map `%y/%m/%f` names it.
fn entry_page(entry: &Entry, month: &str) -> PathBuf {
    PathBuf::from(format!("{}/{}.html", month.replace('-', "/"), entry.basename()))
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| word.to_string()).collect()
}

/// Lists the change with `--dry-run`, makes it, runs `run-periodic-tasks
/// --verbose`, and checks the result on every target copy in `copies`.
pub fn make(site: &Site, name: &str, edit: &Edit, copies: &[PathBuf]) -> anyhow::Result<EditResult> {
    let args: Vec<&str> = edit.args.iter().map(String::as_str).collect();
    let (queued, queued_lines) = dry_run(site, name, &args)?;

    process::flush_file_systems();
    let started = Instant::now();
    let measured_edit = site.run(&format!("{name}-edit"), &args)?;
    let run = site.run(&format!("{name}-run"), &["run-periodic-tasks", "--verbose"])?;
    let seconds = started.elapsed().as_secs_f64();

    for copy in copies {
        check(copy, &edit.check)?;
    }
    let published = site::publish_counts(&run.stderr);
    let synced = site::sync_lines(&run.stderr);
    Ok(EditResult { queued, queued_lines, seconds, edit: measured_edit, run, published, synced })
}

/// Runs the change with `--dry-run` and returns the number of files it
/// would queue and the lines that list them.
fn dry_run(site: &Site, name: &str, args: &[&str]) -> anyhow::Result<(usize, Vec<String>)> {
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run");
    let log_name = format!("{name}-dry-run");
    site.run(&log_name, &dry_args)?;
    let stdout_path = site.logs.join(format!("{log_name}.stdout"));
    let stdout = fs::read_to_string(&stdout_path).with_context(|| format!("cannot read {}", stdout_path.display()))?;
    let queued = stdout
        .lines()
        .find_map(|line| line.strip_suffix(" files would be queued (dry run: nothing was changed)"))
        .and_then(|count| count.trim().parse().ok())
        .with_context(|| format!("no `N files would be queued` line in {}", stdout_path.display()))?;
    let lines = stdout
        .lines()
        .filter(|line| ["publish ", "move ", "remove "].iter().any(|prefix| line.starts_with(prefix)))
        .map(String::from)
        .collect();
    Ok((queued, lines))
}

fn check(copy: &Path, check: &Check) -> anyhow::Result<()> {
    match check {
        Check::Contains { page, text } => {
            let path = copy.join(page);
            let content = fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            if !content.contains(text.as_str()) {
                bail!("{} does not contain {text:?} after the sync", path.display());
            }
        }
        Check::Moved { old, new } => {
            if copy.join(old).exists() {
                bail!("{} is still there after the date change was synced", copy.join(old).display());
            }
            if !copy.join(new).is_file() {
                bail!("{} is missing after the date change was synced", copy.join(new).display());
            }
        }
    }
    Ok(())
}
