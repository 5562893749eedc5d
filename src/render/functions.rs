//! Functions and filters available to every template.
//!
//! | name | kind | returns |
//! |---|---|---|
//! | `recent_entries(limit=10)` | function | the newest published entries |
//! | `categories()` | function | every category, parents before children |
//! | `archives(type="monthly")` | function | periods with entries, newest first |
//! | `pages()` | function | published pages by title |
//! | `date(format)` | filter | an RFC 3339 date formatted with strftime codes |
//! | `striptags` | filter | text without HTML tags |
//! | `words(n)` | filter | the first `n` words of a text |
//! | `xml_escape` | filter | text escaped for XML |

use std::fmt::Write;
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State};

use super::objects::{self, CategoryObj, EntryList, PeriodObj, RenderCtx};
use super::{CTX_NAME, text};
use crate::change::keys;
use crate::model::{CategoryId, EntryKind};

pub fn register(env: &mut Environment<'static>) {
    env.add_function("recent_entries", recent_entries);
    env.add_function("categories", categories);
    env.add_function("archives", archives);
    env.add_function("pages", pages);
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
