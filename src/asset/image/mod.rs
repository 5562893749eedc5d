//! Image inspection and thumbnails for uploaded files.
//!
//! [`inspect`] reports what an upload is, reading only the header of an image.
//! [`make_thumbnail`] decodes the first frame, applies the EXIF orientation, scales it
//! to fit a box and encodes it. Both check [`Limits`] before decoding any pixels.
//! Invalid input gives an [`ImageError`], and the tests feed truncated, corrupted and
//! random data to both to check that they do not panic.
//!
//! The decoders are those of the `image` crate 0.25: JPEG (baseline, progressive, CMYK
//! converted to RGB), PNG (16-bit, paletted with `tRNS`, interlaced), GIF and WebP (lossy
//! and lossless). Animated GIF and WebP give their first frame.
//!
//! NOTE: for APNG, `inspect` reads the `acTL` frame count and a thumbnail shows the
//! default image, but no real APNG file has been tried.

mod decode;
mod encode;
mod error;
mod file_name;
mod format;
mod frames;
mod jpeg_end;
mod resize;

pub use encode::JPEG_QUALITY;
pub use error::ImageError;
pub use file_name::thumbnail_file_name;
pub use format::ImageFormat;
pub use resize::{RESAMPLING_FILTER, fit_within};

use super::sniff::sniff_mime;

/// Size limits applied before any pixel data is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum file size in bytes.
    pub max_bytes: u64,
    /// Maximum width times height as declared in the header, in pixels. The decoded
    /// buffer takes 3 or 4 bytes per pixel (8 for 16-bit RGBA), so this bounds the
    /// memory of one decode. The `image` crate's allocation limit is set to 16 bytes
    /// per pixel of this value.
    pub max_pixels: u64,
}

impl Limits {
    /// 50 MiB: camera and phone JPEGs fit (an estimate: a 48-megapixel photo is some 10
    /// to 25 MB), while unreasonable uploads are rejected unread.
    pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

    /// 50 megapixels: admits 48-megapixel phone photos (8064x6048) and 45-megapixel
    /// cameras. The decoded buffer of such a photo takes 146 MB as 8-bit RGB.
    pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: Limits::DEFAULT_MAX_BYTES, max_pixels: Limits::DEFAULT_MAX_PIXELS }
    }
}

/// The result of [`inspect`]: an image's header facts, or the MIME type of another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// A JPEG, PNG, GIF or WebP image whose header was read.
    Image(ImageInfo),
    /// Any other file, with the MIME type sniffed from its content. This includes image
    /// formats that cannot be decoded here, such as `image/svg+xml` or `image/heif`.
    Other { mime: &'static str },
}

impl FileKind {
    /// Returns the MIME type sniffed from the content.
    pub fn mime(&self) -> &'static str {
        match self {
            FileKind::Image(info) => info.format.mime(),
            FileKind::Other { mime } => mime,
        }
    }
}

/// Header facts of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: ImageFormat,
    /// Width in pixels as displayed, after the EXIF orientation is applied.
    pub width: u32,
    /// Height in pixels as displayed, after the EXIF orientation is applied.
    pub height: u32,
    /// EXIF orientation from 1 to 8. It is 1 when the file has none.
    pub orientation: u8,
    /// Frames in the animation, or 1 for a still image. For APNG this is the `acTL`
    /// frame count. It comes from the container structure, so frames that fail to
    /// decode are still counted.
    pub frame_count: u32,
}

impl ImageInfo {
    /// Returns whether the image has more than one frame.
    pub fn is_animated(&self) -> bool {
        self.frame_count > 1
    }
}

/// The size and format of a thumbnail to make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThumbnailRequest {
    /// Maximum width in pixels, or `None` for no bound.
    pub width: Option<u32>,
    /// Maximum height in pixels, or `None` for no bound.
    pub height: Option<u32>,
    /// Output format, or `None` to keep the source format.
    pub format: Option<ImageFormat>,
}

/// An encoded thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    pub format: ImageFormat,
    /// The MIME type of `format`.
    pub mime: &'static str,
}

