//! The values templates see: entries, categories, archive periods and lists
//! of them. Each records, as it is read, what the page depends on.
//!
//! Recording happens on access rather than up front, so a page that shows
//! only titles does not depend on bodies, and a page that never looks at an
//! entry's neighbours does not change when they do.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

use super::text;
use crate::archive::{self, Period};
use crate::asset::thumbnails::{self, ThumbnailSize};
use crate::change::keys;
use crate::model::{ArchiveType, CategoryId, EntryKind};
use crate::snapshot::{EntryView, Snapshot};
use crate::store::{Asset, Dep};

/// Per-render state: the snapshot being rendered and the dependencies read.
#[derive(Debug)]
pub struct RenderCtx {
    pub snapshot: Arc<Snapshot>,
    deps: Mutex<BTreeSet<Dep>>,
    /// Thumbnails the page links to, so the publisher makes sure each has
    /// a file (and a job) of its own.
    thumbnails: Mutex<BTreeSet<(i64, ThumbnailSize)>>,
}

impl Object for RenderCtx {}

impl RenderCtx {
    pub fn new(snapshot: Arc<Snapshot>) -> Arc<RenderCtx> {
        Arc::new(RenderCtx { snapshot, deps: Mutex::new(BTreeSet::new()), thumbnails: Mutex::new(BTreeSet::new()) })
    }

    pub fn record(&self, dep: Dep) {
        self.deps.lock().unwrap_or_else(|e| e.into_inner()).insert(dep);
    }

    pub fn record_whole(&self, key: impl Into<String>) {
        self.record(Dep::whole(key));
    }

    pub fn record_range(&self, key: &str, lo: Option<&str>, hi: Option<&str>) {
        self.record(Dep { key: key.to_string(), lo: lo.map(str::to_string), hi: hi.map(str::to_string) });
    }

    /// The dependencies recorded so far, without duplicates.
    pub fn deps(&self) -> Vec<Dep> {
        self.deps.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    pub fn request_thumbnail(&self, asset_id: i64, size: ThumbnailSize) {
        self.thumbnails.lock().unwrap_or_else(|e| e.into_inner()).insert((asset_id, size));
    }

    /// The thumbnails requested so far.
    pub fn thumbnails(&self) -> Vec<(i64, ThumbnailSize)> {
        self.thumbnails.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect()
    }
}

/// A published entry or page.
#[derive(Debug)]
pub struct EntryObj {
    ctx: Arc<RenderCtx>,
    kind: EntryKind,
    /// Index into the snapshot's entries (newest first) or pages.
    index: usize,
}

const ENTRY_FIELDS: &[&str] = &[
    "id",
    "title",
    "basename",
    "url",
    "permalink",
    "date",
    "modified",
    "author",
    "categories",
    "category",
    "tags",
    "kind",
    "allow_comments",
    "body",
    "extended",
    "more",
    "excerpt",
    "keywords",
    "comments",
    "comment_count",
    "previous",
    "next",
];

impl EntryObj {
    pub fn value(ctx: &Arc<RenderCtx>, kind: EntryKind, index: usize) -> Value {
        Value::from_object(EntryObj { ctx: ctx.clone(), kind, index })
    }

    fn view(&self) -> &EntryView {
        match self.kind {
            EntryKind::Entry => &self.ctx.snapshot.entries[self.index],
            EntryKind::Page => &self.ctx.snapshot.pages[self.index],
        }
    }

    fn content_value(&self, key: &str) -> Value {
        let view = self.view();
        self.ctx.record_whole(keys::entry_content(view.entry.id));
        let entry = &view.entry;
        match key {
            "body" => Value::from_safe_string(body_html(view).to_string()),
            "extended" | "more" => Value::from_safe_string(
                view.extended_html.get_or_init(|| text::to_html(&entry.extended, entry.text_filter)).clone(),
            ),
            "excerpt" if !entry.excerpt.trim().is_empty() => Value::from(entry.excerpt.trim().to_string()),
            "excerpt" => Value::from(text::first_words(body_html(view), 40)),
            _ => Value::from(entry.keywords.clone()),
        }
    }

    fn comments_value(&self, key: &str) -> Value {
        let id = self.view().entry.id;
        self.ctx.record_whole(keys::entry_comments(id));
        let comments = self.ctx.snapshot.comments.get(&id).map_or(&[][..], Vec::as_slice);
        if key == "comment_count" {
            return Value::from(comments.len());
        }
        let time_zone = self.ctx.snapshot.settings.time_zone;
        let items: Vec<Value> = comments
            .iter()
            .map(|comment| {
                let escaped = minijinja::HtmlEscape(&comment.body).to_string();
                minijinja::context! {
                    author => comment.author.trim(),
                    url => comment.url.trim(),
                    kind => comment.kind.as_str(),
                    date => time_zone.to_datetime(comment.created_on).to_rfc3339(),
                    body => Value::from_safe_string(text::convert_breaks(&escaped)),
                }
            })
            .collect();
        Value::from(items)
    }

