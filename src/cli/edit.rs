//! `pressrun entry …`: listing and changing entries. Each change is one
//! transaction that also queues its publish jobs; nothing is rendered here.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::{InputError, Site};
use crate::change::{self, ChangeSet};
use crate::model::{Entry, EntryKind, Status};
use crate::snapshot::Snapshot;
use crate::store::{EntryFilter, Tx};
use crate::time::now;

#[derive(Debug, Subcommand)]
pub enum EntryCommand {
    /// List entries: id, status, date, basename and title.
    List {
        /// Only entries with this status: draft, published or scheduled.
        #[arg(long)]
        status: Option<String>,
    },
    /// Make an entry a draft; its files are removed from the site root and
    /// every target.
    Unpublish {
        /// Entry id or basename.
        entry: String,
    },
    /// Delete an entry and its comments; its files are removed everywhere.
    Delete {
        /// Entry id or basename.
        entry: String,
    },
}

pub fn run(site: &Site, command: EntryCommand) -> anyhow::Result<ExitCode> {
    match command {
        EntryCommand::List { status } => list(site, status.as_deref()),
        EntryCommand::Unpublish { entry } => change_entry(site, &entry, |entry| {
            Some(Entry { status: Status::Draft, modified_on: now(), ..entry.clone() })
        }),
        EntryCommand::Delete { entry } => change_entry(site, &entry, |_| None),
    }
}

fn list(site: &Site, status: Option<&str>) -> anyhow::Result<ExitCode> {
    let status = status
        .map(|s| {
            s.parse::<Status>()
                .map_err(|_| InputError(format!("unknown status {s:?}; use draft, published or scheduled")))
        })
        .transpose()?;
    let entries = site.store.read(|tx| tx.entries(EntryFilter { kind: Some(EntryKind::Entry), status }))?;
    let zone = site.config.time_zone;
    for entry in entries.iter().rev() {
        let date = zone.local(entry.authored_on).format("%Y-%m-%d %H:%M");
        println!("{:>6}  {:<9}  {date}  {}  {}", entry.id, entry.status.as_str(), entry.basename, entry.title);
    }
    Ok(ExitCode::SUCCESS)
}

/// Finds an entry by id or basename.
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

/// Applies `edit` to one entry and queues what it affects, in one transaction.
fn change_entry(site: &Site, key: &str, edit: impl FnOnce(&Entry) -> Option<Entry>) -> anyhow::Result<ExitCode> {
    let settings = site.settings();
    let queued = site.store.write(|tx| -> anyhow::Result<_> {
        let before = find_entry(tx, key, EntryKind::Entry)?;
        let after = edit(&before);
        match &after {
            Some(entry) => tx.update_entry(entry)?,
            None => tx.delete_entry(before.id)?,
        }
        let snapshot = Snapshot::load(tx, settings.clone())?;
        let mut changes = ChangeSet::default();
        changes.entry_changed(Some(&before), after.as_ref(), &snapshot);
        change::commit_with(tx, &snapshot, &changes, now()).context("cannot queue the change")
    })?;
    println!("{} files queued", queued.files.len());
    Ok(ExitCode::SUCCESS)
}
