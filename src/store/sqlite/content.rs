//! Content tables: settings, authors, categories, entries, comments,
//! templates, template maps and assets.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteTx, conflict, parse_column};
use crate::model::{
    AssetId, Author, AuthorId, Category, CategoryId, Comment, Entry, EntryId, EntryKind, PublishType, Template,
    TemplateId, TemplateMap, TemplateMapId, Timestamp,
};
use crate::store::{Asset, ContentTx, EntryFilter, Result};

const ENTRY_COLUMNS: &str = "id, kind, title, basename, status, authored_on, modified_on, author_id, body, \
     extended, excerpt, keywords, text_filter, allow_comments";

/// An entry row before its categories and tags are attached.
fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<(Entry, [String; 3])> {
    let entry = Entry {
        id: row.get(0)?,
        kind: EntryKind::Entry,
        title: row.get(2)?,
        basename: row.get(3)?,
        status: crate::model::Status::Draft,
        authored_on: row.get(5)?,
        modified_on: row.get(6)?,
        author_id: row.get(7)?,
        body: row.get(8)?,
        extended: row.get(9)?,
        excerpt: row.get(10)?,
        keywords: row.get(11)?,
        text_filter: crate::model::TextFilter::None,
        allow_comments: row.get(13)?,
        category_ids: Vec::new(),
        tags: Vec::new(),
    };
    Ok((entry, [row.get(1)?, row.get(4)?, row.get(12)?]))
}

fn finish_entry((mut entry, [kind, status, filter]): (Entry, [String; 3])) -> Result<Entry> {
    entry.kind = parse_column("entries.kind", kind)?;
    entry.status = parse_column("entries.status", status)?;
    entry.text_filter = parse_column("entries.text_filter", filter)?;
    Ok(entry)
}

impl SqliteTx<'_> {
    fn query_entries(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Entry>> {
        let mut statement = self.conn().prepare_cached(sql)?;
        let rows = statement.query_map(params, entry_from_row)?;
        let mut entries = Vec::new();
        for row in rows {
            entries.push(finish_entry(row?)?);
        }
        self.attach_categories_and_tags(&mut entries)?;
        Ok(entries)
    }

    /// Fills `category_ids` and `tags`. A single entry is looked up by id;
    /// a longer list reads both tables once, which is faster than one query
    /// per entry.
    fn attach_categories_and_tags(&self, entries: &mut [Entry]) -> Result<()> {
        let only = match entries {
            [] => return Ok(()),
            [entry] => Some(entry.id),
            _ => None,
        };
        let index: HashMap<EntryId, usize> = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();

        let mut statement = self.conn().prepare_cached(
            "SELECT entry_id, category_id FROM entry_categories WHERE ?1 IS NULL OR entry_id = ?1 \
             ORDER BY entry_id, position",
        )?;
        let rows = statement.query_map([only], |row| Ok((row.get::<_, EntryId>(0)?, row.get::<_, CategoryId>(1)?)))?;
        for row in rows {
            let (entry_id, category_id) = row?;
            if let Some(&i) = index.get(&entry_id) {
                entries[i].category_ids.push(category_id);
            }
        }

        let mut statement = self.conn().prepare_cached(
            "SELECT entry_id, tag FROM entry_tags WHERE ?1 IS NULL OR entry_id = ?1 ORDER BY entry_id, position",
        )?;
        let rows = statement.query_map([only], |row| Ok((row.get::<_, EntryId>(0)?, row.get::<_, String>(1)?)))?;
        for row in rows {
            let (entry_id, tag) = row?;
            if let Some(&i) = index.get(&entry_id) {
                entries[i].tags.push(tag);
            }
        }
        Ok(())
    }

    fn write_categories_and_tags(&self, entry: &Entry) -> Result<()> {
        let conn = self.conn();
        conn.prepare_cached("DELETE FROM entry_categories WHERE entry_id = ?1")?.execute([entry.id])?;
        conn.prepare_cached("DELETE FROM entry_tags WHERE entry_id = ?1")?.execute([entry.id])?;
        let mut insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO entry_categories (entry_id, category_id, position) VALUES (?1, ?2, ?3)",
        )?;
        for (position, category_id) in entry.category_ids.iter().enumerate() {
            insert.execute(params![entry.id, category_id, position as i64])?;
        }
        let mut insert =
            conn.prepare_cached("INSERT OR IGNORE INTO entry_tags (entry_id, tag, position) VALUES (?1, ?2, ?3)")?;
        for (position, tag) in entry.tags.iter().enumerate() {
            insert.execute(params![entry.id, tag, position as i64])?;
        }
        Ok(())
    }
}

