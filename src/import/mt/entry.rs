//! Header lines and sections of one decoded MT entry.

use super::Line;
use super::fields::{comment_url, parse_date, parse_status, split_tags};
use super::lines::{SectionKey, is_blank, is_section_separator, section_key, split_key_value};
use crate::import::source::{ImportedComment, ImportedDate, Position, Skipped};
use crate::model::{CommentKind, Status, TextFilter};

/// The header values of an entry, trimmed, before they are checked.
#[derive(Debug, Default)]
pub(super) struct Header {
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub title: Option<String>,
    pub basename: Option<String>,
    pub status: Option<String>,
    pub allow_comments: Option<String>,
    pub convert_breaks: Option<String>,
    pub primary_category: Option<String>,
    pub categories: Vec<String>,
    pub date: Option<String>,
    pub tags: Option<String>,
    pub no_entry: bool,
}

/// The multi-line sections of an entry. A section given twice keeps the last
/// one, as Movable Type's importer does.
#[derive(Debug, Default)]
pub(super) struct Sections {
    pub body: String,
    pub extended: String,
    pub excerpt: String,
    pub keywords: String,
    pub comments: Vec<ImportedComment>,
}

/// An entry split into its header lines and the sections after them.
pub(super) struct SplitEntry<'a> {
    pub header: &'a [Line],
    /// Each section's key and the lines after its key line.
    pub sections: Vec<(SectionKey, &'a [Line])>,
}

/// Splits an entry at the `-----` lines that end sections. The lines before
/// the first one, or before the first section key line, are the header. A
/// later part with no section key, which can only be blank, is dropped.
pub(super) fn split_sections(lines: &[Line]) -> SplitEntry<'_> {
    let mut parts = Vec::new();
    let mut start = 0;
    for index in 0..lines.len() {
        if is_section_separator(lines, index) {
            parts.push(&lines[start..index]);
            start = index + 1;
        }
    }
    parts.push(&lines[start..]);

    // A header that runs straight into a key line such as `BODY:`, with no
    // `-----` before it, still ends there, so the section is not lost.
    let mut header = parts[0];
    let mut sections = Vec::new();
    let first_key =
        header.iter().enumerate().find_map(|(index, line)| section_key(line.text.as_bytes()).map(|key| (index, key)));
    if let Some((index, key)) = first_key {
        sections.push((key, &header[index + 1..]));
        header = &header[..index];
    }

    for part in &parts[1..] {
        let Some(first) = part.iter().position(|line| !is_blank(line.text.as_bytes())) else {
            continue;
        };
        if let Some(key) = section_key(part[first].text.as_bytes()) {
            sections.push((key, &part[first + 1..]));
        }
    }
    SplitEntry { header, sections }
}

/// Reads the `KEY: value` lines of a header. Blank lines are skipped, and
/// unknown keys (custom fields such as `CF50_BASENAME`, Hatena's `IMAGE`)
/// are ignored.
///
/// # Errors
///
/// Returns the skip reason when the header has no line with a known key.
pub(super) fn read_header(lines: &[Line]) -> Result<Header, String> {
    let mut header = Header::default();
    let mut known_keys = 0;

    for line in lines {
        let Some((key, value)) = split_key_value(&line.text) else {
            continue;
        };
        if assign_header_value(&mut header, key, value) {
            known_keys += 1;
        }
    }

    if known_keys == 0 {
        return Err("entry has no header lines (such as TITLE: or DATE:) before its first section".into());
    }
    Ok(header)
}

/// Stores one header value and returns whether the key is known.
fn assign_header_value(header: &mut Header, key: &str, value: &str) -> bool {
    let value = value.to_string();
    match key {
        "AUTHOR" => header.author = Some(value),
        "AUTHOR EMAIL" => header.author_email = Some(value),
        "TITLE" => header.title = Some(value),
        "BASENAME" => header.basename = Some(value),
        "STATUS" => header.status = Some(value),
        "ALLOW COMMENTS" => header.allow_comments = Some(value),
        "CONVERT BREAKS" => header.convert_breaks = Some(value),
        "PRIMARY CATEGORY" => header.primary_category = Some(value),
        "CATEGORY" => header.categories.push(value),
        "DATE" => header.date = Some(value),
        "TAGS" => header.tags = Some(value),
        "NO ENTRY" => header.no_entry = value == "1",
        // Known but not stored: pressrun has no pings setting, and it makes
        // URLs from the basename.
        "ALLOW PINGS" | "UNIQUE URL" => {}
        _ => return false,
    }
    true
}

/// Reads the sections of an entry. Problems inside a comment or ping, such
/// as an invalid date, become warnings at `position`.
pub(super) fn read_sections(
    sections: &[(SectionKey, &[Line])],
    position: Position,
    warnings: &mut Vec<Skipped>,
) -> Sections {
    let mut read = Sections::default();
    for &(key, lines) in sections {
        match key {
            SectionKey::Body => read.body = join_lines(lines),
            SectionKey::ExtendedBody => read.extended = join_lines(lines),
            SectionKey::Excerpt => read.excerpt = join_lines(lines),
            SectionKey::Keywords => read.keywords = join_lines(lines),
            SectionKey::Comment | SectionKey::Ping => {
                read.comments.push(read_response(key, lines, position, warnings));
            }
        }
    }
    read
}

