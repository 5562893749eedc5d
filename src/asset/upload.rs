//! Storing an uploaded file: its bytes go to the blob store, its record to
//! the store, and the change queues its file and thumbnails.

use std::fs;
use std::path::{Path, PathBuf};

use super::image::{self, FileKind, ImageError, Limits};
use super::names;
use super::thumbnails::ThumbnailSize;
use crate::blob::{BlobError, BlobStore};
use crate::change::{ChangeSet, keys};
use crate::model::{EntryId, Timestamp};
use crate::store::{Asset, StoreError, Tx};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path} has {size} bytes, more than the upload limit of {limit} (MaxUploadSize)")]
    TooLarge { path: PathBuf, size: u64, limit: u64 },
    #[error("{path} is rejected: {error}")]
    Image { path: PathBuf, error: ImageError },
    #[error("invalid folder {folder:?}: {message}")]
    Folder { folder: String, message: String },
    #[error("no asset with id or path {0:?}")]
    NoSuchAsset(String),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl UploadError {
    /// Whether the error comes from the input rather than the system.
    pub fn is_input(&self) -> bool {
        !matches!(self, UploadError::Blob(_) | UploadError::Store(_) | UploadError::Read { .. })
    }
}

/// A file read and inspected, ready to store.
#[derive(Debug)]
pub struct Prepared {
    pub source: PathBuf,
    pub name: String,
    pub bytes: Vec<u8>,
    pub mime: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// A problem that did not stop the upload, such as an image header that
    /// could not be read: the file is stored, its thumbnails will fail.
    pub warning: Option<String>,
}

/// Reads and checks one file. The size limit is checked before reading and
/// the pixel limit before decoding, so an oversized file or a
/// decompression bomb is rejected without using its size in memory.
pub fn prepare(path: &Path, limits: &Limits) -> Result<Prepared, UploadError> {
    let metadata = fs::metadata(path).map_err(|source| UploadError::Read { path: path.to_path_buf(), source })?;
    if !metadata.is_file() {
        return Err(UploadError::NotAFile { path: path.to_path_buf() });
    }
    if metadata.len() > limits.max_bytes {
        return Err(UploadError::TooLarge { path: path.to_path_buf(), size: metadata.len(), limit: limits.max_bytes });
    }
    let bytes = fs::read(path).map_err(|source| UploadError::Read { path: path.to_path_buf(), source })?;
    let name = names::safe_name(path.file_name().unwrap_or_default());

    let (mime, width, height, warning) = match image::inspect(&bytes, limits) {
        Ok(FileKind::Image(info)) => (info.format.mime().to_string(), Some(info.width), Some(info.height), None),
        Ok(FileKind::Other { mime }) => (mime.to_string(), None, None, None),
        Err(
            error @ (ImageError::TooLarge { .. } | ImageError::TooManyPixels { .. } | ImageError::MemoryLimit { .. }),
        ) => {
            return Err(UploadError::Image { path: path.to_path_buf(), error });
        }
        Err(error) => {
            let mime = super::sniff::sniff_mime(&bytes).to_string();
            let warning = format!("{}: {error}; the file is stored, but its thumbnails cannot be made", path.display());
            (mime, None, None, Some(warning))
        }
    };
    Ok(Prepared { source: path.to_path_buf(), name, bytes, mime, width, height, warning })
}

/// Where an upload goes.
#[derive(Clone, Debug, Default)]
pub struct Destination {
    /// Folder under the site root; [`names::DEFAULT_FOLDER`] when `None`.
    pub folder: Option<String>,
    /// Attach the bytes to this existing asset (id or path) instead of
    /// making a new one, as for an imported record known only by URL.
    pub replace: Option<String>,
    /// The entry the asset belongs to.
    pub entry: Option<EntryId>,
}

/// What happened to one upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    New {
        id: i64,
        path: String,
    },
    Replaced {
        id: i64,
        path: String,
    },
    /// The same bytes were already there under that name.
    Unchanged {
        id: i64,
        path: String,
    },
}

