//! The publish queue: one job per file info, claimed with an expiring lease.

use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use crate::model::{FileInfoId, Timestamp};
use crate::store::{Job, JobOutcome, QueueSummary, QueueTx, Result};

impl QueueTx for SqliteTx<'_> {
    fn enqueue(&mut self, file_info_id: FileInfoId, priority: i32, now: Timestamp) -> Result<()> {
        // A new request resets any retry delay: the file changed, so the
        // earlier failure may no longer apply.
        self.conn()
            .prepare_cached(
                "INSERT INTO jobs (file_info_id, priority, queued_on) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (file_info_id) DO UPDATE SET priority = max(priority, excluded.priority), \
                 generation = generation + 1, run_after = 0",
            )?
            .execute(params![file_info_id, priority, now])?;
        Ok(())
    }

    fn claim_jobs(&mut self, worker: &str, limit: usize, now: Timestamp, lease_until: Timestamp) -> Result<Vec<Job>> {
        let mut statement = self.conn().prepare_cached(
            "UPDATE jobs SET claimed_by = ?1, claimed_generation = generation, lease_until = ?3, \
             attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM jobs WHERE run_after <= ?2 AND (lease_until IS NULL OR lease_until < ?2) \
                          ORDER BY priority DESC, id LIMIT ?4) \
             RETURNING id, file_info_id, priority, generation, attempts",
        )?;
        let mut jobs: Vec<Job> = statement
            .query_map(params![worker, now, lease_until, limit as i64], |row| {
                Ok(Job {
                    id: row.get(0)?,
                    file_info_id: row.get(1)?,
                    priority: row.get(2)?,
                    generation: row.get(3)?,
                    attempts: row.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        jobs.sort_by_key(|job| (-job.priority, job.id));
        Ok(jobs)
    }

    fn complete_job(&mut self, job: &Job, worker: &str) -> Result<JobOutcome> {
        let conn = self.conn();
        let deleted = conn
            .prepare_cached("DELETE FROM jobs WHERE id = ?1 AND claimed_by = ?2 AND generation = ?3")?
            .execute(params![job.id, worker, job.generation])?;
        if deleted == 1 {
            return Ok(JobOutcome::Done);
        }
        let released = conn
            .prepare_cached(
                "UPDATE jobs SET claimed_by = NULL, claimed_generation = NULL, lease_until = NULL, attempts = 0 \
                 WHERE id = ?1 AND claimed_by = ?2",
            )?
            .execute(params![job.id, worker])?;
        Ok(if released == 1 { JobOutcome::Requeued } else { JobOutcome::LostLease })
    }

    fn fail_job(&mut self, job: &Job, worker: &str, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
        let conn = self.conn();
        match retry_at {
            Some(at) => conn.execute(
                "UPDATE jobs SET claimed_by = NULL, claimed_generation = NULL, lease_until = NULL, run_after = ?3, \
                 last_error = ?4 WHERE id = ?1 AND claimed_by = ?2",
                params![job.id, worker, at, error],
            )?,
            None => conn.execute(
                "DELETE FROM jobs WHERE id = ?1 AND claimed_by = ?2 AND generation = ?3",
                params![job.id, worker, job.generation],
            )?,
        };
        Ok(())
    }

    fn renew_job_leases(&mut self, worker: &str, lease_until: Timestamp) -> Result<usize> {
        Ok(self
            .conn()
            .execute("UPDATE jobs SET lease_until = ?2 WHERE claimed_by = ?1", params![worker, lease_until])?)
    }

    fn release_jobs(&mut self, worker: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE jobs SET claimed_by = NULL, claimed_generation = NULL, lease_until = NULL WHERE claimed_by = ?1",
            [worker],
        )?;
        self.conn()
            .execute("UPDATE targets SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?1", [worker])?;
        Ok(())
    }

    fn active_workers(&mut self, now: Timestamp) -> Result<Vec<String>> {
        let mut statement = self.conn().prepare_cached(
            "SELECT claimed_by FROM jobs WHERE claimed_by IS NOT NULL AND lease_until >= ?1 \
             UNION SELECT claimed_by FROM targets WHERE claimed_by IS NOT NULL AND lease_until >= ?1",
        )?;
        let workers = statement.query_map([now], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(workers)
    }

    fn queue_summary(&mut self, now: Timestamp) -> Result<QueueSummary> {
        let conn = self.conn();
        let (queued, claimed, failing, oldest) = conn.query_row(
            "SELECT count(*), count(*) FILTER (WHERE lease_until >= ?1), count(*) FILTER (WHERE last_error IS NOT NULL), \
             min(queued_on) FROM jobs",
            [now],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        let mut statement =
            conn.prepare_cached("SELECT priority, count(*) FROM jobs GROUP BY priority ORDER BY priority DESC")?;
        let by_priority =
            statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(QueueSummary { queued, claimed, failing, oldest, by_priority })
    }

    fn ready_jobs(&mut self, now: Timestamp) -> Result<i64> {
        Ok(self
            .conn()
            .query_row(
                "SELECT count(*) FROM jobs WHERE run_after <= ?1 AND (lease_until IS NULL OR lease_until < ?1)",
                [now],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }
}
