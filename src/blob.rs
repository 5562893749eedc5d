//! The blob store: uploaded files kept by the BLAKE3 digest of their bytes,
//! outside the site root, so the site root can always be rebuilt from the
//! store and the blobs.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{action} {path}")]
pub struct BlobError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// A directory of blobs named by digest, two levels deep (`ab/cdef…`).
#[derive(Clone, Debug)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The BLAKE3 hex digest that names `bytes`.
    pub fn digest(bytes: &[u8]) -> String {
        blake3::hash(bytes).to_hex().to_string()
    }

    fn path_of(&self, digest: &str) -> PathBuf {
        let (head, tail) = digest.split_at(digest.len().min(2));
        self.dir.join(head).join(tail)
    }

    /// Stores `bytes` durably (written, flushed and renamed into place) and
    /// returns their digest. Storing bytes that are already there is cheap.
    pub fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let digest = BlobStore::digest(bytes);
        let path = self.path_of(&digest);
        if path.exists() {
            return Ok(digest);
        }
        let error = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| BlobError { action, path, source }
        };
        let parent = path.parent().expect("blob paths have a parent");
        fs::create_dir_all(parent).map_err(error("cannot create", parent))?;
        let mut temp = tempfile::NamedTempFile::new_in(parent).map_err(error("cannot create a file in", parent))?;
        temp.write_all(bytes).map_err(error("cannot write", temp.path()))?;
        temp.as_file().sync_all().map_err(error("cannot flush", &path))?;
        temp.persist(&path).map_err(|persist| BlobError {
            action: "cannot store",
            path: path.clone(),
            source: persist.error,
        })?;
        File::open(parent).and_then(|dir| dir.sync_all()).map_err(error("cannot flush", parent))?;
        Ok(digest)
    }

    /// Reads the blob named `digest`.
    pub fn read(&self, digest: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path_of(digest);
        fs::read(&path).map_err(|source| BlobError { action: "cannot read blob", path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        let digest = blobs.put(b"hello").unwrap();
        assert_eq!(blobs.put(b"hello").unwrap(), digest);
        assert_eq!(blobs.read(&digest).unwrap(), b"hello");
        assert!(blobs.read("00ff").is_err());
    }
}
