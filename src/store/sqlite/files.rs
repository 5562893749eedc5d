//! File infos and their recorded dependencies.

use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteTx, conflict, parse_column};
use crate::model::{AssetId, EntryId, FileInfoId, TemplateId};
use crate::store::{Dep, FileInfo, FileOwner, FileState, FileTx, Result, StoreError};

const COLUMNS: &str = "id, owner_key, archive_type, template_id, path, url, published_path, content_hash, \
     priority, tier, state, last_error";

/// A file info row, with its owner key and archive type still as text.
fn from_row(row: &Row<'_>) -> rusqlite::Result<(FileInfo, String, String)> {
    let info = FileInfo {
        id: row.get(0)?,
        owner: FileOwner::Asset { asset_id: 0 },
        archive_type: crate::model::ArchiveType::Index,
        template_id: row.get(3)?,
        path: row.get(4)?,
        url: row.get(5)?,
        published_path: row.get(6)?,
        content_hash: row.get(7)?,
        priority: row.get(8)?,
        tier: row.get(9)?,
        state: FileState::parse(&row.get::<_, String>(10)?),
        last_error: row.get(11)?,
    };
    Ok((info, row.get(1)?, row.get(2)?))
}

fn finish((mut info, owner_key, archive_type): (FileInfo, String, String)) -> Result<FileInfo> {
    info.owner =
        FileOwner::parse(&owner_key).ok_or(StoreError::Corrupt { column: "file_info.owner_key", value: owner_key })?;
    info.archive_type = parse_column("file_info.archive_type", archive_type)?;
    Ok(info)
}

impl SqliteTx<'_> {
    fn query_file_infos(&self, filter: &str, params: impl rusqlite::Params) -> Result<Vec<FileInfo>> {
        let sql = format!("SELECT {COLUMNS} FROM file_info {filter}");
        let mut statement = self.conn().prepare_cached(&sql)?;
        let rows = statement.query_map(params, from_row)?;
        let mut infos = Vec::new();
        for row in rows {
            infos.push(finish(row?)?);
        }
        Ok(infos)
    }

    fn owned_by(&self, path: &str) -> String {
        self.conn()
            .query_row("SELECT owner_key FROM file_info WHERE path = ?1", [path], |row| row.get::<_, String>(0))
            .optional()
            .ok()
            .flatten()
            .map_or_else(|| "another file".to_string(), |owner| format!("file info {owner}"))
    }
}

