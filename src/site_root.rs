//! The site root: the directory every published file is written into, and
//! the only place pressrun writes site files.
//!
//! Paths inside it are [`RelPath`]s, checked when they are made, so that a
//! path built from content (a basename, an upload name) can never escape the
//! site root. Files are written atomically: a temporary file in the same
//! directory is renamed over the target, so a reader or a crash never sees a
//! torn file.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The suffix of temporary files; a file with it is never published.
pub const TEMP_SUFFIX: &str = ".pressrun-tmp";

/// A relative path under the site root, with `/` separators.
///
/// It is never empty, never absolute, and no part of it is empty, `.`, `..`
/// or contains a NUL byte. Any other byte sequence that is valid UTF-8 is
/// kept as it is, spaces, newlines and wildcard characters included.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RelPathError {
    #[error("path is empty")]
    Empty,
    #[error("path {0:?} is absolute; paths under the site root are relative")]
    Absolute(String),
    #[error("path {0:?} has an empty, '.' or '..' part")]
    BadPart(String),
    #[error("path {0:?} contains a NUL byte")]
    Nul(String),
}

impl RelPath {
    /// Checks `path` and wraps it.
    pub fn new(path: impl Into<String>) -> Result<RelPath, RelPathError> {
        let path = path.into();
        if path.is_empty() {
            return Err(RelPathError::Empty);
        }
        if path.starts_with('/') {
            return Err(RelPathError::Absolute(path));
        }
        if path.contains('\0') {
            return Err(RelPathError::Nul(path));
        }
        if path.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
            return Err(RelPathError::BadPart(path));
        }
        Ok(RelPath(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The directory part, or `None` for a file at the top of the site root.
    pub fn parent(&self) -> Option<RelPath> {
        self.0.rsplit_once('/').map(|(parent, _)| RelPath(parent.to_string()))
    }

    /// The last part of the path.
    pub fn file_name(&self) -> &str {
        self.0.rsplit_once('/').map_or(self.0.as_str(), |(_, name)| name)
    }

    /// Appends one or more parts; `tail` is checked as a relative path.
    pub fn join(&self, tail: &str) -> Result<RelPath, RelPathError> {
        RelPath::new(format!("{}/{tail}", self.0))
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An I/O error with the path it happened on.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}")]
pub struct SiteIoError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SiteIoError + 'a {
    move |source| SiteIoError { action, path: path.to_path_buf(), source }
}

/// The outcome of [`SiteRoot::remove`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removal {
    /// Whether a file was there to remove.
    pub removed_file: bool,
    /// Directories that became empty and were removed, deepest first.
    pub removed_dirs: Vec<RelPath>,
}

/// The site root directory.
#[derive(Clone, Debug)]
pub struct SiteRoot {
    root: PathBuf,
}

impl SiteRoot {
    pub fn new(root: impl Into<PathBuf>) -> SiteRoot {
        SiteRoot { root: root.into() }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `rel`.
    pub fn absolute(&self, rel: &RelPath) -> PathBuf {
        self.root.join(rel.as_str())
    }

    /// Creates the site root if it is missing.
    pub fn create(&self) -> Result<(), SiteIoError> {
        fs::create_dir_all(&self.root).map_err(io_error("cannot create site root", &self.root))
    }

    /// Reads a file, or returns `None` when there is none.
    pub fn read(&self, rel: &RelPath) -> Result<Option<Vec<u8>>, SiteIoError> {
        let path = self.absolute(rel);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) if error.kind() == io::ErrorKind::IsADirectory => Ok(None),
            Err(source) => Err(SiteIoError { action: "cannot read", path, source }),
        }
    }

