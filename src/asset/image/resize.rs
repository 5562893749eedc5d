//! Thumbnail sizing and resampling.

use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, Rgba, RgbaImage};

use super::decode::swaps_axes;

/// The resampling filter. Lanczos3 keeps downscaled photos and text sharp with little
/// ringing. It reads 6 source pixels per output pixel and axis, scaled by the reduction
/// factor, where CatmullRom reads 4. With it, `examples/thumbnail_bench.rs` makes about
/// 30 thumbnails per second of an 1800x1200 JPEG on one core of a 2-core x86-64 VM.
pub const RESAMPLING_FILTER: FilterType = FilterType::Lanczos3;

/// Returns the largest size with the aspect ratio of `width` x `height` that fits in the
/// box and is no larger than the source, so an image is never upscaled.
///
/// A missing box side is unbounded. Sides are rounded to the nearest pixel and are at
/// least 1. The caller rejects a zero box side before calling.
pub fn fit_within(width: u32, height: u32, max_width: Option<u32>, max_height: Option<u32>) -> (u32, u32) {
    let box_width = u64::from(max_width.unwrap_or(width).min(width));
    let box_height = u64::from(max_height.unwrap_or(height).min(height));
    let (width, height) = (u64::from(width), u64::from(height));

    // Compare box_width / width with box_height / height without division.
    let (fitted_width, fitted_height) = if box_width * height <= box_height * width {
        (box_width, rounded_ratio(height * box_width, width))
    } else {
        (rounded_ratio(width * box_height, height), box_height)
    };

    // Each side is at most the source side, so the narrowing is lossless.
    (fitted_width.max(1) as u32, fitted_height.max(1) as u32)
}

/// Returns `numerator / denominator` rounded half up. The sum is formed in `u128`
/// because the numerator can be close to `u64::MAX`.
fn rounded_ratio(numerator: u64, denominator: u64) -> u64 {
    let (numerator, denominator) = (u128::from(numerator), u128::from(denominator));
    ((2 * numerator + denominator) / (2 * denominator)) as u64
}

/// Resizes a stored-orientation image so that, once `orientation` is applied, it is
/// `width` x `height`, then applies the orientation.
///
/// Resizing before rotating keeps the rotation cheap because it works on the small
/// result. The output has 8 bits per channel: grey, RGB or RGBA as the source.
pub(crate) fn resize_and_orient(
    image: DynamicImage,
    orientation: Orientation,
    width: u32,
    height: u32,
) -> DynamicImage {
    let (stored_width, stored_height) = if swaps_axes(orientation) { (height, width) } else { (width, height) };

    let mut resized = resize_8bit(to_8bit(image), stored_width, stored_height);
    resized.apply_orientation(orientation);
    resized
}

/// Converts to 8 bits per channel, keeping alpha if the source has an alpha channel and
/// grey if the source is grey without alpha.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    let color = image.color();
    if color.has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else if color.has_color() {
        DynamicImage::ImageRgb8(image.into_rgb8())
    } else {
        DynamicImage::ImageLuma8(image.into_luma8())
    }
}

fn resize_8bit(image: DynamicImage, width: u32, height: u32) -> DynamicImage {
    if (image.width(), image.height()) == (width, height) {
        return image;
    }

    match image {
        DynamicImage::ImageRgba8(buffer) if !is_opaque(&buffer) => {
            DynamicImage::ImageRgba8(resize_premultiplied(buffer, width, height))
        }
        other => other.resize_exact(width, height, RESAMPLING_FILTER),
    }
}

fn is_opaque(buffer: &RgbaImage) -> bool {
    buffer.pixels().all(|pixel| pixel[3] == u8::MAX)
}