impl FileTx for SqliteTx<'_> {
    fn file_infos(&mut self) -> Result<Vec<FileInfo>> {
        self.query_file_infos("ORDER BY id", [])
    }

    fn file_info(&mut self, id: FileInfoId) -> Result<Option<FileInfo>> {
        Ok(self.query_file_infos("WHERE id = ?1", [id])?.pop())
    }

    fn file_info_by_owner(&mut self, owner: &FileOwner) -> Result<Option<FileInfo>> {
        Ok(self.query_file_infos("WHERE owner_key = ?1", [owner.key()])?.pop())
    }

    fn file_info_by_path(&mut self, path: &str) -> Result<Option<FileInfo>> {
        Ok(self.query_file_infos("WHERE path = ?1", [path])?.pop())
    }

    fn file_infos_of_entry(&mut self, entry_id: EntryId) -> Result<Vec<FileInfo>> {
        self.query_file_infos("WHERE entry_id = ?1 ORDER BY id", [entry_id])
    }

    fn file_infos_of_template(&mut self, template_id: TemplateId) -> Result<Vec<FileInfo>> {
        self.query_file_infos("WHERE template_id = ?1 ORDER BY id", [template_id])
    }

    fn file_infos_of_asset(&mut self, asset_id: AssetId) -> Result<Vec<FileInfo>> {
        self.query_file_infos("WHERE asset_id = ?1 ORDER BY id", [asset_id])
    }

    fn failed_file_infos(&mut self) -> Result<Vec<FileInfo>> {
        self.query_file_infos("WHERE state = 'failed' ORDER BY id", [])
    }

    fn file_infos_with_errors(&mut self) -> Result<Vec<FileInfo>> {
        self.query_file_infos("WHERE last_error IS NOT NULL ORDER BY id", [])
    }

    fn insert_file_info(&mut self, info: &FileInfo) -> Result<FileInfoId> {
        let owner = &info.owner;
        self.conn()
            .execute(
                "INSERT INTO file_info (owner_key, archive_type, template_id, template_map_id, entry_id, \
                 category_id, asset_id, path, url, published_path, content_hash, priority, tier, state, last_error) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    owner.key(),
                    info.archive_type.as_str(),
                    info.template_id,
                    owner.map_id(),
                    owner.entry_id(),
                    owner.category_id(),
                    owner.asset_id(),
                    info.path,
                    info.url,
                    info.published_path,
                    info.content_hash,
                    info.priority,
                    info.tier,
                    info.state.as_str(),
                    info.last_error,
                ],
            )
            .map_err(|error| {
                let path = info.path.clone().unwrap_or_default();
                let by = self.owned_by(&path);
                conflict(error, || format!("path {path:?}"), || by)
            })?;
        Ok(self.conn().last_insert_rowid())
    }

    fn update_file_info(&mut self, info: &FileInfo) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE file_info SET template_id = ?2, path = ?3, url = ?4, published_path = ?5, content_hash = ?6, \
                 priority = ?7, tier = ?8, state = ?9, last_error = ?10 WHERE id = ?1",
                params![
                    info.id,
                    info.template_id,
                    info.path,
                    info.url,
                    info.published_path,
                    info.content_hash,
                    info.priority,
                    info.tier,
                    info.state.as_str(),
                    info.last_error,
                ],
            )
            .map_err(|error| {
                let path = info.path.clone().unwrap_or_default();
                let by = self.owned_by(&path);
                conflict(error, || format!("path {path:?}"), || by)
            })?;
        Ok(())
    }

    fn delete_file_info(&mut self, id: FileInfoId) -> Result<()> {
        self.conn().execute("DELETE FROM file_info WHERE id = ?1", [id])?;
        Ok(())
    }

    fn set_deps(&mut self, id: FileInfoId, deps: &[Dep]) -> Result<()> {
        let conn = self.conn();
        conn.prepare_cached("DELETE FROM deps WHERE file_info_id = ?1")?.execute([id])?;
        let mut insert = conn.prepare_cached("INSERT INTO deps (file_info_id, key, lo, hi) VALUES (?1, ?2, ?3, ?4)")?;
        for dep in deps {
            insert.execute(params![id, dep.key, dep.lo, dep.hi])?;
        }
        Ok(())
    }

    fn deps(&mut self, id: FileInfoId) -> Result<Vec<Dep>> {
        let mut statement =
            self.conn().prepare_cached("SELECT key, lo, hi FROM deps WHERE file_info_id = ?1 ORDER BY key, lo, hi")?;
        let deps = statement
            .query_map([id], |row| Ok(Dep { key: row.get(0)?, lo: row.get(1)?, hi: row.get(2)? }))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(deps)
    }

    fn files_depending_on_any(&mut self, keys: &[String]) -> Result<Vec<FileInfoId>> {
        let mut ids = Vec::new();
        // SQLite limits the number of parameters of one statement.
        for chunk in keys.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!("SELECT DISTINCT file_info_id FROM deps WHERE key IN ({marks})");
            let mut statement = self.conn().prepare_cached(&sql)?;
            let found = statement.query_map(rusqlite::params_from_iter(chunk), |row| row.get(0))?;
            for id in found {
                ids.push(id?);
            }
        }
        Ok(ids)
    }

    fn has_deps(&mut self) -> Result<bool> {
        Ok(self.conn().query_row("SELECT EXISTS (SELECT 1 FROM deps)", [], |row| row.get(0))?)
    }

    fn files_overlapping(&mut self, key: &str, from: Option<&str>, to: Option<&str>) -> Result<Vec<FileInfoId>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT DISTINCT file_info_id FROM deps WHERE key = ?1 \
             AND (lo IS NULL OR ?3 IS NULL OR lo <= ?3) AND (hi IS NULL OR ?2 IS NULL OR hi >= ?2)",
        )?;
        let ids = statement.query_map(params![key, from, to], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    fn files_depending_on(&mut self, key: &str, position: Option<&str>) -> Result<Vec<FileInfoId>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT DISTINCT file_info_id FROM deps WHERE key = ?1 \
             AND (?2 IS NULL OR ((lo IS NULL OR lo <= ?2) AND (hi IS NULL OR hi >= ?2)))",
        )?;
        let ids = statement.query_map(params![key, position], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }
}
