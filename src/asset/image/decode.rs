//! Header reading with the pixel limit, and decoding of the first frame.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use super::jpeg_end::check_jpeg_complete;
use super::{ImageError, ImageFormat, Limits};

/// Bytes of decoder memory allowed per declared pixel, used for the `image` crate's own
/// allocation limit. The decoded buffer needs up to 8 bytes per pixel (16-bit RGBA),
/// and decoder working memory can need as much again (an estimate: a progressive JPEG
/// decoder, for example, keeps the DCT coefficients of every component until the last
/// scan).
const DECODER_BYTES_PER_PIXEL: u64 = 16;

/// Facts from the image header, read without decoding pixel data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    /// Width as stored, before the EXIF orientation is applied.
    pub stored_width: u32,
    /// Height as stored, before the EXIF orientation is applied.
    pub stored_height: u32,
    pub orientation: Orientation,
}

impl Header {
    /// Width and height as displayed, after the EXIF orientation is applied.
    pub fn displayed_dimensions(&self) -> (u32, u32) {
        if swaps_axes(self.orientation) {
            (self.stored_height, self.stored_width)
        } else {
            (self.stored_width, self.stored_height)
        }
    }
}

/// A decoded first frame in its stored orientation, with what is needed to display it.
pub(crate) struct Decoded {
    pub image: DynamicImage,
    pub header: Header,
    /// The embedded ICC colour profile, if any.
    pub icc_profile: Option<Vec<u8>>,
}

/// Returns whether the orientation turns the image by 90 or 270 degrees.
pub(crate) fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}

/// Reads the header of `bytes` and rejects it when it declares more pixels than
/// `limits.max_pixels`. Decodes no pixel data.
pub(crate) fn read_header(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Header, ImageError> {
    let (_, header) = open_decoder(bytes, format, limits)?;
    Ok(header)
}

/// Decodes the first frame of `bytes` after the checks of [`read_header`].
///
/// A JPEG must reach its end-of-image marker. The `image` crate's allocation limit
/// is set to [`DECODER_BYTES_PER_PIXEL`] times `limits.max_pixels` as a second guard
/// for decoders whose allocations the declared dimensions do not bound, such as a GIF
/// frame larger than its logical screen.
pub(crate) fn decode_first_frame(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Decoded, ImageError> {
    let (mut decoder, header) = open_decoder(bytes, format, limits)?;

    if format == ImageFormat::Jpeg {
        check_jpeg_complete(bytes).map_err(|message| ImageError::Corrupt { format, message: message.to_string() })?;
    }

    // A profile that cannot be read is dropped: the pixels are still usable.
    let icc_profile = decoder.icc_profile().ok().flatten();

    let mut budget = decoder_limits(limits);
    budget.reserve(decoder.total_bytes()).map_err(|error| ImageError::from_decoding(format, error))?;
    decoder.set_limits(budget).map_err(|error| ImageError::from_decoding(format, error))?;

    let image = DynamicImage::from_decoder(decoder).map_err(|error| ImageError::from_decoding(format, error))?;

    Ok(Decoded { image, header, icc_profile })
}

/// Opens a decoder with the allocation limit set, checks the declared pixel count and
/// reads the EXIF orientation.
fn open_decoder<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<(impl ImageDecoder + 'a, Header), ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image_crate());
    reader.limits(decoder_limits(limits));
    let mut decoder = reader.into_decoder().map_err(|error| ImageError::from_decoding(format, error))?;

    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt {
            format,
            message: format!("the header declares an empty {width}x{height} image"),
        });
    }

    let orientation = decoder.orientation().map_err(|error| ImageError::from_decoding(format, error))?;

    let header = Header { stored_width: width, stored_height: height, orientation };
    Ok((decoder, header))
}

/// Rejects dimensions whose product exceeds `limits.max_pixels`.
fn check_pixels(width: u32, height: u32, limits: &Limits) -> Result<(), ImageError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(ImageError::TooManyPixels { width, height, limit: limits.max_pixels });
    }
    Ok(())
}

/// Returns the `image` crate's decoder limits derived from ours.
pub(crate) fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(DECODER_BYTES_PER_PIXEL));
    decoder_limits
}
