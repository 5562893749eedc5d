//! WXR items: posts and pages become entries, attachments become assets.

use std::collections::HashMap;

use super::channel::CategoryTable;
use super::dates::read_date;
use super::tree::{Element, Ns};
use crate::import::keys::SourceKeys;
use crate::import::source::{ImportBatch, ImportedAsset, ImportedComment, ImportedEntry, Position, Skipped};
use crate::model::{CommentKind, EntryKind, Status, TextFilter};

/// The record an item is read into.
enum Record {
    Entry(Box<ImportedEntry>),
    Asset(ImportedAsset),
}

/// An item, with the facts about it that come from other items.
struct ItemContext<'a> {
    item: &'a Element,
    position: Position,
    source_key: String,
    /// The source key of the item named by `wp:post_parent`, if any.
    parent_key: Option<String>,
    categories: &'a CategoryTable,
}

/// Reads every `<item>` of the channel into `batch`: entries, assets, and the
/// items that are skipped with their reasons.
pub(super) fn read_items(channel: &Element, categories: &CategoryTable, batch: &mut ImportBatch) {
    let items: Vec<&Element> = channel.children_named(Ns::Rss, "item").collect();

    let mut keys = SourceKeys::default();
    let source_keys: Vec<Option<String>> =
        items.iter().map(|item| raw_source_key(item).map(|key| keys.claim(key))).collect();
    let keys_by_post_id = index_by_post_id(&items, &source_keys);

    for (index, item) in items.iter().enumerate() {
        let position = Position { line: item.line, record: index + 1 };
        let Some(source_key) = source_keys[index].clone() else {
            let reason = "item has neither a <guid> nor a wp:post_id, so it has no stable source key".to_string();
            batch.skipped.push(Skipped { position, reason });
            continue;
        };

        let context =
            ItemContext { item, position, source_key, parent_key: parent_key(item, &keys_by_post_id), categories };
        match read_item(&context, &mut batch.warnings) {
            Ok(Record::Entry(entry)) => batch.entries.push(*entry),
            Ok(Record::Asset(asset)) => batch.assets.push(asset),
            Err(reason) => batch.skipped.push(Skipped { position, reason }),
        }
    }
}

/// Derives `wxr:` and the GUID, or `wxr-id:` and the post id when the GUID
/// is empty.
fn raw_source_key(item: &Element) -> Option<String> {
    let guid = item.child_trimmed(Ns::Rss, "guid");
    if !guid.is_empty() {
        return Some(format!("wxr:{guid}"));
    }
    let post_id = item.child_trimmed(Ns::Wp, "post_id");
    (!post_id.is_empty()).then(|| format!("wxr-id:{post_id}"))
}

/// Maps each post id to the source key of the first item with that id.
fn index_by_post_id<'a>(items: &[&'a Element], source_keys: &'a [Option<String>]) -> HashMap<&'a str, &'a str> {
    let mut keys = HashMap::new();
    for (item, key) in items.iter().zip(source_keys) {
        let post_id = item.child_trimmed(Ns::Wp, "post_id");
        if let (false, Some(key)) = (post_id.is_empty(), key) {
            keys.entry(post_id).or_insert(key.as_str());
        }
    }
    keys
}

/// Finds the source key of the item's `wp:post_parent`. A parent that is not
/// in the file still gets the `wxr-id:` key it would have.
fn parent_key(item: &Element, keys_by_post_id: &HashMap<&str, &str>) -> Option<String> {
    let parent_id = item.child_trimmed(Ns::Wp, "post_parent");
    if parent_id.is_empty() || parent_id == "0" {
        return None;
    }
    let key = match keys_by_post_id.get(parent_id) {
        Some(key) => key.to_string(),
        None => format!("wxr-id:{parent_id}"),
    };
    Some(key)
}