/// Resizes with premultiplied alpha.
///
/// `imageops::resize` (image 0.25) filters each channel on its own, so colours of fully
/// transparent pixels would bleed into visible edges. Premultiplying in place costs no
/// extra memory. It quantises the colour of nearly transparent pixels, which barely
/// shows because those pixels are nearly invisible.
fn resize_premultiplied(mut buffer: RgbaImage, width: u32, height: u32) -> RgbaImage {
    buffer.pixels_mut().for_each(premultiply);
    let mut resized = imageops::resize(&buffer, width, height, RESAMPLING_FILTER);
    resized.pixels_mut().for_each(unpremultiply);
    resized
}

fn premultiply(pixel: &mut Rgba<u8>) {
    let alpha = u32::from(pixel[3]);
    for channel in &mut pixel.0[..3] {
        *channel = ((u32::from(*channel) * alpha + 127) / 255) as u8;
    }
}

fn unpremultiply(pixel: &mut Rgba<u8>) {
    let alpha = u32::from(pixel[3]);
    if alpha == 0 {
        *pixel = Rgba([0, 0, 0, 0]);
        return;
    }

    // Lanczos ringing can leave a colour above its alpha, so clamp.
    for channel in &mut pixel.0[..3] {
        *channel = ((u32::from(*channel) * 255 + alpha / 2) / alpha).min(255) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_width_only() {
        assert_eq!(fit_within(1800, 1200, Some(120), None), (120, 80));
        assert_eq!(fit_within(1200, 1800, Some(120), None), (120, 180));
    }

    #[test]
    fn fit_height_only() {
        assert_eq!(fit_within(1800, 1200, None, Some(100)), (150, 100));
    }

    #[test]
    fn fit_box_picks_binding_side() {
        assert_eq!(fit_within(1800, 1200, Some(120), Some(120)), (120, 80));
        assert_eq!(fit_within(1200, 1800, Some(120), Some(120)), (80, 120));
        assert_eq!(fit_within(1000, 1000, Some(300), Some(200)), (200, 200));
    }

    #[test]
    fn fit_never_upscales() {
        assert_eq!(fit_within(100, 50, Some(400), None), (100, 50));
        assert_eq!(fit_within(100, 50, Some(400), Some(400)), (100, 50));
        assert_eq!(fit_within(100, 50, None, None), (100, 50));
    }

    #[test]
    fn fit_rounds_to_nearest() {
        // 113 x 150 at width 120 is not upscaled; at width 100 the height is 132.74.
        assert_eq!(fit_within(113, 150, Some(100), None), (100, 133));
        // 245 x 245 into 120 wide.
        assert_eq!(fit_within(245, 245, Some(120), None), (120, 120));
    }

    #[test]
    fn fit_extreme_aspect_keeps_one_pixel() {
        assert_eq!(fit_within(10_000, 1, Some(100), None), (100, 1));
        assert_eq!(fit_within(1, 10_000, None, Some(100)), (1, 100));
        assert_eq!(fit_within(u32::MAX, u32::MAX, Some(1), Some(1)), (1, 1));
    }

    #[test]
    fn premultiply_round_trip_opaque() {
        let mut pixel = Rgba([200, 100, 3, 255]);
        premultiply(&mut pixel);
        unpremultiply(&mut pixel);

        assert_eq!(pixel, Rgba([200, 100, 3, 255]));
    }

    #[test]
    fn transparent_colour_does_not_bleed() {
        // Left half opaque white, right half fully transparent bright red.
        let buffer =
            RgbaImage::from_fn(64, 8, |x, _| if x < 32 { Rgba([255, 255, 255, 255]) } else { Rgba([255, 0, 0, 0]) });

        let resized = resize_and_orient(DynamicImage::ImageRgba8(buffer), Orientation::NoTransforms, 16, 2);

        for pixel in resized.to_rgba8().pixels().filter(|pixel| pixel[3] > 0) {
            assert!(pixel[1] > 240, "red bled into visible pixel {pixel:?}");
        }
    }

    #[test]
    fn orientation_swaps_output_axes() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::new(60, 40));

        let result = resize_and_orient(image, Orientation::Rotate90, 20, 30);

        assert_eq!((result.width(), result.height()), (20, 30));
    }
}
