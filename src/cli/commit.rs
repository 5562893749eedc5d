//! Running an edit as one transaction that also queues its jobs, or, with
//! `--dry-run`, listing what it would queue and rolling it back.

use std::collections::BTreeSet;

use super::Site;
use crate::change::{self, ChangeSet, Queued, Touch};
use crate::model::{Entry, TemplateId};
use crate::snapshot::Snapshot;
use crate::store::Tx;
use crate::time::now;

/// The changes an edit made, for working out what to queue.
#[derive(Debug, Default)]
pub struct Edit {
    /// Entries or pages before and after (`None` for created or deleted).
    pub entries: Vec<(Option<Entry>, Option<Entry>)>,
    pub touches: Vec<Touch>,
    pub templates: BTreeSet<TemplateId>,
    /// Queue every file (`publish --all`).
    pub everything: bool,
    /// Include templates whose publish type is manual (an explicit publish).
    pub include_manual: bool,
    /// A line for the user, such as "created entry 12".
    pub summary: String,
}

/// Carries a dry run's result out of the transaction it rolls back.
#[derive(Debug, thiserror::Error)]
#[error("dry run")]
struct DryRun(Queued, String);

/// Runs `edit` in a write transaction, queues what it affects and prints
/// the result. With `dry_run`, prints the files that would be queued and
/// keeps nothing.
pub fn run(site: &Site, dry_run: bool, edit: impl FnOnce(&mut dyn Tx) -> anyhow::Result<Edit>) -> anyhow::Result<()> {
    let settings = site.settings();
    let outcome = site.store.write(|tx| -> anyhow::Result<(Queued, String)> {
        let done = edit(tx)?;
        let snapshot = Snapshot::load(tx, settings.clone())?;
        let mut changes = ChangeSet {
            templates: done.templates.clone(),
            everything: done.everything,
            include_manual: done.include_manual,
            ..ChangeSet::default()
        };
        for (before, after) in &done.entries {
            changes.entry_changed(before.as_ref(), after.as_ref(), &snapshot);
        }
        changes.touches.extend(done.touches.iter().cloned());
        let queued = change::commit_with(tx, &snapshot, &changes, now())?;
        if dry_run {
            return Err(DryRun(queued, done.summary).into());
        }
        Ok((queued, done.summary))
    });
    match outcome {
        Ok((queued, summary)) => {
            if !summary.is_empty() {
                println!("{summary}");
            }
            print_clashes(&queued);
            println!("{} queued", super::count(queued.files.len() as i64, "file"));
            Ok(())
        }
        Err(error) => match error.downcast::<DryRun>() {
            Ok(DryRun(queued, summary)) => {
                if !summary.is_empty() {
                    println!("dry run: {summary} (not saved)");
                }
                print_queued(&queued);
                println!(
                    "{} would be queued (dry run: nothing was changed)",
                    super::count(queued.files.len() as i64, "file")
                );
                Ok(())
            }
            Err(error) => Err(error),
        },
    }
}

/// Lists queued files, one per line: `publish PATH`, `remove PATH`, or
/// `move OLD -> NEW`.
pub fn print_queued(queued: &Queued) {
    for file in &queued.files {
        match (&file.moved_from, file.removal) {
            (_, true) => println!("remove  {}", file.path),
            (Some(old), false) => println!("move    {old} -> {}", file.path),
            (None, false) => println!("publish {}", file.path),
        }
    }
}

pub fn print_clashes(queued: &Queued) {
    for clash in &queued.clashes {
        eprintln!(
            "warning: {} is wanted by both {} and {}; only the first is published",
            clash.path,
            clash.kept.key(),
            clash.dropped.key()
        );
    }
}
