//! The content of a site as the store keeps it: entries, pages, categories,
//! comments, templates and template maps.
//!
//! These are plain data types shared by every stage. They carry no I/O and no
//! rendering logic, so that importers, the store and the renderer agree on one
//! vocabulary without depending on each other.

use std::fmt;
use std::str::FromStr;

/// Seconds since the Unix epoch, in UTC. Every stored timestamp uses this unit;
/// the site's time zone is applied only when a date is shown or grouped.
pub type Timestamp = i64;

pub type EntryId = i64;
pub type CategoryId = i64;
pub type AuthorId = i64;
pub type TemplateId = i64;
pub type TemplateMapId = i64;
pub type FileInfoId = i64;
pub type AssetId = i64;

/// Whether a record is a dated blog entry or an undated page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    Entry,
    Page,
}

/// Publication state of an entry or page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not public; produces no file.
    Draft,
    /// Public; has files on the site root and every target.
    Published,
    /// Becomes `Published` once its authored date has passed.
    Scheduled,
}

/// How an entry's text is turned into HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextFilter {
    /// Text is HTML already and is used as it is (`0`, `richtext`, `wysiwyg`).
    None,
    /// Blank lines separate paragraphs and single line breaks become `<br />`
    /// (Movable Type's `__default__` and `1`).
    ConvertBreaks,
    /// CommonMark with tables and strikethrough.
    Markdown,
}

/// The kind of a comment-like response to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommentKind {
    Comment,
    Trackback,
    Pingback,
}

/// The archive types of Movable Type that pressrun publishes, plus the two
/// kinds of files that are not rendered from a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArchiveType {
    /// An index template: one file (or one per page when paginated).
    Index,
    /// One file per published entry.
    Individual,
    /// One file per published page.
    Page,
    Daily,
    Weekly,
    Monthly,
    Yearly,
    Category,
    Author,
    /// An uploaded file copied from the asset store.
    Asset,
    /// A resized copy of an image asset.
    Thumbnail,
}

/// How and when a template's files are published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PublishType {
    /// Queued on every change that affects the file (the default).
    Background,
    /// Only on an explicit `publish` of that template or of the whole site.
    Manual,
    /// Queued on change, but published at most once per interval.
    Scheduled { interval_secs: i64 },
    /// Never published.
    Disabled,
}

/// A blog entry or a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: EntryId,
    pub kind: EntryKind,
    pub title: String,
    /// The name of the entry's file without extension. It may contain `/` to
    /// nest the file in folders; each part is a valid file name.
    pub basename: String,
    pub status: Status,
    pub authored_on: Timestamp,
    pub modified_on: Timestamp,
    pub author_id: Option<AuthorId>,
    pub body: String,
    pub extended: String,
    pub excerpt: String,
    pub keywords: String,
    pub text_filter: TextFilter,
    pub allow_comments: bool,
    /// Categories in order; the first is the primary category. Pages use at
    /// most one, their folder.
    pub category_ids: Vec<CategoryId>,
    pub tags: Vec<String>,
}

/// A category of entries or a folder of pages. Categories nest.
#[derive(Clone, Debug, PartialEq)]
pub struct Category {
    pub id: CategoryId,
    pub label: String,
    pub basename: String,
    pub parent_id: Option<CategoryId>,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Author {
    pub id: AuthorId,
    /// Login name; unique.
    pub name: String,
    pub display_name: String,
    pub email: String,
    pub basename: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub entry_id: EntryId,
    pub kind: CommentKind,
    pub author: String,
    pub email: String,
    pub url: String,
    pub ip: String,
    pub body: String,
    pub created_on: Timestamp,
    pub approved: bool,
}

/// A minijinja template stored in the site.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub id: TemplateId,
    /// Unique name, also the name other templates use to include it.
    pub name: String,
    pub kind: TemplateKind,
    pub source: String,
    /// For index templates: the output path under the site root.
    pub output: Option<String>,
    /// For index templates: entries per page, or 0 for a single file.
    pub page_size: u32,
    pub publish_type: PublishType,
}

/// What a template produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    Index,
    Archive,
    Individual,
    Page,
    /// Included by other templates; produces no file of its own.
    Module,
}

/// Binds an archive template to an archive type and an output path pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateMap {
    pub id: TemplateMapId,
    pub template_id: TemplateId,
    pub archive_type: ArchiveType,
    /// A path pattern with Movable Type file specifiers, such as `%y/%m/%f`.
    pub file_pattern: String,
    /// The map whose files are the permalinks of that archive type.
    pub is_preferred: bool,
}