fn template_from_row(row: &Row<'_>) -> rusqlite::Result<(Template, String, String)> {
    let template = Template {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: crate::model::TemplateKind::Module,
        source: row.get(3)?,
        output: row.get(4)?,
        page_size: row.get(5)?,
        publish_type: PublishType::Background,
    };
    let interval: i64 = row.get(7)?;
    let publish_type: String = row.get(6)?;
    Ok((template, row.get(2)?, format!("{publish_type}:{interval}")))
}

fn finish_template((mut template, kind, publish): (Template, String, String)) -> Result<Template> {
    template.kind = parse_column("templates.kind", kind)?;
    let (name, interval) = publish.split_once(':').unwrap_or((&publish, "0"));
    template.publish_type = match name {
        "background" => PublishType::Background,
        "manual" => PublishType::Manual,
        "disabled" => PublishType::Disabled,
        "scheduled" => PublishType::Scheduled { interval_secs: interval.parse().unwrap_or(0) },
        _ => return Err(crate::store::StoreError::Corrupt { column: "templates.publish_type", value: publish }),
    };
    Ok(template)
}

fn publish_interval(publish_type: PublishType) -> i64 {
    match publish_type {
        PublishType::Scheduled { interval_secs } => interval_secs,
        _ => 0,
    }
}

const TEMPLATE_COLUMNS: &str = "id, name, kind, source, output, page_size, publish_type, publish_interval";

const ASSET_COLUMNS: &str = "id, name, path, mime, size, width, height, hash, source_url, entry_id, created_on";

fn asset_from_row(row: &Row<'_>) -> rusqlite::Result<Asset> {
    Ok(Asset {
        id: row.get(0)?,
        name: row.get(1)?,
        path: row.get(2)?,
        mime: row.get(3)?,
        size: row.get(4)?,
        width: row.get(5)?,
        height: row.get(6)?,
        hash: row.get(7)?,
        source_url: row.get(8)?,
        entry_id: row.get(9)?,
        created_on: row.get(10)?,
    })
}

fn category_from_row(row: &Row<'_>) -> rusqlite::Result<Category> {
    Ok(Category {
        id: row.get(0)?,
        label: row.get(1)?,
        basename: row.get(2)?,
        parent_id: row.get(3)?,
        description: row.get(4)?,
    })
}

fn author_from_row(row: &Row<'_>) -> rusqlite::Result<Author> {
    Ok(Author {
        id: row.get(0)?,
        name: row.get(1)?,
        display_name: row.get(2)?,
        email: row.get(3)?,
        basename: row.get(4)?,
    })
}

