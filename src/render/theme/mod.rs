//! The default theme, built into the binary and installed by `pressrun init`.

use crate::model::{ArchiveType, PublishType, TemplateKind};

/// A template of the default theme.
pub struct ThemeTemplate {
    pub name: &'static str,
    pub kind: TemplateKind,
    pub source: &'static str,
    /// Output path of an index template.
    pub output: Option<&'static str>,
    /// Entries per page of an index template; 0 for one file.
    pub page_size: u32,
    /// Archive maps: archive type and file path pattern.
    pub maps: &'static [(ArchiveType, &'static str)],
}

impl ThemeTemplate {
    pub fn publish_type(&self) -> PublishType {
        PublishType::Background
    }
}

/// Entries per page of the main index.
pub const MAIN_INDEX_PAGE_SIZE: u32 = 10;

pub const TEMPLATES: &[ThemeTemplate] = &[
    module("layout", include_str!("layout.html")),
    module("sidebar", include_str!("sidebar.html")),
    module("entry_summary", include_str!("entry_summary.html")),
    ThemeTemplate {
        name: "main_index",
        kind: TemplateKind::Index,
        source: include_str!("main_index.html"),
        output: Some("index.html"),
        page_size: MAIN_INDEX_PAGE_SIZE,
        maps: &[],
    },
    index("archive_index", include_str!("archive_index.html"), "archives.html"),
    index("feed", include_str!("atom.xml"), "atom.xml"),
    index("styles", include_str!("styles.css"), "styles.css"),
    ThemeTemplate {
        name: "entry",
        kind: TemplateKind::Individual,
        source: include_str!("entry.html"),
        output: None,
        page_size: 0,
        maps: &[(ArchiveType::Individual, "%y/%m/%f")],
    },
    ThemeTemplate {
        name: "page",
        kind: TemplateKind::Page,
        source: include_str!("page.html"),
        output: None,
        page_size: 0,
        maps: &[(ArchiveType::Page, "%c/%f")],
    },
    ThemeTemplate {
        name: "date_archive",
        kind: TemplateKind::Archive,
        source: include_str!("date_archive.html"),
        output: None,
        page_size: 0,
        maps: &[(ArchiveType::Monthly, "%y/%m/%i")],
    },
    ThemeTemplate {
        name: "category_archive",
        kind: TemplateKind::Archive,
        source: include_str!("category_archive.html"),
        output: None,
        page_size: 0,
        maps: &[(ArchiveType::Category, "%c/%i")],
    },
];

const fn module(name: &'static str, source: &'static str) -> ThemeTemplate {
    ThemeTemplate { name, kind: TemplateKind::Module, source, output: None, page_size: 0, maps: &[] }
}

const fn index(name: &'static str, source: &'static str, output: &'static str) -> ThemeTemplate {
    ThemeTemplate { name, kind: TemplateKind::Index, source, output: Some(output), page_size: 0, maps: &[] }
}