fn read_item(context: &ItemContext, warnings: &mut Vec<Skipped>) -> Result<Record, String> {
    let item = context.item;
    let post_type = match item.child_trimmed(Ns::Wp, "post_type") {
        "" => "post",
        post_type => post_type,
    };
    let status = item.child_trimmed(Ns::Wp, "status");
    if status == "trash" {
        return Err(format!("{post_type} is in the trash (wp:status trash)"));
    }

    match post_type {
        "attachment" => read_asset(context).map(Record::Asset),
        "post" | "page" | "draft" => {
            read_entry(context, post_type, status, warnings).map(|entry| Record::Entry(Box::new(entry)))
        }
        other => Err(format!("post type {other:?} is not imported: pressrun imports posts, pages and attachments")),
    }
}

fn read_asset(context: &ItemContext) -> Result<ImportedAsset, String> {
    let url = context.item.child_trimmed(Ns::Wp, "attachment_url");
    if url.is_empty() {
        return Err("attachment has no wp:attachment_url".into());
    }
    Ok(ImportedAsset {
        position: context.position,
        source_key: context.source_key.clone(),
        url: url.to_string(),
        title: context.item.child_trimmed(Ns::Rss, "title").to_string(),
        parent_key: context.parent_key.clone(),
    })
}

/// Reads a post or page. The old post type `draft` is a post that is a draft
/// whatever its `wp:status` is.
fn read_entry(
    context: &ItemContext,
    post_type: &str,
    status: &str,
    warnings: &mut Vec<Skipped>,
) -> Result<ImportedEntry, String> {
    let item = context.item;
    let date = read_date(item, "post_date_gmt", "post_date", true)?;
    let kind = if post_type == "page" { EntryKind::Page } else { EntryKind::Entry };
    let status = if post_type == "draft" { Status::Draft } else { map_status(status, context.position, warnings) };
    let status = check_password(item, status, context.position, warnings);
    let (categories, tags) = read_terms(item, context.categories);
    let body = item.child_text(Ns::Content, "encoded").unwrap_or("").to_string();

    Ok(ImportedEntry {
        position: context.position,
        source_key: context.source_key.clone(),
        kind,
        title: item.child_trimmed(Ns::Rss, "title").to_string(),
        basename: non_empty(item.child_trimmed(Ns::Wp, "post_name")),
        status,
        date,
        author: non_empty(item.child_trimmed(Ns::Dc, "creator")),
        text_filter: text_filter(&body),
        body,
        extended: String::new(),
        excerpt: item.child_text(Ns::Excerpt, "encoded").unwrap_or("").to_string(),
        keywords: String::new(),
        allow_comments: item.child_trimmed(Ns::Wp, "comment_status") == "open",
        categories,
        tags,
        comments: read_comments(item, context.position, warnings),
        parent_key: if kind == EntryKind::Page { context.parent_key.clone() } else { None },
        no_entry: false,
    })
}

/// Maps `wp:status`. Statuses that are not public become drafts, and so does
/// a missing or unknown status, with a warning.
fn map_status(status: &str, position: Position, warnings: &mut Vec<Skipped>) -> Status {
    match status {
        "publish" => Status::Published,
        "future" => Status::Scheduled,
        "draft" | "pending" | "private" | "auto-draft" => Status::Draft,
        other => {
            let reason = if other.is_empty() {
                "item has no wp:status; imported as a draft".to_string()
            } else {
                format!("unknown wp:status {other:?}; imported as a draft")
            };
            warnings.push(Skipped { position, reason });
            Status::Draft
        }
    }
}

/// Makes a password-protected post a draft, because publishing it to a
/// static site would show its protected content to everyone.
fn check_password(item: &Element, status: Status, position: Position, warnings: &mut Vec<Skipped>) -> Status {
    if item.child_text(Ns::Wp, "post_password").unwrap_or("").is_empty() {
        return status;
    }
    let reason =
        "item is password-protected (wp:post_password); imported as a draft so that its content is not published";
    warnings.push(Skipped { position, reason: reason.into() });
    Status::Draft
}