/// Reports the MIME type of any file and, for an image, its format, displayed
/// dimensions, EXIF orientation and frame count.
///
/// Reads only headers and container structure and decodes no pixel data, so a file
/// with corrupt or truncated pixel data can pass here and fail in [`make_thumbnail`].
///
/// # Errors
///
/// [`ImageError::TooLarge`] when the file exceeds `limits.max_bytes`, whatever its type.
/// For content that starts like JPEG, PNG, GIF or WebP: [`ImageError::TooManyPixels`]
/// above `limits.max_pixels`, and [`ImageError::Corrupt`] or
/// [`ImageError::UnsupportedFeature`] when the header cannot be read. Any other content
/// within `limits.max_bytes` gives `Ok(FileKind::Other)`.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<FileKind, ImageError> {
    check_file_size(bytes, limits)?;

    let format = match detect_format(bytes)? {
        Ok(format) => format,
        Err(mime) => return Ok(FileKind::Other { mime }),
    };

    let header = decode::read_header(bytes, format, limits)?;
    let frame_count = frames::count_frames(bytes, format)?;

    let (width, height) = header.displayed_dimensions();
    Ok(FileKind::Image(ImageInfo { format, width, height, orientation: header.orientation.to_exif(), frame_count }))
}

/// Makes a thumbnail of the first frame that fits in the requested box.
///
/// The EXIF orientation is applied, so the box bounds the displayed dimensions. The
/// aspect ratio is kept and the image is never upscaled: a box larger than the image
/// gives the image at its own size, re-encoded. The output format is
/// `request.format`, or the source format when that is `None`. The same input, request
/// and limits always give the same bytes.
///
/// # Errors
///
/// [`ImageError::InvalidRequest`] for a zero width or height,
/// [`ImageError::UnsupportedFormat`] for content that is not JPEG, PNG, GIF or WebP, and
/// any other [`ImageError`] variant as documented there. A JPEG that ends before its
/// end-of-image marker gives [`ImageError::Corrupt`] rather than a partial thumbnail.
pub fn make_thumbnail(bytes: &[u8], request: ThumbnailRequest, limits: &Limits) -> Result<Thumbnail, ImageError> {
    check_file_size(bytes, limits)?;
    check_request(&request)?;

    let format = detect_format(bytes)?.map_err(|mime| ImageError::UnsupportedFormat { mime })?;
    let decoded = decode::decode_first_frame(bytes, format, limits)?;

    let (displayed_width, displayed_height) = decoded.header.displayed_dimensions();
    let (width, height) = fit_within(displayed_width, displayed_height, request.width, request.height);
    let pixels = resize::resize_and_orient(decoded.image, decoded.header.orientation, width, height);

    let output_format = request.format.unwrap_or(format);
    let encoded = encode::encode(&pixels, output_format, decoded.icc_profile.as_deref())?;

    Ok(Thumbnail { bytes: encoded, width, height, format: output_format, mime: output_format.mime() })
}

/// Returns the image format of `bytes`, or the sniffed MIME type of a file that is not
/// a JPEG, PNG, GIF or WebP image.
///
/// The `image` crate checks more signature bytes than `infer`, for example all of
/// `GIF89a` where `infer` accepts `GIF8`. Content that `infer` takes for one of the four
/// formats but `image` rejects is reported as corrupt, not as another file type.
fn detect_format(bytes: &[u8]) -> Result<Result<ImageFormat, &'static str>, ImageError> {
    if let Some(format) = ImageFormat::from_content(bytes) {
        return Ok(Ok(format));
    }

    let mime = sniff_mime(bytes);
    match ImageFormat::from_mime(mime) {
        Some(format) => Err(ImageError::Corrupt {
            format,
            message: format!("the file starts like {format} but its signature is invalid"),
        }),
        None => Ok(Err(mime)),
    }
}

fn check_file_size(bytes: &[u8], limits: &Limits) -> Result<(), ImageError> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(ImageError::TooLarge { size, limit: limits.max_bytes });
    }
    Ok(())
}

fn check_request(request: &ThumbnailRequest) -> Result<(), ImageError> {
    if request.width == Some(0) || request.height == Some(0) {
        return Err(ImageError::InvalidRequest(format!(
            "width and height must be at least 1 pixel, got {:?} x {:?}",
            request.width, request.height
        )));
    }
    Ok(())
}
