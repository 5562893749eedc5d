//! A read-only snapshot of a site's published content, with the groupings
//! that both planning (which files should exist) and rendering need: entries
//! in date order, entries per archive period, per category and per author.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use chrono::NaiveDateTime;

use crate::archive::specifier::{self, PathValues};
use crate::archive::{self, Period};
use crate::model::{
    ArchiveType, Author, AuthorId, Category, CategoryId, Comment, Entry, EntryId, EntryKind, Status, Template,
    TemplateKind, TemplateMap, Timestamp,
};
use crate::store::{Asset, EntryFilter, StoreError, Tx};
use crate::time::SiteTimeZone;

/// Site-wide settings that every page may show.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteSettings {
    pub name: String,
    /// Ends with `/`.
    pub url: String,
    pub time_zone: SiteTimeZone,
    /// Thumbnail widths made for every image asset.
    pub thumbnail_sizes: Vec<u32>,
    /// The format thumbnails are written in; `None` keeps each image's own.
    pub thumbnail_format: Option<crate::asset::image::ImageFormat>,
}

/// The position of an entry in date order, as text that sorts the same way:
/// authored date, then id. Dependencies store ranges of these.
pub fn sort_key(authored_on: Timestamp, id: EntryId) -> String {
    // The offset keeps dates before 1970 positive so the text sorts right.
    format!("{:016}:{:012}", authored_on.saturating_add(1 << 40), id)
}

/// A published entry or page with the values derived from it.
#[derive(Debug)]
pub struct EntryView {
    pub entry: Entry,
    pub sort_key: String,
    /// Authored date in the site's time zone.
    pub local_date: NaiveDateTime,
    /// The permalink path under the site root, from the preferred map.
    pub path: Option<String>,
    pub url: String,
    pub body_html: OnceLock<String>,
    pub extended_html: OnceLock<String>,
}

/// A category with its place in the tree.
#[derive(Debug)]
pub struct CategoryView {
    pub category: Category,
    /// Basenames from the top category down to this one.
    pub basename_path: Vec<String>,
    /// URL of its preferred category archive, if it has one.
    pub url: Option<String>,
}

#[derive(Debug)]
pub struct Snapshot {
    pub settings: SiteSettings,
    /// Published entries, newest first.
    pub entries: Vec<EntryView>,
    /// Published pages, by title.
    pub pages: Vec<EntryView>,
    pub categories: BTreeMap<CategoryId, CategoryView>,
    pub authors: HashMap<AuthorId, Author>,
    pub comments: HashMap<EntryId, Vec<Comment>>,
    pub templates: Vec<Template>,
    pub maps: Vec<TemplateMap>,
    pub assets: Vec<Asset>,
    /// Owner keys of thumbnails that could not be made.
    pub failed_thumbnails: std::collections::HashSet<String>,
    entry_index: HashMap<EntryId, (EntryKind, usize)>,
    /// Indexes into `entries` (newest first) per archive period label.
    pub by_period: HashMap<(ArchiveType, String), Vec<usize>>,
    pub by_category: HashMap<CategoryId, Vec<usize>>,
    pub by_author: HashMap<AuthorId, Vec<usize>>,
}

impl Snapshot {
    /// Loads every published entry and page with what rendering them needs.
    pub fn load(tx: &mut dyn Tx, settings: SiteSettings) -> Result<Snapshot, StoreError> {
        let published = Some(Status::Published);
        let entries = tx.entries(EntryFilter { kind: Some(EntryKind::Entry), status: published })?;
        let pages = tx.entries(EntryFilter { kind: Some(EntryKind::Page), status: published })?;
        let categories = tx.categories()?;
        let authors = tx.authors()?.into_iter().map(|author| (author.id, author)).collect();
        let mut comments: HashMap<EntryId, Vec<Comment>> = HashMap::new();
        for comment in tx.comments(None)? {
            if comment.approved {
                comments.entry(comment.entry_id).or_default().push(comment);
            }
        }
        let templates = tx.templates()?;
        let maps = tx.template_maps()?;
        let assets = tx.assets()?;
        let failed_thumbnails = tx.failed_file_infos()?.into_iter().map(|info| info.owner.key()).collect();

        let mut snapshot = Snapshot {
            settings,
            entries: Vec::new(),
            pages: Vec::new(),
            categories: BTreeMap::new(),
            authors,
            comments,
            templates,
            maps,
            assets,
            failed_thumbnails,
            entry_index: HashMap::new(),
            by_period: HashMap::new(),
            by_category: HashMap::new(),
            by_author: HashMap::new(),
        };
        snapshot.set_categories(categories);
        snapshot.set_entries(entries, pages);
        Ok(snapshot)
    }

