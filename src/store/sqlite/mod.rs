//! The SQLite backend: one database file in WAL mode, so readers never wait
//! for the writer, shared safely by several `pressrun` processes.

mod content;
mod files;
mod queue;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{Backend, Result, StoreError, Tx, TxMode};

/// Schema migrations, applied in order; `PRAGMA user_version` records how
/// many have run.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_initial.sql")];

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct SqliteBackend {
    connection: Mutex<Connection>,
}

impl SqliteBackend {
    /// Opens the database at `path`, creating it if needed, and migrates it.
    pub fn open(path: &Path) -> Result<SqliteBackend> {
        let open_error = |source| StoreError::Open { path: path.to_path_buf(), source };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags).map_err(open_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        // FULL makes each commit durable: a job is only removed once its
        // removal, and the pending state written with it, are on disk.
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(open_error)?;
        migrate(&connection, path)?;
        Ok(SqliteBackend { connection: Mutex::new(connection) })
    }
}

fn migrate(connection: &Connection, path: &Path) -> Result<()> {
    let known = MIGRATIONS.len() as u32;
    let current: u32 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    if current > known {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found: current, known });
    }

    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as u32 + 1;
        let migrate_error = |source| StoreError::Migrate { path: PathBuf::from(path), version, source };
        connection.execute_batch("BEGIN IMMEDIATE").map_err(migrate_error)?;
        // Another process may have migrated while this one waited for the lock.
        let now_at: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(migrate_error)?;
        if now_at >= version {
            connection.execute_batch("COMMIT").map_err(migrate_error)?;
            continue;
        }
        let applied = connection
            .execute_batch(sql)
            .and_then(|()| connection.execute_batch(&format!("PRAGMA user_version = {version}")))
            .and_then(|()| connection.execute_batch("COMMIT"));
        if let Err(source) = applied {
            let _ = connection.execute_batch("ROLLBACK");
            return Err(migrate_error(source));
        }
    }
    Ok(())
}

impl Backend for SqliteBackend {
    fn begin(&self, mode: TxMode) -> Result<Box<dyn Tx + '_>> {
        let connection = self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let begin = match mode {
            TxMode::Read => "BEGIN DEFERRED",
            TxMode::Write => "BEGIN IMMEDIATE",
        };
        connection.execute_batch(begin)?;
        Ok(Box::new(SqliteTx { connection, open: true }))
    }
}

/// A transaction on the backend's connection; rolled back on drop unless
/// committed.
pub struct SqliteTx<'a> {
    connection: MutexGuard<'a, Connection>,
    open: bool,
}

impl SqliteTx<'_> {
    fn conn(&self) -> &Connection {
        &self.connection
    }
}

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.connection.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

/// Parses a stored enumeration name, turning an unknown one into
/// [`StoreError::Corrupt`].
fn parse_column<T: std::str::FromStr>(column: &'static str, value: String) -> Result<T> {
    value.parse().map_err(|_| StoreError::Corrupt { column, value })
}

/// Maps a unique-constraint failure to [`StoreError::Conflict`].
fn conflict(error: rusqlite::Error, what: impl FnOnce() -> String, by: impl FnOnce() -> String) -> StoreError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, _) if failure.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Conflict { what: what(), by: by() }
        }
        _ => StoreError::Sqlite(error),
    }
}