    /// The older (`previous`) or newer (`next`) entry. The page depends on
    /// every position between this entry and that neighbour, since an entry
    /// dated in between would become the new neighbour.
    fn neighbour(&self, older: bool) -> Value {
        if self.kind != EntryKind::Entry {
            return Value::from(());
        }
        let entries = &self.ctx.snapshot.entries;
        let own = entries[self.index].sort_key.as_str();
        let other =
            if older { self.index.checked_add(1).filter(|i| *i < entries.len()) } else { self.index.checked_sub(1) };
        let other_key = other.map(|i| entries[i].sort_key.as_str());
        let (lo, hi) = if older { (other_key, Some(own)) } else { (Some(own), other_key) };
        self.ctx.record_range(keys::ALL_ENTRIES, lo, hi);
        match other {
            Some(index) => EntryObj::value(&self.ctx, EntryKind::Entry, index),
            None => Value::from(()),
        }
    }

    fn meta_value(&self, key: &str) -> Option<Value> {
        let view = self.view();
        let entry = &view.entry;
        let snapshot = &self.ctx.snapshot;
        let dep = match key {
            "date" | "modified" | "categories" | "tags" | "author" => keys::entry_field(entry.id, key),
            "category" => keys::entry_field(entry.id, "categories"),
            "allow_comments" => keys::entry_comments(entry.id),
            _ => keys::entry(entry.id),
        };
        self.ctx.record_whole(dep);
        let value = match key {
            "id" => Value::from(entry.id),
            "title" => Value::from(entry.title.clone()),
            "basename" => Value::from(entry.basename.clone()),
            "url" | "permalink" => Value::from(view.url.clone()),
            "date" => Value::from(snapshot.settings.time_zone.to_datetime(entry.authored_on).to_rfc3339()),
            "modified" => Value::from(snapshot.settings.time_zone.to_datetime(entry.modified_on).to_rfc3339()),
            "author" => Value::from(
                entry
                    .author_id
                    .and_then(|id| snapshot.authors.get(&id))
                    .map(|a| if a.display_name.is_empty() { a.name.clone() } else { a.display_name.clone() })
                    .unwrap_or_default(),
            ),
            "categories" => Value::from(
                entry.category_ids.iter().filter_map(|id| CategoryObj::value(&self.ctx, *id)).collect::<Vec<_>>(),
            ),
            "category" => {
                entry.category_ids.first().and_then(|id| CategoryObj::value(&self.ctx, *id)).unwrap_or_default()
            }
            "tags" => Value::from(entry.tags.clone()),
            "kind" => Value::from(entry.kind.as_str()),
            "allow_comments" => Value::from(entry.allow_comments),
            _ => return None,
        };
        Some(value)
    }
}

impl EntryObj {
    /// Assets attached to the entry (with `images_only`, the images), in
    /// upload order.
    fn assets(&self, images_only: bool) -> Value {
        let id = self.view().entry.id;
        self.ctx.record_whole(keys::entry_assets(id));
        let assets: Vec<Value> = self
            .ctx
            .snapshot
            .assets
            .iter()
            .enumerate()
            .filter(|(_, asset)| asset.entry_id == Some(id) && asset.hash.is_some())
            .filter(|(_, asset)| !images_only || thumbnails::asset_format(asset).is_some())
            .map(|(index, _)| AssetObj::value(&self.ctx, index))
            .collect();
        Value::from(assets)
    }
}

fn body_html(view: &EntryView) -> &str {
    view.body_html.get_or_init(|| text::to_html(&view.entry.body, view.entry.text_filter))
}

impl Object for EntryObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        match key {
            "body" | "extended" | "more" | "excerpt" | "keywords" => Some(self.content_value(key)),
            "comments" | "comment_count" => Some(self.comments_value(key)),
            "previous" => Some(self.neighbour(true)),
            "next" => Some(self.neighbour(false)),
            "assets" | "images" => Some(self.assets(key == "images")),
            _ => self.meta_value(key),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(ENTRY_FIELDS)
    }
}

/// A list of entries (or pages). The code that builds it records the
/// dependency on the list, and the entries record their own fields as they
/// are read.
#[derive(Debug)]
pub struct EntryList {
    ctx: Arc<RenderCtx>,
    kind: EntryKind,
    indexes: Vec<usize>,
}

impl EntryList {
    pub fn value(ctx: &Arc<RenderCtx>, kind: EntryKind, indexes: Vec<usize>) -> Value {
        Value::from_object(EntryList { ctx: ctx.clone(), kind, indexes })
    }
}

impl Object for EntryList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let position = key.as_usize()?;
        let index = *self.indexes.get(position)?;
        Some(EntryObj::value(&self.ctx, self.kind, index))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.indexes.len())
    }
}

/// A category or page folder.
#[derive(Debug)]
pub struct CategoryObj {
    ctx: Arc<RenderCtx>,
    id: CategoryId,
}

const CATEGORY_FIELDS: &[&str] =
    &["id", "label", "basename", "description", "url", "parent", "depth", "count", "entries"];

