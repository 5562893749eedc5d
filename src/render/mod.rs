//! Rendering: a file info and a snapshot in, the file's bytes and what it
//! depended on out.
//!
//! Templates are minijinja templates stored in the site. The renderer is
//! built once per set of templates and is shared by the threads that render
//! a batch in parallel.

mod functions;
pub mod objects;
pub mod text;
pub mod theme;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, context};

use self::objects::{CategoryObj, EntryList, EntryObj, PeriodObj, RenderCtx};
use crate::change::keys;
use crate::model::{ArchiveType, EntryKind, Template, TemplateKind};
use crate::plan;
use crate::snapshot::Snapshot;
use crate::store::{Dep, FileInfo, FileOwner};

/// The name under which the per-render state sits in the template context.
const CTX_NAME: &str = "__pressrun";

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {name:?} has an error: {message}")]
    Template { name: String, message: String },
    #[error("template {template:?} failed to render {path}: {message}")]
    Render { template: String, path: String, message: String },
    #[error("file info {owner} has no template")]
    NoTemplate { owner: String },
    #[error("{owner} no longer exists in the site")]
    OwnerGone { owner: String },
}

/// A rendered file.
#[derive(Debug)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub deps: Vec<Dep>,
    /// Thumbnails the file links to.
    pub thumbnails: Vec<(i64, crate::asset::thumbnails::ThumbnailSize)>,
}

/// Compiled templates.
pub struct Renderer {
    env: Environment<'static>,
    /// Templates that failed to compile, with the message.
    broken: HashMap<String, String>,
}

impl Renderer {
    /// Compiles `templates`. A template with a syntax error does not stop
    /// the others; rendering a file of it fails with that error.
    pub fn new(templates: &[Template]) -> Renderer {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        let unescaped: HashSet<String> = templates.iter().filter(|t| !is_markup(t)).map(|t| t.name.clone()).collect();
        env.set_auto_escape_callback(
            move |name| {
                if unescaped.contains(name) { AutoEscape::None } else { AutoEscape::Html }
            },
        );
        env.set_formatter(functions::format_value);
        functions::register(&mut env);

        let mut broken = HashMap::new();
        for template in templates {
            if let Err(error) = env.add_template_owned(template.name.clone(), template.source.clone()) {
                broken.insert(template.name.clone(), describe(&error));
            }
        }
        Renderer { env, broken }
    }

    /// Renders the file described by `info` from `snapshot`.
    pub fn render(&self, snapshot: &Arc<Snapshot>, info: &FileInfo) -> Result<Rendered, RenderError> {
        let owner = info.owner.key();
        let template = info
            .template_id
            .and_then(|id| snapshot.template(id))
            .ok_or_else(|| RenderError::NoTemplate { owner: owner.clone() })?;
        if let Some(message) = self.broken.get(&template.name) {
            return Err(RenderError::Template { name: template.name.clone(), message: message.clone() });
        }

        let ctx = RenderCtx::new(snapshot.clone());
        let page_context = file_context(&ctx, info).ok_or(RenderError::OwnerGone { owner })?;
        let compiled = self
            .env
            .get_template(&template.name)
            .map_err(|error| RenderError::Template { name: template.name.clone(), message: describe(&error) })?;
        let path = info.path.clone().unwrap_or_default();
        let output = compiled.render(page_context).map_err(|error| RenderError::Render {
            template: template.name.clone(),
            path,
            message: describe(&error),
        })?;
        Ok(Rendered { bytes: output.into_bytes(), deps: ctx.deps(), thumbnails: ctx.thumbnails() })
    }
}

/// Whether a template produces HTML or XML, whose values are escaped.
fn is_markup(template: &Template) -> bool {
    match (&template.kind, &template.output) {
        (TemplateKind::Index, Some(output)) => {
            let extension = output.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            !matches!(extension.as_str(), "css" | "js" | "txt" | "json")
        }
        _ => true,
    }
}

