//! What an importer reads out of an export file, before anything is stored.
//!
//! Parsers turn bytes into an [`ImportBatch`]: owned records with the values
//! as the source gave them, plus every record that was skipped and why. They
//! never touch the store, so they can be tested on files alone.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::model::{CommentKind, EntryKind, Status, TextFilter};

/// Everything parsed from one export file.
#[derive(Clone, Debug, Default)]
pub struct ImportBatch {
    pub entries: Vec<ImportedEntry>,
    /// Categories declared on their own (WXR `wp:category`), with parents.
    /// Categories only named by entries are created from the entries.
    pub categories: Vec<ImportedCategory>,
    pub authors: Vec<ImportedAuthor>,
    pub assets: Vec<ImportedAsset>,
    /// Records that were not imported, each with its position and reason.
    pub skipped: Vec<Skipped>,
    /// Problems that did not stop a record from being imported, such as bytes
    /// that were not valid UTF-8 and were read as Windows-1252.
    pub warnings: Vec<Skipped>,
}

/// Where in the source file a record starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based record number within the file (the n-th entry or item), or 0
    /// for a problem outside any record, such as in a WXR channel header.
    pub record: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub position: Position,
    pub reason: String,
}

/// A date as the source wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportedDate {
    /// A wall-clock time without zone; it is read in the site's time zone.
    Local(NaiveDateTime),
    /// An instant in UTC.
    Utc(DateTime<Utc>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedEntry {
    pub position: Position,
    /// A stable identity of this record in its source (a WXR GUID or post id,
    /// or a digest of an MT entry's author, date and title), so that
    /// importing the same file again updates instead of duplicating.
    pub source_key: String,
    pub kind: EntryKind,
    pub title: String,
    /// The basename as the source gave it, percent-decoding and Unicode
    /// normalization not yet applied; `None` when the source had none.
    pub basename: Option<String>,
    pub status: Status,
    pub date: Option<ImportedDate>,
    /// Login name of the author, if any.
    pub author: Option<String>,
    pub body: String,
    pub extended: String,
    pub excerpt: String,
    pub keywords: String,
    pub text_filter: TextFilter,
    pub allow_comments: bool,
    /// Category paths, primary first. Each path lists labels from the top
    /// category down, such as `["News", "Local"]`.
    pub categories: Vec<Vec<String>>,
    pub tags: Vec<String>,
    pub comments: Vec<ImportedComment>,
    /// For pages: the source key of the parent page, if any.
    pub parent_key: Option<String>,
    /// Movable Type's `NO ENTRY: 1`: the record only adds its comments and
    /// pings to an existing entry with the same authored date, and no new
    /// entry is created from it.
    pub no_entry: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedComment {
    /// The source's own id of the comment (WXR `wp:comment_id`), if any.
    pub source_key: Option<String>,
    /// The source id of the comment this one replies to, if any.
    pub parent_key: Option<String>,
    pub kind: CommentKind,
    /// The title of a trackback's source entry (MT `PING:` `TITLE`); empty
    /// for comments.
    pub title: String,
    pub author: String,
    pub email: String,
    pub url: String,
    pub ip: String,
    pub body: String,
    pub date: Option<ImportedDate>,
    pub approved: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedCategory {
    /// Labels from the top category down to this one.
    pub path: Vec<String>,
    /// The source's own slug, if it gave one.
    pub basename: Option<String>,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedAuthor {
    pub name: String,
    pub display_name: String,
    pub email: String,
}

/// A file the source refers to: a WXR attachment or an image an MT entry
/// links to. Only its URL is known; the bytes are attached later.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedAsset {
    pub position: Position,
    pub source_key: String,
    pub url: String,
    pub title: String,
    /// The source key of the entry it belongs to, if any.
    pub parent_key: Option<String>,
}
