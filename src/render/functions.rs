//! Functions and filters available to every template.
//!
//! | name | kind | returns |
//! |---|---|---|
//! | `recent_entries(limit=10)` | function | the newest published entries |
//! | `categories()` | function | every category, parents before children |
//! | `archives(type="monthly")` | function | periods with entries, newest first |
//! | `pages()` | function | published pages by title |
//! | `thumbnail(asset, width=, height=)` | function | the URL of a thumbnail that fits the box |
//! | `asset(path)` | function | the asset at a path under the site root, or none |
//! | `date(format)` | filter | an RFC 3339 date formatted with strftime codes |
//! | `striptags` | filter | text without HTML tags |
//! | `words(n)` | filter | the first `n` words of a text |
//! | `xml_escape` | filter | text escaped for XML |

use std::fmt::Write;
use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State};

use super::objects::{self, AssetObj, CategoryObj, EntryList, PeriodObj, RenderCtx};
use super::{CTX_NAME, text};
use crate::asset::thumbnails::{self, ThumbnailSize};
use crate::change::keys;
use crate::model::{CategoryId, EntryKind};

pub fn register(env: &mut Environment<'static>) {
    env.add_function("recent_entries", recent_entries);
    env.add_function("categories", categories);
    env.add_function("archives", archives);
    env.add_function("pages", pages);
    env.add_function("thumbnail", thumbnail);
    env.add_function("asset", asset);
    env.add_filter("date", date);
    env.add_filter("striptags", striptags);
    env.add_filter("words", words);
    env.add_filter("xml_escape", xml_escape);
}

/// Writes a value, escaping only `& < > " '` in HTML. minijinja's default
/// also escapes `/`, which would turn every URL into `http:&#x2f;&#x2f;…`.
pub fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if *state.auto_escape() != AutoEscape::Html || value.is_safe() || value.is_undefined() || value.is_none() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let escaped = escape_html(&text);
    out.write_str(&escaped).map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write output"))
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(ch),
        }
    }
    escaped
}

fn render_ctx(state: &State) -> Result<Arc<RenderCtx>, Error> {
    state
        .lookup(CTX_NAME)
        .and_then(|value| value.downcast_object::<RenderCtx>())
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "this function only works while publishing a file"))
}

/// The newest `limit` entries. The page depends on every position from the
/// oldest entry shown to the newest: an entry moved or added there changes
/// the list, one far older does not.
fn recent_entries(state: &State, limit: Option<usize>) -> Result<Value, Error> {
    let ctx = render_ctx(state)?;
    let entries = &ctx.snapshot.entries;
    let count = limit.unwrap_or(10).min(entries.len());
    let full = limit.is_none_or(|limit| entries.len() >= limit) && count > 0;
    let lowest = full.then(|| entries[count - 1].sort_key.as_str());
    ctx.record_range(keys::ALL_ENTRIES, lowest, None);
    Ok(EntryList::value(&ctx, EntryKind::Entry, (0..count).collect()))
}

fn categories(state: &State) -> Result<Value, Error> {
    let ctx = render_ctx(state)?;
    ctx.record_whole(keys::CATEGORIES);
    let mut ordered: Vec<(Vec<String>, CategoryId)> = ctx
        .snapshot
        .categories
        .values()
        .map(|view| {
            let mut labels: Vec<String> = view.basename_path.clone();
            labels.push(view.category.label.clone());
            (labels, view.category.id)
        })
        .collect();
    ordered.sort();
    Ok(Value::from(ordered.into_iter().filter_map(|(_, id)| CategoryObj::value(&ctx, id)).collect::<Vec<_>>()))
}

fn archives(state: &State, kind: Option<String>) -> Result<Value, Error> {
    let ctx = render_ctx(state)?;
    let name = kind.unwrap_or_else(|| "monthly".to_string());
    let archive_type = objects::parse_archive_type(&name).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("unknown archive type {name:?}; use daily, weekly, monthly or yearly"),
        )
    })?;
    ctx.record_whole(keys::periods(archive_type));
    let periods = ctx.snapshot.periods(archive_type);
    Ok(Value::from(periods.into_iter().map(|period| PeriodObj::value(&ctx, period)).collect::<Vec<_>>()))
}

fn pages(state: &State) -> Result<Value, Error> {
    let ctx = render_ctx(state)?;
    ctx.record_whole(keys::PAGES);
    Ok(EntryList::value(&ctx, EntryKind::Page, (0..ctx.snapshot.pages.len()).collect()))
}

/// The asset at `path` under the site root, or none.
fn asset(state: &State, path: String) -> Result<Value, Error> {
    let ctx = render_ctx(state)?;
    let path = path.trim_start_matches('/');
    Ok(match ctx.snapshot.assets.iter().position(|asset| asset.path == path) {
        Some(index) => AssetObj::value(&ctx, index),
        None => Value::from(()),
    })
}

/// The URL of a thumbnail of `asset` that fits in `width` × `height`
/// pixels (either may be left out). The page depends on the asset, and
/// the publisher makes the thumbnail's file and job. For an asset that is
/// not an image, has no bytes yet, or whose thumbnail could not be made
/// (a corrupt image), the asset's own URL.
fn thumbnail(state: &State, asset: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let ctx = render_ctx(state)?;
    let width: Option<u32> = kwargs.get("width")?;
    let height: Option<u32> = kwargs.get("height")?;
    kwargs.assert_all_used()?;
    let index = match asset.downcast_object_ref::<AssetObj>() {
        Some(object) => object.index,
        None => {
            let path = asset.as_str().unwrap_or_default().trim_start_matches('/').to_string();
            let found = ctx.snapshot.assets.iter().position(|a| a.path == path);
            found.ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("thumbnail(): no asset {path:?}")))?
        }
    };
    let stored = &ctx.snapshot.assets[index];
    ctx.record_whole(keys::asset(stored.id));
    let size = thumbnails::normalized(stored, ThumbnailSize { width: width.unwrap_or(0), height: height.unwrap_or(0) });
    let site_url = &ctx.snapshot.settings.url;
    let failed = ctx.snapshot.failed_thumbnails.contains(&size.owner(stored.id).key());
    let thumbnail_path = thumbnails::thumbnail_path(stored, size, ctx.snapshot.settings.thumbnail_format)
        .filter(|_| stored.hash.is_some() && (size.width > 0 || size.height > 0) && !failed);
    let Some(path) = thumbnail_path else {
        return Ok(Value::from(crate::archive::url_for(site_url, &stored.path)));
    };
    ctx.record_whole(size.owner(stored.id).key());
    ctx.request_thumbnail(stored.id, size);
    Ok(Value::from(crate::archive::url_for(site_url, &path)))
}

/// Formats an RFC 3339 date (as entries give them) with strftime codes,
/// keeping the date's own offset, which is the site's time zone.
fn date(value: String, format: Option<String>) -> Result<String, Error> {
    let parsed = chrono::DateTime::parse_from_rfc3339(&value)
        .map_err(|error| Error::new(ErrorKind::InvalidOperation, format!("invalid date {value:?}: {error}")))?;
    let format = format.unwrap_or_else(|| "%B %-d, %Y".to_string());
    let mut out = String::new();
    write!(out, "{}", parsed.format(&format))
        .map_err(|_| Error::new(ErrorKind::InvalidOperation, format!("invalid date format {format:?}")))?;
    Ok(out)
}

fn striptags(value: String) -> String {
    text::strip_tags(&value).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn words(value: String, count: Option<usize>) -> String {
    text::first_words(&value, count.unwrap_or(40))
}

fn xml_escape(value: String) -> Value {
    Value::from_safe_string(escape_html(&value))
}
