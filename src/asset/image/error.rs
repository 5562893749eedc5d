//! Errors of image inspection and thumbnail generation.

use super::ImageFormat;

/// Failure to inspect an upload or to make its thumbnail.
///
/// Every variant depends only on the input bytes, the request and the limits, so a job
/// that fails with any of them fails the same way on a retry and should not be retried.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file is larger than `Limits::max_bytes`.
    #[error("file is {size} bytes, more than the limit of {limit} bytes (MaxUploadSize)")]
    TooLarge { size: u64, limit: u64 },

    /// The header declares more pixels than `Limits::max_pixels`. `width` and `height`
    /// are as stored, before the EXIF orientation. The check runs before any pixel data
    /// is decoded, so a decompression bomb is rejected here.
    #[error(
        "image is {width}x{height} pixels, more than the limit of {limit} pixels; \
         raise MaxImagePixels to accept it"
    )]
    TooManyPixels { width: u32, height: u32, limit: u64 },

    /// The content is not JPEG, PNG, GIF or WebP. `mime` is the sniffed type.
    #[error("unsupported format {mime}: thumbnails can be made from JPEG, PNG, GIF and WebP only")]
    UnsupportedFormat { mime: &'static str },

    /// The format is supported but this file uses a feature the decoder lacks, for
    /// example arithmetic-coded or 12-bit JPEG.
    #[error("unsupported {format} feature: {message}")]
    UnsupportedFeature { format: ImageFormat, message: String },

    /// The data is invalid or ends early. `message` is the decoder's own.
    #[error("corrupt or truncated {format} data: {message}")]
    Corrupt { format: ImageFormat, message: String },

    /// The decoder needed more memory than the limit derived from `Limits::max_pixels`,
    /// although the declared dimensions were within it.
    #[error("decoding the {format} image needs more memory than allowed: {message}")]
    MemoryLimit { format: ImageFormat, message: String },

    /// The thumbnail request itself is invalid, for example a zero width.
    #[error("invalid thumbnail request: {0}")]
    InvalidRequest(String),

    /// The encoder failed, for example GIF output wider than 65535 pixels.
    #[error("failed to encode the {format} thumbnail: {message}")]
    Encode { format: ImageFormat, message: String },
}

impl ImageError {
    /// Converts an error of the `image` crate raised while decoding `format`.
    pub(crate) fn from_decoding(format: ImageFormat, error: image::ImageError) -> ImageError {
        let message = error.to_string();
        match error {
            image::ImageError::Limits(_) => ImageError::MemoryLimit { format, message },
            image::ImageError::Unsupported(_) => ImageError::UnsupportedFeature { format, message },
            _ => ImageError::Corrupt { format, message },
        }
    }

    /// Converts an error of the `image` crate raised while encoding `format`.
    pub(crate) fn from_encoding(format: ImageFormat, error: image::ImageError) -> ImageError {
        ImageError::Encode { format, message: error.to_string() }
    }
}