    /// Writes `bytes` to `rel` atomically: into a temporary file in the same
    /// directory, which is then renamed over `rel`.
    ///
    /// The data is not flushed to disk here; callers make a batch durable
    /// with one [`SiteRoot::sync_filesystem`] call.
    pub fn write_atomic(&self, rel: &RelPath, bytes: &[u8]) -> Result<(), SiteIoError> {
        let path = self.absolute(rel);
        self.create_parents(rel)?;

        // A temporary name of its own (created exclusively) keeps two
        // processes that write the same file from mixing their bytes.
        let dir = path.parent().expect("a site path has a parent");
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}.{}-", std::process::id()))
            .suffix(TEMP_SUFFIX)
            .permissions(std::fs::Permissions::from_mode(0o644))
            .tempfile_in(dir)
            .map_err(io_error("cannot create a temporary file in", dir))?;
        temp.write_all(bytes).map_err(io_error("cannot write", temp.path()))?;

        if fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_dir()) {
            return Err(SiteIoError {
                action: "cannot replace directory",
                path,
                source: io::Error::from(io::ErrorKind::IsADirectory),
            });
        }
        temp.persist(&path).map_err(|error| SiteIoError {
            action: "cannot rename into place",
            path,
            source: error.error,
        })?;
        Ok(())
    }

    /// Creates the parent directories of `rel`, refusing to pass through a
    /// symbolic link so that a link planted in the site root cannot redirect
    /// writes outside it.
    fn create_parents(&self, rel: &RelPath) -> Result<(), SiteIoError> {
        let Some(parent) = rel.parent() else {
            return Ok(());
        };
        let mut dir = self.root.clone();
        for part in parent.as_str().split('/') {
            dir.push(part);
            match fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => continue,
                Ok(_) => {
                    return Err(SiteIoError {
                        action: "cannot create directory (a file or link is in the way)",
                        path: dir,
                        source: io::Error::from(io::ErrorKind::AlreadyExists),
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => match fs::create_dir(&dir) {
                    Ok(()) => {}
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(source) => return Err(SiteIoError { action: "cannot create directory", path: dir, source }),
                },
                Err(source) => return Err(SiteIoError { action: "cannot inspect", path: dir, source }),
            }
        }
        Ok(())
    }

    /// Removes the file at `rel` if there is one, then every parent
    /// directory that is left empty, up to (not including) the site root.
    pub fn remove(&self, rel: &RelPath) -> Result<Removal, SiteIoError> {
        let path = self.absolute(rel);
        let removed_file = match fs::remove_file(&path) {
            Ok(()) => true,
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(source) => return Err(SiteIoError { action: "cannot remove", path, source }),
        };

        let mut removed_dirs = Vec::new();
        let mut current = rel.parent();
        while let Some(dir) = current {
            match fs::remove_dir(self.absolute(&dir)) {
                Ok(()) => removed_dirs.push(dir.clone()),
                Err(_) => break,
            }
            current = dir.parent();
        }
        Ok(Removal { removed_file, removed_dirs })
    }

    /// Flushes every written file of the site root's filesystem to disk
    /// with one `syncfs(2)` call per batch instead of one `fsync` per file.
    pub fn sync_filesystem(&self) -> Result<(), SiteIoError> {
        let dir = File::open(&self.root).map_err(io_error("cannot open", &self.root))?;
        // SAFETY: `dir` is an open file descriptor for the whole call.
        let status = unsafe { libc::syncfs(dir.as_raw_fd()) };
        if status != 0 {
            return Err(SiteIoError {
                action: "cannot sync filesystem of",
                path: self.root.clone(),
                source: io::Error::last_os_error(),
            });
        }
        Ok(())
    }

    /// Removes temporary files left by a process that crashed mid-write:
    /// those whose writer (named in the file name) no longer runs, and any
    /// older than `min_age`. Younger files of a running writer are left
    /// alone, since that process may be writing them right now.
    pub fn remove_stale_temp_files(&self, min_age: Duration) -> Result<usize, SiteIoError> {
        let mut removed = 0;
        let mut dirs = vec![self.root.clone()];
        while let Some(dir) = dirs.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(SiteIoError { action: "cannot list", path: dir, source }),
            };
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else { continue };
                let path = entry.path();
                if kind.is_dir() {
                    dirs.push(path);
                } else if kind.is_file() && is_stale_temp(&path, min_age) && fs::remove_file(&path).is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

fn is_stale_temp(path: &Path, min_age: Duration) -> bool {
    // The name is checked first: reading metadata for every file of a large
    // site root would cost more than the walk itself.
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else { return false };
    let Some(stem) = name.strip_suffix(TEMP_SUFFIX) else { return false };
    if writer_is_gone(stem) {
        return true;
    }
    let age = fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok());
    age.is_some_and(|age| age >= min_age)
}

/// Whether the process that created a temporary file (its name is
/// `.NAME.PID-RANDOM`) no longer runs on this machine.
fn writer_is_gone(stem: &str) -> bool {
    let writer = stem.rsplit('.').next().and_then(|part| part.split('-').next());
    match writer.and_then(|pid| pid.parse::<u32>().ok()) {
        Some(pid) => pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_path_rejects_escapes() {
        assert!(RelPath::new("a/b.html").is_ok());
        assert!(RelPath::new("line\nbreak.jpg").is_ok());
        assert_eq!(RelPath::new("/etc/passwd"), Err(RelPathError::Absolute("/etc/passwd".into())));
        assert!(matches!(RelPath::new("a/../../b"), Err(RelPathError::BadPart(_))));
        assert!(matches!(RelPath::new("a//b"), Err(RelPathError::BadPart(_))));
        assert!(matches!(RelPath::new("a/"), Err(RelPathError::BadPart(_))));
        assert!(matches!(RelPath::new("a\0b"), Err(RelPathError::Nul(_))));
    }

    #[test]
    fn atomic_write_then_remove_prunes_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let root = SiteRoot::new(dir.path());
        let rel = RelPath::new("news/2024/05/a.html").unwrap();
        root.write_atomic(&rel, b"one").unwrap();
        root.write_atomic(&rel, b"two").unwrap();
        assert_eq!(root.read(&rel).unwrap().as_deref(), Some(&b"two"[..]));
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("news/2024/05")).unwrap().flatten().collect();
        assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
        let mode = fs::metadata(dir.path().join("news/2024/05/a.html")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);

        let removal = root.remove(&rel).unwrap();
        assert!(removal.removed_file);
        assert_eq!(removal.removed_dirs.len(), 3);
        assert!(!dir.path().join("news").exists());
        assert!(!root.remove(&rel).unwrap().removed_file);
    }

    #[test]
    fn write_refuses_symlinked_directory() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("evil")).unwrap();
        let root = SiteRoot::new(dir.path());
        let error = root.write_atomic(&RelPath::new("evil/x.html").unwrap(), b"x").unwrap_err();
        assert!(error.to_string().contains("evil"), "{error}");
        assert!(!outside.path().join("x.html").exists());
    }

    #[test]
    fn temp_files_of_dead_writers_are_removed_at_once() {
        let dir = tempfile::tempdir().unwrap();
        // No process has id 0x7fffffff on Linux (the largest pid is lower).
        fs::write(dir.path().join(".x.html.2147483647-abc123.pressrun-tmp"), b"torn").unwrap();
        fs::write(dir.path().join(format!(".y.html.{}-abc123.pressrun-tmp", std::process::id())), b"mine").unwrap();
        let removed = SiteRoot::new(dir.path()).remove_stale_temp_files(Duration::from_secs(3600)).unwrap();
        assert_eq!(removed, 1);
    }

    #[test]
    fn stale_temp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        fs::write(dir.path().join("a/.x.html.pressrun-tmp"), b"torn").unwrap();
        fs::write(dir.path().join("a/x.html"), b"whole").unwrap();
        let removed = SiteRoot::new(dir.path()).remove_stale_temp_files(Duration::ZERO).unwrap();
        assert_eq!(removed, 1);
        assert!(dir.path().join("a/x.html").exists());
    }
}