/// Parses the entry's `DATE`, which must be valid when present.
pub(super) fn entry_date(header: &Header) -> Result<Option<ImportedDate>, String> {
    let Some(value) = &header.date else {
        return Ok(None);
    };
    match parse_date(value) {
        Some(date) => Ok(Some(ImportedDate::Local(date))),
        None => {
            Err(format!("invalid DATE value {value:?}: expected MM/DD/YYYY hh:mm:ss, optionally followed by AM or PM"))
        }
    }
}

/// Parses the entry's `STATUS`. An entry without one is published. Movable
/// Type uses the blog's default status there, which a parser cannot know.
pub(super) fn entry_status(header: &Header) -> Result<Status, String> {
    let Some(value) = &header.status else {
        return Ok(Status::Published);
    };
    parse_status(value)
        .ok_or_else(|| format!("invalid STATUS value {value:?}: expected Publish, Draft, Review, Unpublish or Future"))
}

/// Maps `CONVERT BREAKS`. An entry without it uses convert breaks, the
/// `__default__` text format.
pub(super) fn entry_text_filter(header: &Header) -> TextFilter {
    match &header.convert_breaks {
        Some(value) => TextFilter::from_movable_type(value),
        None => TextFilter::ConvertBreaks,
    }
}

/// Lists the entry's categories: the primary category first, then the
/// `CATEGORY` lines in order, without repeats. Without a `PRIMARY CATEGORY`,
/// the first `CATEGORY` is primary, as in Movable Type.
///
/// A label is one category even when it contains `/`. Movable Type exports
/// only the label of each category, not its parents, and its importer looks
/// categories up by the whole label.
pub(super) fn entry_categories(header: &Header) -> Vec<Vec<String>> {
    let mut labels: Vec<&str> = Vec::new();
    let all = header.primary_category.iter().chain(&header.categories);
    for label in all {
        if !label.is_empty() && !labels.contains(&label.as_str()) {
            labels.push(label);
        }
    }
    labels.into_iter().map(|label| vec![label.to_string()]).collect()
}

pub(super) fn entry_tags(header: &Header) -> Vec<String> {
    header.tags.as_deref().map(split_tags).unwrap_or_default()
}

/// Reads a `COMMENT:` or `PING:` section: header lines with the keys of that
/// kind of section, then the text. The first line that is not such a header
/// line starts the text.
fn read_response(key: SectionKey, lines: &[Line], position: Position, warnings: &mut Vec<Skipped>) -> ImportedComment {
    let kind = if key == SectionKey::Ping { CommentKind::Trackback } else { CommentKind::Comment };
    let mut response = empty_response(kind);
    let mut date = None;
    let mut text_start = lines.len();

    for (index, line) in lines.iter().enumerate() {
        let assigned = split_key_value(&line.text)
            .is_some_and(|(key, value)| assign_response_value(&mut response, &mut date, key, value));
        if !assigned {
            text_start = index;
            break;
        }
    }
    response.body = join_lines(&lines[text_start..]);

    if let Some(value) = date {
        response.date = parse_date(&value).map(ImportedDate::Local);
        if response.date.is_none() {
            let line = lines.first().map_or(position.line, |line| line.number);
            warnings.push(Skipped {
                position,
                reason: format!("{kind} near line {line} has an invalid DATE value {value:?}; imported without a date"),
            });
        }
    }
    response
}

/// Stores one header value of a comment or ping and returns whether the key
/// belongs to that kind of section.
fn assign_response_value(response: &mut ImportedComment, date: &mut Option<String>, key: &str, value: &str) -> bool {
    let is_ping = response.kind == CommentKind::Trackback;
    match key {
        "AUTHOR" if !is_ping => response.author = value.to_string(),
        "EMAIL" if !is_ping => response.email = value.to_string(),
        "TITLE" if is_ping => response.title = value.to_string(),
        "BLOG NAME" if is_ping => response.author = value.to_string(),
        "URL" => response.url = comment_url(value),
        "IP" => response.ip = value.to_string(),
        "DATE" => *date = Some(value.to_string()),
        _ => return false,
    }
    true
}

fn empty_response(kind: CommentKind) -> ImportedComment {
    ImportedComment {
        source_key: None,
        parent_key: None,
        kind,
        title: String::new(),
        author: String::new(),
        email: String::new(),
        url: String::new(),
        ip: String::new(),
        body: String::new(),
        date: None,
        approved: true,
    }
}

/// Joins section lines with `\n`. The newline that ended the last line, just
/// before the separator, is not part of the text.
fn join_lines(lines: &[Line]) -> String {
    let texts: Vec<&str> = lines.iter().map(|line| line.text.as_str()).collect();
    texts.join("\n")
}