    fn set_categories(&mut self, categories: Vec<Category>) {
        let by_id: HashMap<CategoryId, &Category> = categories.iter().map(|c| (c.id, c)).collect();
        let map = self.preferred_map(ArchiveType::Category).cloned();
        for category in &categories {
            let basename_path = category_basename_path(category, &by_id);
            let url = map.as_ref().and_then(|map| {
                let values = PathValues { category_path: &basename_path, ..Default::default() };
                specifier::expand(&map.file_pattern, &values)
                    .ok()
                    .map(|path| archive::url_for(&self.settings.url, &path))
            });
            self.categories.insert(category.id, CategoryView { category: category.clone(), basename_path, url });
        }
    }

    fn set_entries(&mut self, mut entries: Vec<Entry>, mut pages: Vec<Entry>) {
        entries.sort_by_key(|entry| std::cmp::Reverse((entry.authored_on, entry.id)));
        pages.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
        let entry_views: Vec<EntryView> = entries.into_iter().map(|entry| self.entry_view(entry)).collect();
        let page_views: Vec<EntryView> = pages.into_iter().map(|entry| self.entry_view(entry)).collect();

        for (index, view) in entry_views.iter().enumerate() {
            self.entry_index.insert(view.entry.id, (EntryKind::Entry, index));
            for archive_type in [ArchiveType::Daily, ArchiveType::Weekly, ArchiveType::Monthly, ArchiveType::Yearly] {
                if let Some(period) = Period::containing(archive_type, view.local_date) {
                    self.by_period.entry((archive_type, period.label())).or_default().push(index);
                }
            }
            for category_id in &view.entry.category_ids {
                self.by_category.entry(*category_id).or_default().push(index);
            }
            if let Some(author_id) = view.entry.author_id {
                self.by_author.entry(author_id).or_default().push(index);
            }
        }
        for (index, view) in page_views.iter().enumerate() {
            self.entry_index.insert(view.entry.id, (EntryKind::Page, index));
        }
        self.entries = entry_views;
        self.pages = page_views;
    }

    fn entry_view(&self, entry: Entry) -> EntryView {
        let local_date = self.settings.time_zone.local(entry.authored_on);
        let archive_type = if entry.kind == EntryKind::Page { ArchiveType::Page } else { ArchiveType::Individual };
        let path = self.preferred_map(archive_type).and_then(|map| self.entry_path(map, &entry, local_date).ok());
        let url = path.as_deref().map(|path| archive::url_for(&self.settings.url, path)).unwrap_or_default();
        EntryView {
            sort_key: sort_key(entry.authored_on, entry.id),
            local_date,
            path,
            url,
            entry,
            body_html: OnceLock::new(),
            extended_html: OnceLock::new(),
        }
    }

    /// The map whose files are the permalinks of `archive_type`.
    pub fn preferred_map(&self, archive_type: ArchiveType) -> Option<&TemplateMap> {
        let candidates = || self.maps.iter().filter(move |map| map.archive_type == archive_type);
        candidates().find(|map| map.is_preferred).or_else(|| candidates().next())
    }

    pub fn entry(&self, id: EntryId) -> Option<&EntryView> {
        match self.entry_index.get(&id)? {
            (EntryKind::Entry, index) => self.entries.get(*index),
            (EntryKind::Page, index) => self.pages.get(*index),
        }
    }

    /// Position of a published entry in `entries` (newest first).
    pub fn entry_position(&self, id: EntryId) -> Option<usize> {
        match self.entry_index.get(&id)? {
            (EntryKind::Entry, index) => Some(*index),
            (EntryKind::Page, _) => None,
        }
    }