impl ContentTx for SqliteTx<'_> {
    fn setting(&mut self, name: &str) -> Result<Option<String>> {
        Ok(self.conn().query_row("SELECT value FROM settings WHERE name = ?1", [name], |row| row.get(0)).optional()?)
    }

    fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )?;
        Ok(())
    }

    fn authors(&mut self) -> Result<Vec<Author>> {
        let mut statement =
            self.conn().prepare_cached("SELECT id, name, display_name, email, basename FROM authors ORDER BY id")?;
        let authors = statement.query_map([], author_from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(authors)
    }

    fn author_by_name(&mut self, name: &str) -> Result<Option<Author>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, name, display_name, email, basename FROM authors WHERE name = ?1",
                [name],
                author_from_row,
            )
            .optional()?)
    }

    fn insert_author(&mut self, author: &Author) -> Result<AuthorId> {
        self.conn()
            .execute(
                "INSERT INTO authors (name, display_name, email, basename) VALUES (?1, ?2, ?3, ?4)",
                params![author.name, author.display_name, author.email, author.basename],
            )
            .map_err(|error| conflict(error, || format!("author {:?}", author.name), || "another author".into()))?;
        Ok(self.conn().last_insert_rowid())
    }

    fn categories(&mut self) -> Result<Vec<Category>> {
        let mut statement = self
            .conn()
            .prepare_cached("SELECT id, label, basename, parent_id, description FROM categories ORDER BY id")?;
        let categories = statement.query_map([], category_from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(categories)
    }

    fn insert_category(&mut self, category: &Category) -> Result<CategoryId> {
        self.conn()
            .execute(
                "INSERT INTO categories (label, basename, parent_id, description) VALUES (?1, ?2, ?3, ?4)",
                params![category.label, category.basename, category.parent_id, category.description],
            )
            .map_err(|error| {
                conflict(error, || format!("category basename {:?}", category.basename), || "another category".into())
            })?;
        Ok(self.conn().last_insert_rowid())
    }

    fn update_category(&mut self, category: &Category) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE categories SET label = ?2, basename = ?3, parent_id = ?4, description = ?5 WHERE id = ?1",
                params![category.id, category.label, category.basename, category.parent_id, category.description],
            )
            .map_err(|error| {
                conflict(error, || format!("category basename {:?}", category.basename), || "another category".into())
            })?;
        Ok(())
    }

    fn delete_category(&mut self, id: CategoryId) -> Result<()> {
        self.conn().execute("DELETE FROM categories WHERE id = ?1", [id])?;
        Ok(())
    }

    fn entry(&mut self, id: EntryId) -> Result<Option<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE id = ?1");
        Ok(self.query_entries(&sql, [id])?.pop())
    }

    fn entry_by_basename(&mut self, kind: EntryKind, basename: &str) -> Result<Option<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE kind = ?1 AND basename = ?2");
        Ok(self.query_entries(&sql, [kind.as_str(), basename])?.pop())
    }

    fn entry_by_source_key(&mut self, source_key: &str) -> Result<Option<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE source_key = ?1");
        Ok(self.query_entries(&sql, [source_key])?.pop())
    }

    fn entries(&mut self, filter: EntryFilter) -> Result<Vec<Entry>> {
        // Each combination gets plain equality tests, so that SQLite can use
        // the (status, kind, authored_on, id) index instead of sorting.
        let mut conditions = Vec::new();
        let mut values: Vec<&str> = Vec::new();
        if let Some(status) = filter.status {
            conditions.push("status = ?");
            values.push(status.as_str());
        }
        if let Some(kind) = filter.kind {
            conditions.push("kind = ?");
            values.push(kind.as_str());
        }
        let condition =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries {condition} ORDER BY authored_on, id");
        self.query_entries(&sql, rusqlite::params_from_iter(values))
    }

    fn insert_entry(&mut self, entry: &Entry, source_key: Option<&str>) -> Result<EntryId> {
        self.conn()
            .execute(
                "INSERT INTO entries (kind, title, basename, status, authored_on, modified_on, author_id, body, \
                 extended, excerpt, keywords, text_filter, allow_comments, source_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    entry.kind.as_str(),
                    entry.title,
                    entry.basename,
                    entry.status.as_str(),
                    entry.authored_on,
                    entry.modified_on,
                    entry.author_id,
                    entry.body,
                    entry.extended,
                    entry.excerpt,
                    entry.keywords,
                    entry.text_filter.as_str(),
                    entry.allow_comments,
                    source_key,
                ],
            )
            .map_err(|error| conflict(error, || format!("basename {:?}", entry.basename), || "another entry".into()))?;
        let id = self.conn().last_insert_rowid();
        self.write_categories_and_tags(&Entry { id, ..entry.clone() })?;
        Ok(id)
    }

    fn update_entry(&mut self, entry: &Entry) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE entries SET kind = ?2, title = ?3, basename = ?4, status = ?5, authored_on = ?6, \
                 modified_on = ?7, author_id = ?8, body = ?9, extended = ?10, excerpt = ?11, keywords = ?12, \
                 text_filter = ?13, allow_comments = ?14 WHERE id = ?1",
                params![
                    entry.id,
                    entry.kind.as_str(),
                    entry.title,
                    entry.basename,
                    entry.status.as_str(),
                    entry.authored_on,
                    entry.modified_on,
                    entry.author_id,
                    entry.body,
                    entry.extended,
                    entry.excerpt,
                    entry.keywords,
                    entry.text_filter.as_str(),
                    entry.allow_comments,
                ],
            )
            .map_err(|error| conflict(error, || format!("basename {:?}", entry.basename), || "another entry".into()))?;
        self.write_categories_and_tags(entry)
    }

    fn delete_entry(&mut self, id: EntryId) -> Result<()> {
        self.conn().execute("DELETE FROM entries WHERE id = ?1", [id])?;
        Ok(())
    }

    fn basename_in_use(&mut self, kind: EntryKind, basename: &str, except: Option<EntryId>) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .query_row(
                "SELECT 1 FROM entries WHERE kind = ?1 AND basename = ?2 AND (?3 IS NULL OR id != ?3)",
                params![kind.as_str(), basename, except],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    fn due_scheduled_entries(&mut self, now: Timestamp) -> Result<Vec<EntryId>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT id FROM entries WHERE status = 'scheduled' AND authored_on <= ?1 ORDER BY authored_on, id",
        )?;
        let ids = statement.query_map([now], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    fn comments(&mut self, entry_id: Option<EntryId>) -> Result<Vec<Comment>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT id, entry_id, kind, author, email, url, ip, body, created_on, approved FROM comments \
             WHERE (?1 IS NULL OR entry_id = ?1) ORDER BY entry_id, created_on, id",
        )?;
        let rows = statement.query_map([entry_id], |row| {
            Ok((
                Comment {
                    id: row.get(0)?,
                    entry_id: row.get(1)?,
                    kind: crate::model::CommentKind::Comment,
                    author: row.get(3)?,
                    email: row.get(4)?,
                    url: row.get(5)?,
                    ip: row.get(6)?,
                    body: row.get(7)?,
                    created_on: row.get(8)?,
                    approved: row.get(9)?,
                },
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut comments = Vec::new();
        for row in rows {
            let (mut comment, kind) = row?;
            comment.kind = parse_column("comments.kind", kind)?;
            comments.push(comment);
        }
        Ok(comments)
    }

    fn replace_comments(&mut self, entry_id: EntryId, comments: &[Comment]) -> Result<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM comments WHERE entry_id = ?1", [entry_id])?;
        let mut insert = conn.prepare_cached(
            "INSERT INTO comments (entry_id, kind, author, email, url, ip, body, created_on, approved) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for comment in comments {
            insert.execute(params![
                entry_id,
                comment.kind.as_str(),
                comment.author,
                comment.email,
                comment.url,
                comment.ip,
                comment.body,
                comment.created_on,
                comment.approved,
            ])?;
        }
        Ok(())
    }

    fn templates(&mut self) -> Result<Vec<Template>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates ORDER BY id");
        let mut statement = self.conn().prepare_cached(&sql)?;
        let rows = statement.query_map([], template_from_row)?;
        let mut templates = Vec::new();
        for row in rows {
            templates.push(finish_template(row?)?);
        }
        Ok(templates)
    }

    fn template_by_name(&mut self, name: &str) -> Result<Option<Template>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE name = ?1");
        let row = self.conn().query_row(&sql, [name], template_from_row).optional()?;
        row.map(finish_template).transpose()
    }

    fn insert_template(&mut self, template: &Template) -> Result<TemplateId> {
        self.conn()
            .execute(
                "INSERT INTO templates (name, kind, source, output, page_size, publish_type, publish_interval) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    template.name,
                    template.kind.as_str(),
                    template.source,
                    template.output,
                    template.page_size,
                    template.publish_type.name(),
                    publish_interval(template.publish_type),
                ],
            )
            .map_err(|error| {
                conflict(error, || format!("template name {:?}", template.name), || "another template".into())
            })?;
        Ok(self.conn().last_insert_rowid())
    }

    fn update_template(&mut self, template: &Template) -> Result<()> {
        self.conn().execute(
            "UPDATE templates SET name = ?2, kind = ?3, source = ?4, output = ?5, page_size = ?6, \
             publish_type = ?7, publish_interval = ?8 WHERE id = ?1",
            params![
                template.id,
                template.name,
                template.kind.as_str(),
                template.source,
                template.output,
                template.page_size,
                template.publish_type.name(),
                publish_interval(template.publish_type),
            ],
        )?;
        Ok(())
    }

    fn delete_template(&mut self, id: TemplateId) -> Result<()> {
        self.conn().execute("DELETE FROM templates WHERE id = ?1", [id])?;
        Ok(())
    }

    fn set_template_published(&mut self, id: TemplateId, at: Timestamp) -> Result<()> {
        self.conn().execute("UPDATE templates SET last_published = ?2 WHERE id = ?1", [id, at])?;
        Ok(())
    }

    fn template_last_published(&mut self, id: TemplateId) -> Result<Timestamp> {
        Ok(self
            .conn()
            .query_row("SELECT last_published FROM templates WHERE id = ?1", [id], |row| row.get(0))
            .optional()?
            .unwrap_or(0))
    }

    fn template_maps(&mut self) -> Result<Vec<TemplateMap>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT id, template_id, archive_type, file_pattern, is_preferred FROM template_maps ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                TemplateMap {
                    id: row.get(0)?,
                    template_id: row.get(1)?,
                    archive_type: crate::model::ArchiveType::Index,
                    file_pattern: row.get(3)?,
                    is_preferred: row.get(4)?,
                },
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut maps = Vec::new();
        for row in rows {
            let (mut map, archive_type) = row?;
            map.archive_type = parse_column("template_maps.archive_type", archive_type)?;
            maps.push(map);
        }
        Ok(maps)
    }

    fn insert_template_map(&mut self, map: &TemplateMap) -> Result<TemplateMapId> {
        self.conn().execute(
            "INSERT INTO template_maps (template_id, archive_type, file_pattern, is_preferred) VALUES (?1, ?2, ?3, ?4)",
            params![map.template_id, map.archive_type.as_str(), map.file_pattern, map.is_preferred],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    fn delete_template_map(&mut self, id: TemplateMapId) -> Result<()> {
        self.conn().execute("DELETE FROM template_maps WHERE id = ?1", [id])?;
        Ok(())
    }

    fn assets(&mut self) -> Result<Vec<Asset>> {
        let sql = format!("SELECT {ASSET_COLUMNS} FROM assets ORDER BY id");
        let mut statement = self.conn().prepare_cached(&sql)?;
        let assets = statement.query_map([], asset_from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(assets)
    }

    fn asset(&mut self, id: AssetId) -> Result<Option<Asset>> {
        let sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE id = ?1");
        Ok(self.conn().query_row(&sql, [id], asset_from_row).optional()?)
    }

    fn asset_by_path(&mut self, path: &str) -> Result<Option<Asset>> {
        let sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE path = ?1");
        Ok(self.conn().query_row(&sql, [path], asset_from_row).optional()?)
    }

    fn asset_by_source_key(&mut self, source_key: &str) -> Result<Option<Asset>> {
        let sql = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE source_key = ?1");
        Ok(self.conn().query_row(&sql, [source_key], asset_from_row).optional()?)
    }

    fn insert_asset(&mut self, asset: &Asset, source_key: Option<&str>) -> Result<AssetId> {
        self.conn()
            .execute(
                "INSERT INTO assets (name, path, mime, size, width, height, hash, source_url, entry_id, created_on, \
                 source_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    asset.name,
                    asset.path,
                    asset.mime,
                    asset.size,
                    asset.width,
                    asset.height,
                    asset.hash,
                    asset.source_url,
                    asset.entry_id,
                    asset.created_on,
                    source_key,
                ],
            )
            .map_err(|error| conflict(error, || format!("asset path {:?}", asset.path), || "another asset".into()))?;
        Ok(self.conn().last_insert_rowid())
    }

    fn update_asset(&mut self, asset: &Asset) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE assets SET name = ?2, path = ?3, mime = ?4, size = ?5, width = ?6, height = ?7, hash = ?8, \
                 source_url = ?9, entry_id = ?10 WHERE id = ?1",
                params![
                    asset.id,
                    asset.name,
                    asset.path,
                    asset.mime,
                    asset.size,
                    asset.width,
                    asset.height,
                    asset.hash,
                    asset.source_url,
                    asset.entry_id,
                ],
            )
            .map_err(|error| conflict(error, || format!("asset path {:?}", asset.path), || "another asset".into()))?;
        Ok(())
    }

    fn delete_asset(&mut self, id: AssetId) -> Result<()> {
        self.conn().execute("DELETE FROM assets WHERE id = ?1", [id])?;
        Ok(())
    }
}