macro_rules! string_enum {
    ($ty:ident { $($variant:pat => $text:literal),+ $(,)? } parse { $($ptext:literal => $pvariant:expr),+ $(,)? }) => {
        impl $ty {
            /// The name used in the store and in the command line.
            pub fn as_str(&self) -> &'static str {
                match self { $($variant => $text),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;

            fn from_str(text: &str) -> Result<Self, UnknownName> {
                match text { $($ptext => Ok($pvariant)),+, _ => Err(UnknownName {
                    kind: stringify!($ty),
                    name: text.to_string(),
                }) }
            }
        }
    };
}

/// A name that is not one of an enumeration's names.
#[derive(Clone, Debug, thiserror::Error)]
#[error("unknown {kind} name {name:?}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
}

string_enum!(EntryKind {
    EntryKind::Entry => "entry",
    EntryKind::Page => "page",
} parse {
    "entry" => EntryKind::Entry,
    "page" => EntryKind::Page,
});

string_enum!(Status {
    Status::Draft => "draft",
    Status::Published => "published",
    Status::Scheduled => "scheduled",
} parse {
    "draft" => Status::Draft,
    "published" => Status::Published,
    "scheduled" => Status::Scheduled,
});

string_enum!(TextFilter {
    TextFilter::None => "none",
    TextFilter::ConvertBreaks => "convert_breaks",
    TextFilter::Markdown => "markdown",
} parse {
    "none" => TextFilter::None,
    "convert_breaks" => TextFilter::ConvertBreaks,
    "markdown" => TextFilter::Markdown,
});

string_enum!(CommentKind {
    CommentKind::Comment => "comment",
    CommentKind::Trackback => "trackback",
    CommentKind::Pingback => "pingback",
} parse {
    "comment" => CommentKind::Comment,
    "trackback" => CommentKind::Trackback,
    "pingback" => CommentKind::Pingback,
});

string_enum!(ArchiveType {
    ArchiveType::Index => "index",
    ArchiveType::Individual => "individual",
    ArchiveType::Page => "page",
    ArchiveType::Daily => "daily",
    ArchiveType::Weekly => "weekly",
    ArchiveType::Monthly => "monthly",
    ArchiveType::Yearly => "yearly",
    ArchiveType::Category => "category",
    ArchiveType::Author => "author",
    ArchiveType::Asset => "asset",
    ArchiveType::Thumbnail => "thumbnail",
} parse {
    "index" => ArchiveType::Index,
    "individual" => ArchiveType::Individual,
    "page" => ArchiveType::Page,
    "daily" => ArchiveType::Daily,
    "weekly" => ArchiveType::Weekly,
    "monthly" => ArchiveType::Monthly,
    "yearly" => ArchiveType::Yearly,
    "category" => ArchiveType::Category,
    "author" => ArchiveType::Author,
    "asset" => ArchiveType::Asset,
    "thumbnail" => ArchiveType::Thumbnail,
});

string_enum!(TemplateKind {
    TemplateKind::Index => "index",
    TemplateKind::Archive => "archive",
    TemplateKind::Individual => "individual",
    TemplateKind::Page => "page",
    TemplateKind::Module => "module",
} parse {
    "index" => TemplateKind::Index,
    "archive" => TemplateKind::Archive,
    "individual" => TemplateKind::Individual,
    "page" => TemplateKind::Page,
    "module" => TemplateKind::Module,
});

impl TextFilter {
    /// Maps a Movable Type `CONVERT BREAKS` value to a text filter.
    ///
    /// Unknown values fall back to [`TextFilter::None`], since an unknown
    /// filter most often names a rich-text editor whose output is HTML.
    pub fn from_movable_type(value: &str) -> TextFilter {
        match value.trim().to_ascii_lowercase().as_str() {
            "1" | "__default__" | "convert_breaks" => TextFilter::ConvertBreaks,
            "markdown" | "markdown_with_smartypants" => TextFilter::Markdown,
            _ => TextFilter::None,
        }
    }
}

impl ArchiveType {
    /// True for archive types whose files list several entries by date.
    pub fn is_date_based(self) -> bool {
        matches!(self, ArchiveType::Daily | ArchiveType::Weekly | ArchiveType::Monthly | ArchiveType::Yearly)
    }
}

impl PublishType {
    /// The name stored and accepted on the command line: `background`,
    /// `manual`, `scheduled` or `disabled`.
    pub fn name(self) -> &'static str {
        match self {
            PublishType::Background => "background",
            PublishType::Manual => "manual",
            PublishType::Scheduled { .. } => "scheduled",
            PublishType::Disabled => "disabled",
        }
    }
}
