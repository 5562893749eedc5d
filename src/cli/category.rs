//! `pressrun category …`: categories of entries and folders of pages.

use std::process::ExitCode;

use clap::Subcommand;

use super::commit::{self, Edit};
use super::edit::find_category;
use super::{InputError, Site};
use crate::basename;
use crate::change::{Touch, keys};
use crate::model::{Category, Entry};
use crate::store::{EntryFilter, Tx};

#[derive(Debug, Subcommand)]
pub enum CategoryCommand {
    /// List categories: id, basename path and label.
    List,
    /// Create a category.
    New {
        label: String,
        /// Basename in paths [default: made from the label].
        #[arg(long)]
        basename: Option<String>,
        /// Parent category (basename path, basename or label).
        #[arg(long)]
        parent: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Change a category; entries whose paths include it move.
    Edit {
        /// Id, basename path, basename or label.
        category: String,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        basename: Option<String>,
        /// New parent, or `none` for a top-level category.
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete a category; its entries stay, without it, and its archive is
    /// removed everywhere.
    Delete {
        category: String,
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(site: &Site, command: CategoryCommand) -> anyhow::Result<ExitCode> {
    match command {
        CategoryCommand::List => {
            let all = site.store.read(|tx| tx.categories())?;
            for category in &all {
                let parent = category.parent_id.map(|id| format!(" (in {id})")).unwrap_or_default();
                println!("{:>6}  {}  {}{parent}", category.id, category.basename, category.label);
            }
        }
        CategoryCommand::New { label, basename, parent, description, dry_run } => {
            commit::run(site, dry_run, |tx| create(tx, &label, basename.as_deref(), parent.as_deref(), &description))?
        }
        CategoryCommand::Edit { category, label, basename, parent, description, dry_run } => {
            let change = Change { label, basename, parent, description };
            commit::run(site, dry_run, |tx| edit(tx, &category, &change))?
        }
        CategoryCommand::Delete { category, dry_run } => commit::run(site, dry_run, |tx| delete(tx, &category))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn create(
    tx: &mut dyn Tx,
    label: &str,
    basename: Option<&str>,
    parent: Option<&str>,
    description: &str,
) -> anyhow::Result<Edit> {
    let all = tx.categories()?;
    let parent_id = parent.map(|key| find_category(&all, key).map(|c| c.id)).transpose()?;
    let wanted = match basename {
        Some(raw) => checked_basename(raw)?,
        None => basename::from_title(label),
    };
    let siblings: Vec<&str> = all.iter().filter(|c| c.parent_id == parent_id).map(|c| c.basename.as_str()).collect();
    let basename = basename::unique(&wanted, |b| siblings.contains(&b));
    let category =
        Category { id: 0, label: label.to_string(), basename, parent_id, description: description.to_string() };
    let id = tx.insert_category(&category)?;
    Ok(Edit {
        touches: vec![Touch::Whole(keys::CATEGORIES.to_string())],
        summary: format!("created category {id} ({})", category.basename),
        ..Edit::default()
    })
}

/// The fields `category edit` may change; `None` keeps the current one.
struct Change {
    label: Option<String>,
    basename: Option<String>,
    parent: Option<String>,
    description: Option<String>,
}

fn edit(tx: &mut dyn Tx, key: &str, change: &Change) -> anyhow::Result<Edit> {
    let all = tx.categories()?;
    let mut changed = find_category(&all, key)?.clone();
    if let Some(label) = &change.label {
        changed.label = label.clone();
    }
    if let Some(raw) = &change.basename {
        changed.basename = checked_basename(raw)?;
    }
    if let Some(description) = &change.description {
        changed.description = description.clone();
    }
    if let Some(parent) = &change.parent {
        changed.parent_id = match parent.as_str() {
            "none" => None,
            key => Some(find_category(&all, key)?.id),
        };
        check_no_cycle(&all, changed.id, changed.parent_id)?;
    }
    tx.update_category(&changed)?;
    Ok(category_edit(changed.id, format!("changed category {}", changed.id)))
}

fn delete(tx: &mut dyn Tx, key: &str) -> anyhow::Result<Edit> {
    let all = tx.categories()?;
    let found = find_category(&all, key)?.clone();
    if all.iter().any(|c| c.parent_id == Some(found.id)) {
        return Err(
            InputError(format!("category {:?} has subcategories; move or delete them first", found.label)).into()
        );
    }
    let entries = entries_in(tx, found.id)?;
    tx.delete_category(found.id)?;

    let mut edit = category_edit(found.id, format!("deleted category {} ({})", found.id, found.basename));
    for before in entries {
        let mut after = before.clone();
        after.category_ids.retain(|id| *id != found.id);
        edit.entries.push((Some(before), Some(after)));
    }
    Ok(edit)
}

fn checked_basename(raw: &str) -> Result<String, InputError> {
    let basename = basename::normalize(raw).map_err(|error| InputError(error.to_string()))?;
    if basename.contains('/') {
        return Err(InputError(format!("category basename {basename:?} may not contain '/'; use --parent")));
    }
    Ok(basename)
}

fn check_no_cycle(all: &[Category], id: i64, mut parent: Option<i64>) -> Result<(), InputError> {
    while let Some(current) = parent {
        if current == id {
            return Err(InputError("a category cannot be inside itself".to_string()));
        }
        parent = all.iter().find(|c| c.id == current).and_then(|c| c.parent_id);
    }
    Ok(())
}

/// A change of one category: its own label and URL, and the category list.
fn category_edit(id: i64, summary: String) -> Edit {
    Edit {
        touches: vec![
            Touch::Whole(keys::category(id)),
            Touch::Whole(keys::CATEGORIES.to_string()),
            Touch::Whole(keys::category_list(id)),
        ],
        summary,
        ..Edit::default()
    }
}

fn entries_in(tx: &mut dyn Tx, category_id: i64) -> anyhow::Result<Vec<Entry>> {
    let all = tx.entries(EntryFilter::default())?;
    Ok(all.into_iter().filter(|entry| entry.category_ids.contains(&category_id)).collect())
}
