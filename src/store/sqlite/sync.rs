//! Targets and the paths pending for each of them.

use rusqlite::params;

use super::SqliteTx;
use crate::model::Timestamp;
use crate::store::{PendingFile, Result, SyncTx, TargetState};

impl SyncTx for SqliteTx<'_> {
    fn target_states(&mut self) -> Result<Vec<TargetState>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT t.name, t.added_on, t.initial_copy_done, t.last_attempt, t.last_success, t.last_error, \
             t.failures, t.next_retry, t.delete_method, \
             (SELECT count(*) FROM pending p WHERE p.target = t.name), \
             (SELECT min(since) FROM pending p WHERE p.target = t.name) \
             FROM targets t ORDER BY t.name",
        )?;
        let states = statement
            .query_map([], |row| {
                Ok(TargetState {
                    name: row.get(0)?,
                    added_on: row.get(1)?,
                    initial_copy_done: row.get(2)?,
                    last_attempt: row.get(3)?,
                    last_success: row.get(4)?,
                    last_error: row.get(5)?,
                    failures: row.get(6)?,
                    next_retry: row.get(7)?,
                    delete_method: row.get(8)?,
                    pending: row.get(9)?,
                    oldest_pending: row.get(10)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(states)
    }

    fn add_target(&mut self, name: &str, now: Timestamp) -> Result<bool> {
        let added = self
            .conn()
            .execute("INSERT OR IGNORE INTO targets (name, added_on) VALUES (?1, ?2)", params![name, now])?;
        Ok(added == 1)
    }

    fn remove_target(&mut self, name: &str) -> Result<()> {
        self.conn().execute("DELETE FROM targets WHERE name = ?1", [name])?;
        Ok(())
    }

    fn mark_pending(&mut self, path: &str, tier: u8, now: Timestamp) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO pending (target, path, tier, since) SELECT name, ?1, ?2, ?3 FROM targets WHERE true \
                 ON CONFLICT (target, path) DO UPDATE SET tier = excluded.tier, version = version + 1",
            )?
            .execute(params![path, tier, now])?;
        Ok(())
    }

    fn mark_pending_for(&mut self, target: &str, path: &str, tier: u8, now: Timestamp) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO pending (target, path, tier, since) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (target, path) DO UPDATE SET tier = excluded.tier, version = version + 1",
            )?
            .execute(params![target, path, tier, now])?;
        Ok(())
    }

    fn pending(&mut self, target: &str, limit: usize) -> Result<Vec<PendingFile>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT path, tier, since, version FROM pending WHERE target = ?1 ORDER BY tier, path LIMIT ?2",
        )?;
        let files = statement
            .query_map(params![target, limit as i64], |row| {
                Ok(PendingFile { path: row.get(0)?, tier: row.get(1)?, since: row.get(2)?, version: row.get(3)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(files)
    }

    fn held_paths(&mut self, target: &str) -> Result<Vec<String>> {
        // A page's dependency on an asset or thumbnail uses the same text as
        // that file's owner key, which links the two rows.
        let mut statement = self.conn().prepare_cached(
            "SELECT DISTINCT p.path FROM pending p \
             JOIN file_info page ON page.path = p.path \
             JOIN deps d ON d.file_info_id = page.id AND (d.key LIKE 'asset:%' OR d.key LIKE 'thumbnail:%') \
             JOIN file_info linked ON linked.owner_key = d.key \
             JOIN jobs j ON j.file_info_id = linked.id \
             WHERE p.target = ?1",
        )?;
        let paths = statement.query_map([target], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(paths)
    }

    fn clear_pending(&mut self, target: &str, files: &[PendingFile]) -> Result<usize> {
        let mut delete =
            self.conn().prepare_cached("DELETE FROM pending WHERE target = ?1 AND path = ?2 AND version = ?3")?;
        let mut cleared = 0;
        for file in files {
            cleared += delete.execute(params![target, file.path, file.version])?;
        }
        Ok(cleared)
    }

    fn claim_target(&mut self, name: &str, worker: &str, now: Timestamp, lease_until: Timestamp) -> Result<bool> {
        let claimed = self.conn().execute(
            "UPDATE targets SET claimed_by = ?2, lease_until = ?4 \
             WHERE name = ?1 AND (claimed_by IS NULL OR claimed_by = ?2 OR lease_until < ?3)",
            params![name, worker, now, lease_until],
        )?;
        Ok(claimed == 1)
    }

    fn renew_target_leases(&mut self, worker: &str, lease_until: Timestamp) -> Result<usize> {
        Ok(self
            .conn()
            .execute("UPDATE targets SET lease_until = ?2 WHERE claimed_by = ?1", params![worker, lease_until])?)
    }

    fn release_target(&mut self, name: &str, worker: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE targets SET claimed_by = NULL, lease_until = NULL WHERE name = ?1 AND claimed_by = ?2",
            [name, worker],
        )?;
        Ok(())
    }

    fn record_sync_success(&mut self, name: &str, now: Timestamp) -> Result<()> {
        self.conn().execute(
            "UPDATE targets SET last_attempt = ?2, last_success = ?2, failures = 0, next_retry = 0 WHERE name = ?1",
            params![name, now],
        )?;
        Ok(())
    }

    fn record_sync_failure(&mut self, name: &str, error: &str, now: Timestamp, next_retry: Timestamp) -> Result<()> {
        self.conn().execute(
            "UPDATE targets SET last_attempt = ?2, last_error = ?3, failures = failures + 1, next_retry = ?4 \
             WHERE name = ?1",
            params![name, now, error, next_retry],
        )?;
        Ok(())
    }

    fn set_initial_copy_done(&mut self, name: &str) -> Result<()> {
        self.conn().execute("UPDATE targets SET initial_copy_done = 1 WHERE name = ?1", [name])?;
        Ok(())
    }

    fn set_delete_method(&mut self, name: &str, method: &str) -> Result<()> {
        self.conn().execute("UPDATE targets SET delete_method = ?2 WHERE name = ?1", [name, method])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::ArchiveType;
    use crate::store::{Dep, FileInfo, FileOwner, FileState, Store};

    fn file(owner: FileOwner, archive_type: ArchiveType, path: &str) -> FileInfo {
        FileInfo {
            id: 0,
            owner,
            archive_type,
            template_id: None,
            path: Some(path.to_string()),
            url: String::new(),
            published_path: None,
            content_hash: None,
            priority: 10,
            tier: 1,
            state: FileState::Active,
            last_error: None,
        }
    }

    #[test]
    fn page_waits_for_queued_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("store.db")).unwrap();
        let held = store
            .write(|tx| {
                tx.add_target("/mirror", 0)?;
                let page = tx.insert_file_info(&file(
                    FileOwner::Entry { map_id: 1, entry_id: 1 },
                    ArchiveType::Individual,
                    "a.html",
                ))?;
                let thumbnail = FileOwner::Thumbnail { asset_id: 7, width: 480, height: 320 };
                let thumb = tx.insert_file_info(&file(thumbnail.clone(), ArchiveType::Thumbnail, "t.jpg"))?;
                tx.set_deps(page, &[Dep::whole(thumbnail.key())])?;
                tx.mark_pending("a.html", 1, 0)?;
                tx.enqueue(thumb, 20, 0)?;
                let while_queued = tx.held_paths("/mirror")?;
                let job = tx.claim_jobs("w", 10, 0, 100)?.remove(0);
                tx.complete_job(&job, "w")?;
                Ok::<_, crate::store::StoreError>((while_queued, tx.held_paths("/mirror")?))
            })
            .unwrap();
        assert_eq!(held.0, vec!["a.html".to_string()]);
        assert!(held.1.is_empty());
    }
}
