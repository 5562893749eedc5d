//! Parser for the Movable Type import/export text format.
//!
//! An export file is a list of entries separated by a line `--------`. Each
//! entry starts with `KEY: value` header lines (`TITLE`, `DATE`, …) and goes
//! on with multi-line sections (`BODY:`, `COMMENT:`, …), each after a line
//! `-----`. Real files are messy, so the parser accepts a UTF-8 BOM, CRLF and
//! lone CR line endings, Windows-1252 text, blank lines in headers, empty
//! sections and body lines made of dashes (see [`lines`]).

mod entry;
mod fields;
mod lines;

use entry::{Header, SplitEntry};

use super::keys::SourceKeys;
use super::source::{ImportBatch, ImportedAuthor, ImportedEntry, Position, Skipped};
use crate::model::EntryKind;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One decoded line of an entry.
#[derive(Clone, Debug)]
struct Line {
    /// 1-based line number in the file.
    number: usize,
    text: String,
}

impl AsRef<[u8]> for Line {
    fn as_ref(&self) -> &[u8] {
        self.text.as_bytes()
    }
}

/// Parses a Movable Type export file.
///
/// Every entry that can be read becomes an [`ImportedEntry`] of kind
/// [`EntryKind::Entry`], with its comments and pings. An entry with an
/// invalid `DATE` or `STATUS`, or with no header, goes to
/// [`ImportBatch::skipped`] with its position, and parsing goes on with the
/// next entry. The authors named by entries are listed once each in
/// [`ImportBatch::authors`]. [`ImportBatch::categories`] stays empty because
/// the format declares no categories of its own.
pub fn parse(bytes: &[u8]) -> ImportBatch {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let raw_lines = lines::split_lines(bytes);

    let mut batch = ImportBatch::default();
    let mut keys = SourceKeys::default();
    for (index, raw_entry) in lines::split_entries(&raw_lines).into_iter().enumerate() {
        let position = Position { line: raw_entry[0].number, record: index + 1 };
        let decoded = lines::decode_entry(raw_entry, position, &mut batch.warnings);

        match read_entry(&decoded, position, &mut batch.warnings) {
            Ok((mut entry, author_email)) => {
                entry.source_key = keys.claim(entry.source_key);
                add_author(&mut batch.authors, entry.author.as_deref(), author_email);
                batch.entries.push(entry);
            }
            Err(reason) => batch.skipped.push(Skipped { position, reason }),
        }
    }
    batch
}

/// Reads one entry, with the `AUTHOR EMAIL` of its header if it has one.
fn read_entry(
    lines: &[Line],
    position: Position,
    warnings: &mut Vec<Skipped>,
) -> Result<(ImportedEntry, Option<String>), String> {
    let SplitEntry { header, sections } = entry::split_sections(lines);
    let header = entry::read_header(header)?;
    let date = entry::entry_date(&header)?;
    let status = entry::entry_status(&header)?;
    let sections = entry::read_sections(&sections, position, warnings);

    let imported = ImportedEntry {
        position,
        source_key: source_key(&header),
        kind: EntryKind::Entry,
        title: header.title.clone().unwrap_or_default(),
        basename: header.basename.clone().filter(|basename| !basename.is_empty()),
        status,
        date,
        author: header.author.clone().filter(|author| !author.is_empty()),
        body: sections.body,
        extended: sections.extended,
        excerpt: sections.excerpt,
        keywords: sections.keywords,
        text_filter: entry::entry_text_filter(&header),
        allow_comments: header.allow_comments.as_deref() == Some("1"),
        categories: entry::entry_categories(&header),
        tags: entry::entry_tags(&header),
        comments: sections.comments,
        parent_key: None,
        no_entry: header.no_entry,
    };
    Ok((imported, header.author_email))
}

/// Derives the source key: `mt:` and a BLAKE3 digest of the entry's author,
/// date, title and basename as the file wrote them. Importing the same file
/// again gives the same key, and [`SourceKeys`] numbers repeats in a file.
fn source_key(header: &Header) -> String {
    let fields = [&header.author, &header.date, &header.title, &header.basename];
    let mut hasher = blake3::Hasher::new();
    for field in fields {
        hasher.update(field.as_deref().unwrap_or("").as_bytes());
        // The unit separator keeps ("ab", "c") apart from ("a", "bc").
        hasher.update(b"\x1f");
    }
    format!("mt:{}", hasher.finalize().to_hex())
}

/// Adds an entry's author to the list unless the name is already there. A
/// later `AUTHOR EMAIL` fills in an email that was missing.
fn add_author(authors: &mut Vec<ImportedAuthor>, name: Option<&str>, email: Option<String>) {
    let Some(name) = name else {
        return;
    };
    let email = email.unwrap_or_default();

    match authors.iter_mut().find(|author| author.name == name) {
        Some(author) if author.email.is_empty() => author.email = email,
        Some(_) => {}
        None => authors.push(ImportedAuthor { name: name.to_string(), display_name: name.to_string(), email }),
    }
}

#[cfg(test)]
mod tests;