fn describe(error: &minijinja::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// The template context for one file: `site` always, then `entry`,
/// `archive` or `paginator` depending on what the file is.
fn file_context(ctx: &Arc<RenderCtx>, info: &FileInfo) -> Option<Value> {
    let snapshot = &ctx.snapshot;
    let site = context! {
        name => snapshot.settings.name.clone(),
        url => snapshot.settings.url.clone(),
        timezone => snapshot.settings.time_zone.to_string(),
    };
    let base = context! { site, url => info.url.clone(), __pressrun => Value::from_dyn_object(ctx.clone()) };
    let specific = match &info.owner {
        FileOwner::Index { template_id, page } => index_context(ctx, *template_id, *page)?,
        FileOwner::Entry { entry_id, .. } => {
            let view = snapshot.entry(*entry_id)?;
            let index = match view.entry.kind {
                EntryKind::Entry => snapshot.entry_position(*entry_id)?,
                EntryKind::Page => snapshot.pages.iter().position(|p| p.entry.id == *entry_id)?,
            };
            context! { entry => EntryObj::value(ctx, view.entry.kind, index) }
        }
        FileOwner::Date { .. } => {
            let period = plan::owner_period(snapshot, &info.owner)?;
            date_archive_context(ctx, period)
        }
        FileOwner::Category { category_id, .. } => {
            ctx.record_whole(keys::category_list(*category_id));
            let indexes = snapshot.by_category.get(category_id).cloned().unwrap_or_default();
            let category = CategoryObj::value(ctx, *category_id)?;
            context! { archive => context! {
                type => "category",
                category,
                entries => EntryList::value(ctx, EntryKind::Entry, indexes),
            } }
        }
        FileOwner::Author { author_id, .. } => {
            ctx.record_whole(keys::author_list(*author_id));
            let author = snapshot.authors.get(author_id)?;
            let indexes = snapshot.by_author.get(author_id).cloned().unwrap_or_default();
            context! { archive => context! {
                type => "author",
                title => if author.display_name.is_empty() { author.name.clone() } else { author.display_name.clone() },
                entries => EntryList::value(ctx, EntryKind::Entry, indexes),
            } }
        }
        FileOwner::Asset { .. } | FileOwner::Thumbnail { .. } => return None,
    };
    Some(context! { ..base, ..specific })
}

/// A page of a paginated index depends on the places it shows: an entry
/// that moves across them shifts its contents. The last page also depends
/// on every place, since one entry more or less changes whether it has a
/// next page. (When the page count changes, planning queues the page that
/// stops or starts being the last.)
fn index_context(ctx: &Arc<RenderCtx>, template_id: i64, page: u32) -> Option<Value> {
    let snapshot = &ctx.snapshot;
    let template = snapshot.template(template_id)?;
    if template.page_size == 0 {
        return Some(context! {});
    }
    let size = template.page_size as usize;
    let pages = snapshot.index_page_count(template);
    let start = (page as usize - 1) * size;
    let indexes: Vec<usize> = (start..(start + size).min(snapshot.entries.len())).collect();
    match (indexes.first(), indexes.last()) {
        (Some(&newest), Some(&oldest)) if page < pages => {
            let (lo, hi) = (&snapshot.entries[oldest].sort_key, &snapshot.entries[newest].sort_key);
            ctx.record_range(keys::ENTRY_RANKS, Some(lo), Some(hi));
        }
        _ => ctx.record_whole(keys::ENTRY_RANKS),
    }
    let url_of = |number: u32| crate::archive::url_for(&snapshot.settings.url, &snapshot.index_path(template, number));
    Some(context! { paginator => context! {
        page => page,
        pages => pages,
        entries => EntryList::value(ctx, EntryKind::Entry, indexes),
        previous_url => (page > 1).then(|| url_of(page - 1)),
        next_url => (page < pages).then(|| url_of(page + 1)),
    } })
}

fn date_archive_context(ctx: &Arc<RenderCtx>, period: crate::archive::Period) -> Value {
    let snapshot = &ctx.snapshot;
    let archive_type: ArchiveType = period.archive_type;
    let label = period.label();
    ctx.record_whole(keys::period_list(archive_type, &label));
    let indexes = snapshot.period_entries(archive_type, &label).to_vec();
    let (previous, next) = neighbour_periods(ctx, &period);
    context! { archive => context! {
        type => archive_type.as_str(),
        title => period.title(),
        label,
        entries => EntryList::value(ctx, EntryKind::Entry, indexes),
        previous,
        next,
    } }
}

/// The older and newer periods that have entries.
fn neighbour_periods(ctx: &Arc<RenderCtx>, period: &crate::archive::Period) -> (Value, Value) {
    ctx.record_whole(keys::periods(period.archive_type));
    let periods = ctx.snapshot.periods(period.archive_type);
    let Some(position) = periods.iter().position(|p| p == period) else {
        return (Value::from(()), Value::from(()));
    };
    let older = periods.get(position + 1).map(|p| PeriodObj::value(ctx, p.clone())).unwrap_or_default();
    let newer = position.checked_sub(1).map(|i| PeriodObj::value(ctx, periods[i].clone())).unwrap_or_default();
    (older, newer)
}
