//! `pressrun template …`: the site's templates and their archive maps.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::commit::{self, Edit};
use super::{InputError, Site};
use crate::archive::specifier;
use crate::model::{ArchiveType, PublishType, Template, TemplateKind, TemplateMap};
use std::sync::Arc;

use crate::change::including_templates;
use crate::render::Renderer;
use crate::snapshot::{SiteSettings, Snapshot};
use crate::store::{FileState, Tx};

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// List templates: name, kind, publish type and output or maps.
    List,
    /// Print a template's source.
    Show { name: String },
    /// Create a template.
    New {
        name: String,
        /// index, archive, individual, page or module.
        #[arg(long)]
        kind: String,
        /// The template source.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// For an index template: its output path under the site root.
        #[arg(long)]
        output: Option<String>,
        /// For an index template: entries per page, 0 for one file.
        #[arg(long, default_value_t = 0)]
        page_size: u32,
        #[arg(long)]
        dry_run: bool,
    },
    /// Change a template's source or settings; its files are queued.
    Edit {
        name: String,
        /// New source.
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// background (on every change), manual (only on an explicit
        /// publish), scheduled (at most every --interval seconds) or
        /// disabled (never; files already made stay).
        #[arg(long)]
        publish_type: Option<String>,
        /// Seconds between publishes for the scheduled publish type.
        #[arg(long)]
        interval: Option<i64>,
        #[arg(long)]
        output: Option<String>,
        #[arg(long)]
        page_size: Option<u32>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete a template; its files are removed everywhere.
    Delete {
        name: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Map an archive template to an archive type and a path pattern such as
    /// `%y/%m/%d/%i`.
    Map {
        name: String,
        /// individual, page, daily, weekly, monthly, yearly, category or author.
        #[arg(long)]
        archive_type: String,
        /// Path pattern with Movable Type file specifiers.
        #[arg(long)]
        pattern: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove an archive map by id (see `template list`).
    Unmap {
        id: i64,
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(site: &Site, command: TemplateCommand) -> anyhow::Result<ExitCode> {
    match command {
        TemplateCommand::List => list(site)?,
        TemplateCommand::Show { name } => {
            let template = site.store.read(|tx| find(tx, &name))?;
            print!("{}", template.source);
        }
        TemplateCommand::New { name, kind, from, output, page_size, dry_run } => {
            commit::run(site, dry_run, |tx| create(tx, &name, &kind, &from, output.clone(), page_size))?
        }
        TemplateCommand::Edit { name, from, publish_type, interval, output, page_size, dry_run } => {
            let settings = site.settings();
            let change = Change { from, publish_type, interval, output, page_size };
            commit::run(site, dry_run, |tx| edit(tx, &settings, &name, &change))?
        }
        TemplateCommand::Delete { name, dry_run } => commit::run(site, dry_run, |tx| {
            let template = find(tx, &name)?;
            tx.delete_template(template.id)?;
            Ok(Edit { summary: format!("deleted template {name}"), ..Edit::default() })
        })?,
        TemplateCommand::Map { name, archive_type, pattern, dry_run } => {
            commit::run(site, dry_run, |tx| map(tx, &name, &archive_type, &pattern))?
        }
        TemplateCommand::Unmap { id, dry_run } => commit::run(site, dry_run, |tx| {
            let map = tx
                .template_maps()?
                .into_iter()
                .find(|map| map.id == id)
                .ok_or_else(|| InputError(format!("no map {id}")))?;
            tx.delete_template_map(id)?;
            Ok(Edit { templates: [map.template_id].into(), summary: format!("removed map {id}"), ..Edit::default() })
        })?,
    }
    Ok(ExitCode::SUCCESS)
}

fn create(
    tx: &mut dyn Tx,
    name: &str,
    kind: &str,
    from: &PathBuf,
    output: Option<String>,
    page_size: u32,
) -> anyhow::Result<Edit> {
    let kind: TemplateKind = kind.parse().map_err(|_| InputError(format!("unknown template kind {kind:?}")))?;
    let source = read_source(from, name)?;
    if kind == TemplateKind::Index && output.is_none() {
        return Err(InputError("an index template needs --output".to_string()).into());
    }
    let template = Template {
        id: 0,
        name: name.to_string(),
        kind,
        source,
        output,
        page_size,
        publish_type: PublishType::Background,
    };
    let id = tx.insert_template(&template)?;
    Ok(Edit { templates: [id].into(), summary: format!("created template {name}"), ..Edit::default() })
}

/// The settings `template edit` may change; `None` keeps the current one.
struct Change {
    from: Option<PathBuf>,
    publish_type: Option<String>,
    interval: Option<i64>,
    output: Option<String>,
    page_size: Option<u32>,
}

fn edit(tx: &mut dyn Tx, settings: &SiteSettings, name: &str, change: &Change) -> anyhow::Result<Edit> {
    let mut template = find(tx, name)?;
    if let Some(file) = &change.from {
        template.source = read_source(file, name)?;
    }
    if let Some(kind) = &change.publish_type {
        template.publish_type = parse_publish_type(kind, change.interval)?;
    } else if let (Some(seconds), PublishType::Scheduled { .. }) = (change.interval, template.publish_type) {
        template.publish_type = PublishType::Scheduled { interval_secs: seconds };
    }
    if change.output.is_some() {
        template.output = change.output.clone();
    }
    if let Some(size) = change.page_size {
        template.page_size = size;
    }

    tx.update_template(&template)?;
    check_renders(tx, settings, template.id)?;
    Ok(Edit { templates: [template.id].into(), summary: format!("changed template {name}"), ..Edit::default() })
}

fn map(tx: &mut dyn Tx, name: &str, archive_type: &str, pattern: &str) -> anyhow::Result<Edit> {
    let template = find(tx, name)?;
    let archive_type: ArchiveType = archive_type
        .parse()
        .ok()
        .filter(|t: &ArchiveType| !matches!(t, ArchiveType::Index | ArchiveType::Asset | ArchiveType::Thumbnail))
        .ok_or_else(|| InputError(format!("unknown archive type {archive_type:?}")))?;
    specifier::validate(pattern).map_err(|error| InputError(error.to_string()))?;

    let preferred = !tx.template_maps()?.iter().any(|map| map.archive_type == archive_type);
    let map = TemplateMap {
        id: 0,
        template_id: template.id,
        archive_type,
        file_pattern: pattern.to_string(),
        is_preferred: preferred,
    };
    let id = tx.insert_template_map(&map)?;
    Ok(Edit {
        templates: [template.id].into(),
        summary: format!("added map {id}: {archive_type} {pattern}"),
        ..Edit::default()
    })
}

fn list(site: &Site) -> anyhow::Result<()> {
    let (templates, maps) = site.store.read(|tx| Ok::<_, anyhow::Error>((tx.templates()?, tx.template_maps()?)))?;
    for template in &templates {
        let publish = match template.publish_type {
            PublishType::Scheduled { interval_secs } => format!("scheduled every {interval_secs} s"),
            other => other.name().to_string(),
        };
        let output = template.output.as_deref().map(|o| format!("  -> {o}")).unwrap_or_default();
        println!("{:<18} {:<10} {publish}{output}", template.name, template.kind.as_str());
        for map in maps.iter().filter(|map| map.template_id == template.id) {
            println!("    map {}: {} {}", map.id, map.archive_type, map.file_pattern);
        }
    }
    Ok(())
}

fn find(tx: &mut dyn Tx, name: &str) -> anyhow::Result<Template> {
    tx.template_by_name(name)?.ok_or_else(|| InputError(format!("no template named {name:?}")).into())
}

/// Reads a template source and checks that it compiles.
fn read_source(file: &PathBuf, name: &str) -> anyhow::Result<String> {
    let source = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut env = minijinja::Environment::new();
    env.add_template_owned(name.to_string(), source.clone())
        .map_err(|error| InputError(format!("{}: template {name:?} does not compile: {error}", file.display())))?;
    Ok(source)
}

/// Renders one file of the template, and of each template that includes
/// it, with the changed source, so that an error such as an unknown filter
/// is reported now instead of failing every page at publish time.
fn check_renders(tx: &mut dyn Tx, settings: &SiteSettings, template_id: i64) -> anyhow::Result<()> {
    let snapshot = Arc::new(Snapshot::load(tx, settings.clone())?);
    let renderer = Renderer::new(&snapshot.templates);
    for id in including_templates(&snapshot, &[template_id].into()) {
        let sample = tx.file_infos_of_template(id)?.into_iter().find(|info| info.state == FileState::Active);
        let Some(info) = sample else { continue };
        if let Err(error) = renderer.render(&snapshot, &info) {
            let path = info.path.unwrap_or_default();
            return Err(InputError(format!("{error}; {path} would fail, so the change is not saved")).into());
        }
    }
    Ok(())
}

fn parse_publish_type(kind: &str, interval: Option<i64>) -> Result<PublishType, InputError> {
    Ok(match kind {
        "background" => PublishType::Background,
        "manual" => PublishType::Manual,
        "disabled" => PublishType::Disabled,
        "scheduled" => {
            let seconds = interval
                .filter(|s| *s > 0)
                .ok_or_else(|| InputError("--publish-type scheduled needs --interval SECONDS".to_string()))?;
            PublishType::Scheduled { interval_secs: seconds }
        }
        other => {
            return Err(InputError(format!(
                "unknown publish type {other:?}; use background, manual, scheduled or disabled"
            )));
        }
    })
}
