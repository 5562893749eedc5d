//! Where thumbnails go and which ones an asset has.

use super::image::{ImageFormat, fit_within, thumbnail_file_name};
use crate::store::{Asset, FileOwner};

/// The requested box of a thumbnail; 0 means "not constrained".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThumbnailSize {
    pub width: u32,
    pub height: u32,
}

impl ThumbnailSize {
    pub fn owner(self, asset_id: i64) -> FileOwner {
        FileOwner::Thumbnail { asset_id, width: self.width, height: self.height }
    }

    fn bound(value: u32) -> Option<u32> {
        (value > 0).then_some(value)
    }
}

/// The image format of an asset, from its stored MIME type.
pub fn asset_format(asset: &Asset) -> Option<ImageFormat> {
    ImageFormat::from_mime(&asset.mime)
}

/// The format a thumbnail of `asset` is written in.
pub fn output_format(asset: &Asset, configured: Option<ImageFormat>) -> Option<ImageFormat> {
    asset_format(asset).map(|source| configured.unwrap_or(source))
}

/// The pixel size a thumbnail comes out at: the box fitted to the asset's
/// displayed size, never larger than the asset. When the asset's size is
/// unknown (its header could not be read), the box itself.
pub fn output_size(asset: &Asset, size: ThumbnailSize) -> (u32, u32) {
    match (asset.width, asset.height) {
        (Some(width), Some(height)) if width > 0 && height > 0 => {
            fit_within(width, height, ThumbnailSize::bound(size.width), ThumbnailSize::bound(size.height))
        }
        _ => (size.width, size.height),
    }
}

/// The size that identifies a thumbnail of `asset` asked for with the box
/// `size`: the pixel size it comes out at when the asset's size is known,
/// so that two boxes giving the same image (say 120 and 480 wide for a
/// 100-pixel image) share one file.
pub fn normalized(asset: &Asset, size: ThumbnailSize) -> ThumbnailSize {
    match (asset.width, asset.height) {
        (Some(width), Some(height)) if width > 0 && height > 0 => {
            let (width, height) = output_size(asset, size);
            ThumbnailSize { width, height }
        }
        _ => size,
    }
}

/// The site path of a thumbnail: beside the asset, named
/// `<stem>-thumb-<width>x<height>.<ext>`. `None` when the asset is not an
/// image pressrun can read.
pub fn thumbnail_path(asset: &Asset, size: ThumbnailSize, configured: Option<ImageFormat>) -> Option<String> {
    let format = output_format(asset, configured)?;
    let (width, height) = output_size(asset, size);
    let name = thumbnail_file_name(&asset.name_on_disk(), width, height, format.extension());
    Some(match asset.path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name,
    })
}

impl Asset {
    /// The file name part of the asset's path.
    pub fn name_on_disk(&self) -> String {
        self.path.rsplit('/').next().unwrap_or(&self.path).to_string()
    }
}
