//! `pressrun entry …` and `pressrun page …`: listing and changing entries
//! and pages. Each change is one transaction that also queues its publish
//! jobs; nothing is rendered here.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDateTime;
use clap::{Args, Subcommand};

use super::commit::{self, Edit};
use super::{InputError, Site};
use crate::basename;
use crate::import::{self, ImportedEntry};
use crate::model::{Category, Entry, EntryKind, Status, TextFilter, Timestamp};
use crate::store::{EntryFilter, Tx};
use crate::time::{SiteTimeZone, now};

#[derive(Debug, Subcommand)]
pub enum EntryCommand {
    /// List entries (or pages): id, status, date, basename and title.
    List {
        /// Only those with this status: draft, published or scheduled.
        #[arg(long)]
        status: Option<String>,
    },
    /// Create one; it is published unless --status sets another status.
    New {
        #[command(flatten)]
        fields: Fields,
    },
    /// Change fields of one.
    Edit {
        /// Id or basename.
        entry: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Make one published (its files are written and synced).
    Publish {
        /// Id or basename.
        entry: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Make one a draft; its files are removed from the site root and every
    /// target.
    Unpublish {
        /// Id or basename.
        entry: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete one and its comments; its files are removed everywhere.
    Delete {
        /// Id or basename.
        entry: String,
        #[arg(long)]
        dry_run: bool,
    },
}

/// Fields of an entry or page, each optional. `--from` reads them from a
/// file in the Movable Type export format, and the other options override it.
#[derive(Debug, Default, Args)]
pub struct Fields {
    #[arg(long)]
    title: Option<String>,
    /// The file name without extension; `/` nests it in folders.
    #[arg(long)]
    basename: Option<String>,
    /// Authored date in the site's time zone, `YYYY-MM-DD HH:MM[:SS]`, or
    /// RFC 3339 with an offset.
    #[arg(long)]
    date: Option<String>,
    /// Category, by basename path such as `news/local` or by label;
    /// repeatable, the first is the primary one. A page's folder is a
    /// category too: `--folder about` publishes it under `about/`.
    #[arg(long = "category", visible_alias = "folder", value_name = "CATEGORY")]
    categories: Vec<String>,
    /// A tag; repeatable. Replaces all tags when given.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// draft, published or scheduled (published once its date passes).
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    body: Option<String>,
    /// The extended body, shown after the break.
    #[arg(long)]
    extended: Option<String>,
    #[arg(long)]
    excerpt: Option<String>,
    #[arg(long)]
    keywords: Option<String>,
    /// none, convert_breaks or markdown.
    #[arg(long)]
    text_filter: Option<String>,
    /// An entry in the Movable Type export format to take fields from.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// List the files the change would queue, and change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(site: &Site, kind: EntryKind, command: EntryCommand) -> anyhow::Result<ExitCode> {
    let zone = site.config.time_zone;
    match command {
        EntryCommand::List { status } => return list(site, kind, status.as_deref()),
        EntryCommand::New { fields } => commit::run(site, fields.dry_run, |tx| create(tx, kind, &fields, zone))?,
        EntryCommand::Edit { entry, fields } => commit::run(site, fields.dry_run, |tx| {
            change(tx, kind, &entry, |tx, entry| apply(tx, entry, &fields, zone))
        })?,
        EntryCommand::Publish { entry, dry_run } => commit::run(site, dry_run, |tx| {
            change(tx, kind, &entry, |_, entry| {
                entry.status = Status::Published;
                Ok(())
            })
        })?,
        EntryCommand::Unpublish { entry, dry_run } => commit::run(site, dry_run, |tx| {
            change(tx, kind, &entry, |_, entry| {
                entry.status = Status::Draft;
                Ok(())
            })
        })?,
        EntryCommand::Delete { entry, dry_run } => commit::run(site, dry_run, |tx| {
            let before = find_entry(tx, &entry, kind)?;
            tx.delete_entry(before.id)?;
            let summary = format!("deleted {kind} {} ({})", before.id, before.basename);
            Ok(Edit { entries: vec![(Some(before), None)], summary, ..Edit::default() })
        })?,
    }
    Ok(ExitCode::SUCCESS)
}

fn list(site: &Site, kind: EntryKind, status: Option<&str>) -> anyhow::Result<ExitCode> {
    let status = status.map(parse_status).transpose()?;
    let entries = site.store.read(|tx| tx.entries(EntryFilter { kind: Some(kind), status }))?;
    let zone = site.config.time_zone;
    for entry in entries.iter().rev() {
        let date = zone.local(entry.authored_on).format("%Y-%m-%d %H:%M");
        println!("{:>6}  {:<9}  {date}  {}  {}", entry.id, entry.status.as_str(), entry.basename, entry.title);
    }
    Ok(ExitCode::SUCCESS)
}

/// Finds an entry or page by id or basename.
pub fn find_entry(tx: &mut dyn Tx, key: &str, kind: EntryKind) -> anyhow::Result<Entry> {
    let by_id = match key.parse::<i64>() {
        Ok(id) => tx.entry(id)?.filter(|entry| entry.kind == kind),
        Err(_) => None,
    };
    let found = match by_id {
        Some(entry) => Some(entry),
        None => tx.entry_by_basename(kind, key)?,
    };
    found.ok_or_else(|| InputError(format!("no {kind} with id or basename {key:?}")).into())
}

fn create(tx: &mut dyn Tx, kind: EntryKind, fields: &Fields, zone: SiteTimeZone) -> anyhow::Result<Edit> {
    let now = now();
    let mut entry = Entry {
        id: 0,
        kind,
        title: String::new(),
        basename: String::new(),
        status: Status::Published,
        authored_on: now,
        modified_on: now,
        author_id: None,
        body: String::new(),
        extended: String::new(),
        excerpt: String::new(),
        keywords: String::new(),
        text_filter: TextFilter::ConvertBreaks,
        allow_comments: true,
        category_ids: Vec::new(),
        tags: Vec::new(),
    };
    apply(tx, &mut entry, fields, zone)?;
    if entry.title.trim().is_empty() {
        return Err(InputError(format!("a new {kind} needs a --title")).into());
    }
    if entry.basename.is_empty() {
        let wanted = basename::from_title(&entry.title);
        let mut error = None;
        entry.basename = basename::unique(&wanted, |candidate| {
            tx.basename_in_use(kind, candidate, None).unwrap_or_else(|e| {
                error = Some(e);
                true
            })
        });
        if let Some(error) = error {
            return Err(error.into());
        }
    }
    entry.id = tx.insert_entry(&entry, None)?;
    let summary = format!("created {kind} {} ({})", entry.id, entry.basename);
    Ok(Edit { entries: vec![(None, Some(entry))], summary, ..Edit::default() })
}

/// Loads one entry, applies `edit` to it and stores it.
fn change(
    tx: &mut dyn Tx,
    kind: EntryKind,
    key: &str,
    edit: impl FnOnce(&mut dyn Tx, &mut Entry) -> anyhow::Result<()>,
) -> anyhow::Result<Edit> {
    let before = find_entry(tx, key, kind)?;
    let mut after = before.clone();
    edit(tx, &mut after)?;
    if after.status == Status::Scheduled && after.authored_on <= now() {
        after.status = Status::Published;
    }
    if after != before {
        after.modified_on = now();
        tx.update_entry(&after)?;
    }
    let summary = format!("changed {kind} {} ({})", after.id, after.basename);
    Ok(Edit { entries: vec![(Some(before), Some(after))], summary, ..Edit::default() })
}

/// Applies the given fields to `entry`.
fn apply(tx: &mut dyn Tx, entry: &mut Entry, fields: &Fields, zone: SiteTimeZone) -> anyhow::Result<()> {
    if let Some(file) = &fields.from {
        apply_file(tx, entry, file, zone)?;
    }
    set(&mut entry.title, &fields.title);
    set(&mut entry.body, &fields.body);
    set(&mut entry.extended, &fields.extended);
    set(&mut entry.excerpt, &fields.excerpt);
    set(&mut entry.keywords, &fields.keywords);
    if let Some(raw) = &fields.basename {
        set_basename(tx, entry, raw)?;
    }
    if let Some(date) = &fields.date {
        entry.authored_on = parse_date(date, zone)?;
    }
    if let Some(status) = &fields.status {
        entry.status = parse_status(status)?;
    }
    if let Some(filter) = &fields.text_filter {
        entry.text_filter = filter
            .parse()
            .map_err(|_| InputError(format!("unknown text filter {filter:?}; use none, convert_breaks or markdown")))?;
    }
    if !fields.categories.is_empty() {
        let all = tx.categories()?;
        entry.category_ids =
            fields.categories.iter().map(|key| find_category(&all, key).map(|c| c.id)).collect::<Result<_, _>>()?;
        entry.category_ids.dedup();
    }
    if !fields.tags.is_empty() {
        entry.tags = fields.tags.clone();
    }
    Ok(())
}

fn set(field: &mut String, value: &Option<String>) {
    if let Some(value) = value {
        *field = value.clone();
    }
}

fn set_basename(tx: &mut dyn Tx, entry: &mut Entry, raw: &str) -> anyhow::Result<()> {
    let wanted = basename::normalize(raw).map_err(|error| InputError(error.to_string()))?;
    if tx.basename_in_use(entry.kind, &wanted, Some(entry.id))? {
        let other = tx.entry_by_basename(entry.kind, &wanted)?.map_or(0, |e| e.id);
        return Err(InputError(format!("basename {wanted:?} is used by {} {other}; choose another", entry.kind)).into());
    }
    entry.basename = wanted;
    Ok(())
}

/// Takes the fields of the first entry in a Movable Type export file.
fn apply_file(tx: &mut dyn Tx, entry: &mut Entry, file: &std::path::Path, zone: SiteTimeZone) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let batch = import::mt::parse(&bytes);
    let Some(imported): Option<&ImportedEntry> = batch.entries.first() else {
        let reason = batch.skipped.first().map_or("no entry in it".to_string(), |s| s.reason.clone());
        return Err(InputError(format!("{}: {reason}", file.display())).into());
    };
    if batch.entries.len() > 1 {
        let count = batch.entries.len();
        let message =
            format!("{} has {count} entries; --from takes one (use `pressrun import` for more)", file.display());
        return Err(InputError(message).into());
    }
    entry.title = imported.title.trim().to_string();
    entry.body = imported.body.clone();
    entry.extended = imported.extended.clone();
    entry.excerpt = imported.excerpt.clone();
    entry.keywords = imported.keywords.clone();
    entry.text_filter = imported.text_filter;
    entry.status = imported.status;
    entry.allow_comments = imported.allow_comments;
    entry.tags = imported.tags.clone();
    if let Some(raw) = imported.basename.as_deref().filter(|b| !b.trim().is_empty()) {
        set_basename(tx, entry, raw)?;
    }
    if let Some(date) = imported.date {
        entry.authored_on = match date {
            import::ImportedDate::Local(local) => zone.to_timestamp(local),
            import::ImportedDate::Utc(utc) => utc.timestamp(),
        };
    }
    if !imported.categories.is_empty() {
        let all = tx.categories()?;
        let labels: Vec<String> = imported.categories.iter().filter_map(|path| path.last().cloned()).collect();
        entry.category_ids =
            labels.iter().map(|label| find_category(&all, label).map(|c| c.id)).collect::<Result<_, _>>()?;
    }
    Ok(())
}

/// Finds a category by basename path (`news/local`), basename or label.
pub fn find_category<'a>(all: &'a [Category], key: &str) -> Result<&'a Category, InputError> {
    let path_of = |category: &Category| {
        let mut parts = vec![category.basename.clone()];
        let mut parent = category.parent_id;
        while let Some(found) = parent.and_then(|id| all.iter().find(|c| c.id == id)) {
            parts.insert(0, found.basename.clone());
            parent = found.parent_id.filter(|_| parts.len() < 64);
        }
        parts.join("/")
    };
    let by_id = key.parse::<i64>().ok().and_then(|id| all.iter().find(|c| c.id == id));
    by_id
        .or_else(|| all.iter().find(|c| path_of(c) == key))
        .or_else(|| all.iter().find(|c| c.basename == key))
        .or_else(|| all.iter().find(|c| c.label == key))
        .ok_or_else(|| InputError(format!("no category {key:?}; create it with `pressrun category new`")))
}

/// Parses a status, in pressrun's words or Movable Type's (`Publish`,
/// `Draft`, `Future`), in any case.
pub fn parse_status(text: &str) -> Result<Status, InputError> {
    match text.to_ascii_lowercase().as_str() {
        "published" | "publish" => Ok(Status::Published),
        "draft" => Ok(Status::Draft),
        "scheduled" | "future" => Ok(Status::Scheduled),
        _ => Err(InputError(format!("unknown status {text:?}; use draft, published or scheduled"))),
    }
}

/// Parses a date in the site's time zone, or an RFC 3339 date with offset.
pub fn parse_date(text: &str, zone: SiteTimeZone) -> Result<Timestamp, InputError> {
    if let Ok(date) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(date.timestamp());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(zone.to_timestamp(local));
        }
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(zone.to_timestamp(day.and_hms_opt(0, 0, 0).expect("midnight exists")));
    }
    Err(InputError(format!("invalid date {text:?}; write YYYY-MM-DD HH:MM in the site's time zone ({zone})")))
}