impl CategoryObj {
    pub fn value(ctx: &Arc<RenderCtx>, id: CategoryId) -> Option<Value> {
        ctx.snapshot.categories.contains_key(&id).then(|| Value::from_object(CategoryObj { ctx: ctx.clone(), id }))
    }
}

impl Object for CategoryObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let view = self.ctx.snapshot.categories.get(&self.id)?;
        if key == "has_entries" {
            self.ctx.record_whole(keys::category_has_entries(self.id));
            return Some(Value::from(self.ctx.snapshot.by_category.contains_key(&self.id)));
        }
        if key == "count" {
            self.ctx.record_whole(keys::count(&keys::category_list(self.id)));
            return Some(Value::from(self.ctx.snapshot.by_category.get(&self.id).map_or(0, Vec::len)));
        }
        if key == "entries" {
            self.ctx.record_whole(keys::category_list(self.id));
            let indexes = self.ctx.snapshot.by_category.get(&self.id).cloned().unwrap_or_default();
            return Some(EntryList::value(&self.ctx, EntryKind::Entry, indexes));
        }
        self.ctx.record_whole(keys::category(self.id));
        let category = &view.category;
        let value = match key {
            "id" => Value::from(category.id),
            "label" => Value::from(category.label.clone()),
            "basename" => Value::from(category.basename.clone()),
            "description" => Value::from(category.description.clone()),
            "url" => view.url.clone().map(Value::from).unwrap_or_default(),
            "parent" => category.parent_id.and_then(|id| CategoryObj::value(&self.ctx, id)).unwrap_or_default(),
            "depth" => Value::from(view.basename_path.len().saturating_sub(1)),
            _ => return None,
        };
        Some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(CATEGORY_FIELDS)
    }
}

/// An uploaded file.
#[derive(Debug)]
pub struct AssetObj {
    ctx: Arc<RenderCtx>,
    /// Index into the snapshot's assets.
    pub index: usize,
}

const ASSET_FIELDS: &[&str] = &["id", "name", "url", "path", "mime", "size", "width", "height", "is_image"];

impl AssetObj {
    pub fn value(ctx: &Arc<RenderCtx>, index: usize) -> Value {
        Value::from_object(AssetObj { ctx: ctx.clone(), index })
    }

    pub fn asset(&self) -> &Asset {
        &self.ctx.snapshot.assets[self.index]
    }
}

impl Object for AssetObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let asset = self.asset();
        self.ctx.record_whole(keys::asset(asset.id));
        let value = match key.as_str()? {
            "id" => Value::from(asset.id),
            "name" => Value::from(asset.name.clone()),
            "url" => Value::from(archive::url_for(&self.ctx.snapshot.settings.url, &asset.path)),
            "path" => Value::from(asset.path.clone()),
            "mime" => Value::from(asset.mime.clone()),
            "size" => Value::from(asset.size),
            "width" => asset.width.map(Value::from).unwrap_or_default(),
            "height" => asset.height.map(Value::from).unwrap_or_default(),
            "is_image" => Value::from(thumbnails::asset_format(asset).is_some()),
            _ => return None,
        };
        Some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(ASSET_FIELDS)
    }
}

/// One period of a date-based archive.
#[derive(Debug)]
pub struct PeriodObj {
    ctx: Arc<RenderCtx>,
    period: Period,
}

const PERIOD_FIELDS: &[&str] = &["label", "title", "url", "year", "month", "count", "entries"];

impl PeriodObj {
    pub fn value(ctx: &Arc<RenderCtx>, period: Period) -> Value {
        Value::from_object(PeriodObj { ctx: ctx.clone(), period })
    }
}

impl Object for PeriodObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let snapshot = &self.ctx.snapshot;
        let label = self.period.label();
        let archive_type = self.period.archive_type;
        let value = match key {
            "label" => Value::from(label),
            "title" => Value::from(self.period.title()),
            "url" => period_url(snapshot, &self.period).map(Value::from).unwrap_or_default(),
            "year" => Value::from(self.period.start.format("%Y").to_string()),
            "month" => Value::from(self.period.start.format("%m").to_string()),
            "count" => {
                self.ctx.record_whole(keys::count(&keys::period_list(archive_type, &label)));
                Value::from(snapshot.period_entries(archive_type, &label).len())
            }
            "entries" => {
                self.ctx.record_whole(keys::period_list(archive_type, &label));
                EntryList::value(&self.ctx, EntryKind::Entry, snapshot.period_entries(archive_type, &label).to_vec())
            }
            _ => return None,
        };
        Some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(PERIOD_FIELDS)
    }
}

/// The URL of a period's archive file under the preferred map of its type.
pub fn period_url(snapshot: &Snapshot, period: &Period) -> Option<String> {
    let map = snapshot.preferred_map(period.archive_type)?;
    let path = snapshot.period_path(map, period).ok()?;
    Some(archive::url_for(&snapshot.settings.url, &path))
}

/// The archive type named in a template, such as `"monthly"`.
pub fn parse_archive_type(name: &str) -> Option<ArchiveType> {
    name.parse::<ArchiveType>().ok().filter(|kind| kind.is_date_based())
}