/// Stores one prepared upload in the caller's transaction and records what
/// the change touched. The blob is written durably before the record.
pub fn store(
    tx: &mut dyn Tx,
    blobs: &BlobStore,
    prepared: &Prepared,
    destination: &Destination,
    change: &mut ChangeSet,
    now: Timestamp,
) -> Result<Stored, UploadError> {
    let hash = blobs.put(&prepared.bytes)?;
    if let Some(key) = &destination.replace {
        let mut asset = find_asset(tx, key)?;
        let unchanged = asset.hash.as_deref() == Some(hash.as_str());
        fill(&mut asset, prepared, &hash);
        asset.entry_id = destination.entry.or(asset.entry_id);
        tx.update_asset(&asset)?;
        touch_asset(change, &asset);
        let path = asset.path.clone();
        return Ok(if unchanged {
            Stored::Unchanged { id: asset.id, path }
        } else {
            Stored::Replaced { id: asset.id, path }
        });
    }

    let raw_folder = destination.folder.as_deref().unwrap_or(names::DEFAULT_FOLDER);
    let folder = names::folder(raw_folder)
        .map_err(|e| UploadError::Folder { folder: raw_folder.to_string(), message: e.to_string() })?;
    let wanted = names::join(&folder, &prepared.name);
    if let Some(existing) = tx.asset_by_path(&wanted)? {
        if existing.hash.as_deref() == Some(hash.as_str()) {
            return Ok(Stored::Unchanged { id: existing.id, path: existing.path });
        }
    }
    let path = unique_asset_path(tx, &wanted)?;
    let mut asset = Asset {
        id: 0,
        name: prepared.name.clone(),
        path: path.clone(),
        mime: String::new(),
        size: 0,
        width: None,
        height: None,
        hash: None,
        source_url: None,
        entry_id: destination.entry,
        created_on: now,
    };
    fill(&mut asset, prepared, &hash);
    asset.id = tx.insert_asset(&asset, None)?;
    touch_asset(change, &asset);
    Ok(Stored::New { id: asset.id, path })
}

fn fill(asset: &mut Asset, prepared: &Prepared, hash: &str) {
    asset.mime = prepared.mime.clone();
    asset.size = prepared.bytes.len() as i64;
    asset.width = prepared.width;
    asset.height = prepared.height;
    asset.hash = Some(hash.to_string());
}

/// A path no other asset and no other file uses.
fn unique_asset_path(tx: &mut dyn Tx, wanted: &str) -> Result<String, StoreError> {
    let mut error = None;
    let path = names::unique_path(wanted, |candidate| {
        let taken = tx
            .asset_by_path(candidate)
            .map(|a| a.is_some())
            .and_then(|asset| Ok(asset || tx.file_info_by_path(candidate)?.is_some()));
        taken.unwrap_or_else(|e| {
            error = Some(e);
            false
        })
    });
    match error {
        Some(error) => Err(error),
        None => Ok(path),
    }
}

/// Finds an asset by id or by its path under the site root.
pub fn find_asset(tx: &mut dyn Tx, key: &str) -> Result<Asset, UploadError> {
    let by_id = match key.parse::<i64>() {
        Ok(id) => tx.asset(id)?,
        Err(_) => None,
    };
    match by_id {
        Some(asset) => Ok(asset),
        None => tx.asset_by_path(key.trim_start_matches('/'))?.ok_or_else(|| UploadError::NoSuchAsset(key.to_string())),
    }
}

/// Records that an asset changed: pages that show it or a thumbnail of it,
/// and the list of its entry's assets.
pub fn touch_asset(change: &mut ChangeSet, asset: &Asset) {
    change.touch_whole(keys::asset(asset.id));
    if let Some(entry_id) = asset.entry_id {
        change.touch_whole(keys::entry_assets(entry_id));
    }
}

/// The thumbnail sizes configured to be made for every image.
pub fn configured_sizes(widths: &[u32]) -> Vec<ThumbnailSize> {
    widths.iter().map(|&width| ThumbnailSize { width, height: 0 }).collect()
}