/// Picks the text filter of WordPress content. WordPress runs `wpautop` on
/// post content, which makes paragraphs and line breaks as Movable Type's
/// convert breaks does. Since WordPress 5.0, `do_blocks` removes `wpautop`
/// while it renders content that has blocks, which are marked by `<!-- wp:`
/// comments, so such content is used as HTML.
fn text_filter(body: &str) -> TextFilter {
    if body.contains("<!-- wp:") { TextFilter::None } else { TextFilter::ConvertBreaks }
}

/// Reads an item's `<category>` elements. The `category` domain, or no
/// domain as in WXR 1.0, gives a category path; `post_tag`, or `tag` in WXR
/// 1.0, gives a tag. Other taxonomies, such as `post_format` and `nav_menu`,
/// are ignored. Repeats are dropped.
fn read_terms(item: &Element, table: &CategoryTable) -> (Vec<Vec<String>>, Vec<String>) {
    let mut categories: Vec<Vec<String>> = Vec::new();
    let mut tags: Vec<String> = Vec::new();

    for element in item.children_named(Ns::Rss, "category") {
        let label = element.text.trim();
        if label.is_empty() {
            continue;
        }
        match element.attribute("domain") {
            None | Some("category") => {
                let path = table
                    .path_of(element.attribute("nicename"), label)
                    .map_or_else(|| vec![label.to_string()], <[String]>::to_vec);
                if !categories.contains(&path) {
                    categories.push(path);
                }
            }
            Some("post_tag" | "tag") if !tags.iter().any(|tag| tag == label) => tags.push(label.to_string()),
            Some(_) => {}
        }
    }
    (categories, tags)
}

/// Reads an item's `wp:comment` records. A comment of a type pressrun does
/// not import is left out with a warning.
fn read_comments(item: &Element, position: Position, warnings: &mut Vec<Skipped>) -> Vec<ImportedComment> {
    let mut comments = Vec::new();
    for element in item.children_named(Ns::Wp, "comment") {
        let comment_position = Position { line: element.line, record: position.record };
        match read_comment(element, comment_position, warnings) {
            Ok(comment) => comments.push(comment),
            Err(reason) => warnings.push(Skipped { position: comment_position, reason }),
        }
    }
    comments
}

fn read_comment(element: &Element, position: Position, warnings: &mut Vec<Skipped>) -> Result<ImportedComment, String> {
    let id = element.child_trimmed(Ns::Wp, "comment_id");
    let kind = match element.child_trimmed(Ns::Wp, "comment_type") {
        "" | "comment" => CommentKind::Comment,
        "pingback" => CommentKind::Pingback,
        "trackback" => CommentKind::Trackback,
        other => {
            return Err(format!("comment {id:?} has type {other:?}, which is not imported"));
        }
    };

    let date = read_date(element, "comment_date_gmt", "comment_date", false).unwrap_or_else(|reason| {
        warnings.push(Skipped { position, reason: format!("comment {id:?}: {reason}; imported without a date") });
        None
    });
    let parent = element.child_trimmed(Ns::Wp, "comment_parent");

    Ok(ImportedComment {
        source_key: non_empty(id),
        parent_key: non_empty(parent).filter(|parent| parent != "0"),
        kind,
        title: String::new(),
        author: element.child_trimmed(Ns::Wp, "comment_author").to_string(),
        email: element.child_trimmed(Ns::Wp, "comment_author_email").to_string(),
        url: element.child_trimmed(Ns::Wp, "comment_author_url").to_string(),
        ip: element.child_trimmed(Ns::Wp, "comment_author_IP").to_string(),
        body: element.child_text(Ns::Wp, "comment_content").unwrap_or("").to_string(),
        date,
        approved: element.child_trimmed(Ns::Wp, "comment_approved") == "1",
    })
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}