    pub fn template(&self, id: crate::model::TemplateId) -> Option<&Template> {
        self.templates.iter().find(|template| template.id == id)
    }

    pub fn map(&self, id: crate::model::TemplateMapId) -> Option<&TemplateMap> {
        self.maps.iter().find(|map| map.id == id)
    }

    /// The path of an entry's file under `map`.
    pub fn entry_path(
        &self,
        map: &TemplateMap,
        entry: &Entry,
        local_date: NaiveDateTime,
    ) -> Result<String, specifier::PatternError> {
        let category_path = entry
            .category_ids
            .first()
            .and_then(|id| self.categories.get(id))
            .map(|view| view.basename_path.clone())
            .unwrap_or_default();
        let author_basename = entry.author_id.and_then(|id| self.authors.get(&id)).map(|a| a.basename.as_str());
        let values = PathValues {
            date: Some(local_date),
            entry_id: Some(entry.id),
            basename: Some(&entry.basename),
            category_path: &category_path,
            author_basename,
        };
        specifier::expand(&map.file_pattern, &values)
    }

    /// The path of a date-based archive file under `map`.
    pub fn period_path(&self, map: &TemplateMap, period: &Period) -> Result<String, specifier::PatternError> {
        let values = PathValues { date: Some(period.start_time()), ..Default::default() };
        specifier::expand(&map.file_pattern, &values)
    }

    pub fn category_path(&self, map: &TemplateMap, category_id: CategoryId) -> Result<String, specifier::PatternError> {
        let path = self.categories.get(&category_id).map(|view| view.basename_path.clone()).unwrap_or_default();
        let values = PathValues { category_path: &path, ..Default::default() };
        specifier::expand(&map.file_pattern, &values)
    }

    pub fn author_path(&self, map: &TemplateMap, author_id: AuthorId) -> Result<String, specifier::PatternError> {
        let basename = self.authors.get(&author_id).map(|author| author.basename.as_str());
        let values = PathValues { author_basename: basename, ..Default::default() };
        specifier::expand(&map.file_pattern, &values)
    }

    /// The path of page `page` of an index template: its output for page 1,
    /// `page/N/` beside it for later pages.
    pub fn index_path(&self, template: &Template, page: u32) -> String {
        let output = template.output.clone().unwrap_or_else(|| format!("{}.html", template.name));
        if page <= 1 {
            return output;
        }
        match output.rsplit_once('/') {
            Some((dir, file)) => format!("{dir}/page/{page}/{file}"),
            None => format!("page/{page}/{output}"),
        }
    }

    /// Number of pages of a paginated index template (at least 1).
    pub fn index_page_count(&self, template: &Template) -> u32 {
        if template.page_size == 0 || template.kind != TemplateKind::Index {
            return 1;
        }
        let pages = self.entries.len().div_ceil(template.page_size as usize);
        pages.max(1) as u32
    }

    /// Entries of an archive period, newest first.
    pub fn period_entries(&self, archive_type: ArchiveType, label: &str) -> &[usize] {
        self.by_period.get(&(archive_type, label.to_string())).map_or(&[], Vec::as_slice)
    }

    /// Periods of `archive_type` that have entries, newest first.
    pub fn periods(&self, archive_type: ArchiveType) -> Vec<Period> {
        let mut periods: Vec<Period> = self
            .by_period
            .keys()
            .filter(|(kind, _)| *kind == archive_type)
            .filter_map(|(kind, label)| Period::parse(*kind, label))
            .collect();
        periods.sort();
        periods.reverse();
        periods
    }
}

fn category_basename_path(category: &Category, by_id: &HashMap<CategoryId, &Category>) -> Vec<String> {
    let mut path = vec![category.basename.clone()];
    let mut parent = category.parent_id;
    // The depth bound stops a corrupt parent cycle from looping forever.
    while let Some(id) = parent.filter(|_| path.len() < 64) {
        let Some(found) = by_id.get(&id) else { break };
        path.push(found.basename.clone());
        parent = found.parent_id;
    }
    path.reverse();
    path
}
