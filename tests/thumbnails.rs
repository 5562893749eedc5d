//! Inspection and thumbnails of every file in the real-world fixture folder.
//!
//! The fixtures come from public test suites (exif-orientation-examples, Pillow,
//! image-rs, Movable Type). Each test skips with a message when the folder is absent.

mod common;

use std::io::Cursor;
use std::sync::OnceLock;

use image::{AnimationDecoder, RgbaImage, imageops};
use pressrun::asset::image::{
    FileKind, ImageError, ImageFormat, Limits, Thumbnail, ThumbnailRequest, inspect, make_thumbnail,
};

use common::*;

/// Expected facts of one fixture image.
struct Expected {
    file: &'static str,
    format: ImageFormat,
    /// Displayed width and height, after the EXIF orientation.
    size: (u32, u32),
    orientation: u8,
    frames: u32,
    /// Size of a thumbnail requested 120 pixels wide, or `None` when it must fail.
    thumbnail: Option<(u32, u32)>,
    /// Whether the first frame has pixels with alpha below 255.
    transparent: bool,
}

const fn image(
    file: &'static str,
    format: ImageFormat,
    size: (u32, u32),
    orientation: u8,
    frames: u32,
    thumbnail: Option<(u32, u32)>,
    transparent: bool,
) -> Expected {
    Expected { file, format, size, orientation, frames, thumbnail, transparent }
}

use ImageFormat::{Gif, Jpeg, Png, WebP};

/// JPEG, PNG and GIF sizes and orientations agree with `file` 5.44. WebP sizes and all
/// frame counts agree with full decodes by the `image` crate's animation decoders.
#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    image("exif-orientation-examples__Landscape_1.jpg", Jpeg, (1800, 1200), 1, 1, Some((120, 80)), false),
    image("exif-orientation-examples__Landscape_6.jpg", Jpeg, (1800, 1200), 6, 1, Some((120, 80)), false),
    image("exif-orientation-examples__Landscape_8.jpg", Jpeg, (1800, 1200), 8, 1, Some((120, 80)), false),
    image("exif-orientation-examples__Portrait_6.jpg", Jpeg, (1200, 1800), 6, 1, Some((120, 180)), false),
    image("image-rs__anim.webp", WebP, (200, 200), 1, 6, Some((120, 120)), true),
    image("image-rs__basn6a16.png", Png, (32, 32), 1, 1, Some((32, 32)), true),
    image("image-rs__cat.jpg", Jpeg, (320, 240), 1, 1, Some((120, 90)), false),
    image("image-rs__large-gif-anim-combine.gif", Gif, (1000, 1000), 1, 2, Some((120, 120)), true),
    image("image-rs__portrait_2.jpg", Jpeg, (113, 150), 2, 1, Some((113, 150)), false),
    image("image-rs__simple-rgb.webp", WebP, (100, 100), 1, 1, Some((100, 100)), false),
    image("image-rs__simple.webp", WebP, (300, 300), 1, 1, Some((120, 120)), false),
    image("image-rs__tp1n3p08.png", Png, (32, 32), 1, 1, Some((32, 32)), true),
    image("movabletype__test.gif", Gif, (400, 300), 1, 1, Some((120, 90)), false),
    image("movabletype__test.jpg", Jpeg, (640, 480), 1, 1, Some((120, 90)), false),
    image("movabletype__test.png", Png, (150, 150), 1, 1, Some((120, 120)), true),
    image("movabletype__test.webp", WebP, (150, 150), 1, 1, Some((120, 120)), true),
    image("pillow__hopper.gif", Gif, (128, 128), 1, 1, Some((120, 120)), false),
    image("pillow__hopper_16bit_qtables.jpg", Jpeg, (128, 128), 1, 1, Some((120, 120)), false),
    image("pillow__hopper_orientation_6.jpg", Jpeg, (128, 128), 6, 1, Some((120, 120)), false),
    image("pillow__hopper_orientation_8.jpg", Jpeg, (128, 128), 8, 1, Some((120, 120)), false),
    image("pillow__iss634.gif", Gif, (245, 245), 1, 42, Some((120, 120)), false),
    image("pillow__iss634.webp", WebP, (245, 245), 1, 42, Some((120, 120)), false),
    image("pillow__p_trns_single.png", Png, (64, 64), 1, 1, Some((64, 64)), true),
    image("pillow__pil_sample_cmyk.jpg", Jpeg, (100, 100), 1, 1, Some((100, 100)), false),
    image("pillow__transparent.png", Png, (200, 150), 1, 1, Some((120, 90)), true),
    image("pillow__truncated_jpeg.jpg", Jpeg, (100, 100), 1, 1, None, false),
];

/// Files in the fixture folder that are not images.
const NOT_IMAGES: &[&str] = &["SOURCES.md"];

fn expected_for(file: &str) -> &'static Expected {
    EXPECTED
        .iter()
        .find(|expected| expected.file == file)
        .unwrap_or_else(|| panic!("fixture {file} has no row in EXPECTED; add one"))
}

/// The fixtures that must give a thumbnail, with their bytes.
fn thumbnail_fixtures() -> Vec<(&'static Expected, Vec<u8>)> {
    let Some(dir) = fixtures_dir() else {
        return Vec::new();
    };
    let dir = dir.as_path();
    EXPECTED
        .iter()
        .filter(|expected| expected.thumbnail.is_some())
        .map(|expected| (expected, read_fixture(dir, expected.file)))
        .collect()
}

/// A fixture with its bytes and its thumbnail 120 pixels wide.
struct Case {
    expected: &'static Expected,
    bytes: Vec<u8>,
    thumbnail: Thumbnail,
}

/// Thumbnails of every fixture that must give one, made once for all tests in this
/// file because each full-size JPEG takes seconds in an unoptimised build.
fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        thumbnail_fixtures()
            .into_iter()
            .map(|(expected, bytes)| {
                let thumbnail = thumbnail_of_width(&bytes, 120);
                Case { expected, bytes, thumbnail }
            })
            .collect()
    })
}

/// Returns the cached thumbnail of `file`, decoded, or `None` when the fixtures are absent.
fn cached_thumbnail(file: &str) -> Option<RgbaImage> {
    let case = cases().iter().find(|case| case.expected.file == file)?;
    Some(decode_rgba(&case.thumbnail.bytes))
}

#[test]
fn inspect_every_fixture() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();

    for path in fixture_paths(dir) {
        let file = file_name(&path);
        let bytes = std::fs::read(&path).unwrap();
        let kind = inspect(&bytes, &Limits::default());

        if NOT_IMAGES.contains(&file.as_str()) {
            let kind = kind.unwrap_or_else(|error| panic!("{file}: {error}"));
            assert!(matches!(kind, FileKind::Other { .. }), "{file}: {kind:?}");
            continue;
        }

        let expected = expected_for(&file);
        let Ok(FileKind::Image(info)) = kind else {
            panic!("{file}: expected an image, got {kind:?}");
        };
        assert_eq!(info.format, expected.format, "{file}: format");
        assert_eq!((info.width, info.height), expected.size, "{file}: displayed size");
        assert_eq!(info.orientation, expected.orientation, "{file}: orientation");
        assert_eq!(info.frame_count, expected.frames, "{file}: frame count");
        assert_eq!(info.is_animated(), expected.frames > 1, "{file}: animated flag");
    }
}

#[test]
fn every_table_row_has_a_file() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();

    for expected in EXPECTED {
        assert!(dir.join(expected.file).is_file(), "{} is missing", expected.file);
    }
}

#[test]
fn thumbnails_have_expected_size_and_format() {
    for Case { expected, thumbnail, .. } in cases() {
        let file = expected.file;

        assert_eq!(Some((thumbnail.width, thumbnail.height)), expected.thumbnail, "{file}: size");
        assert_eq!(thumbnail.format, expected.format, "{file}: source format kept");
        assert_eq!(thumbnail.mime, expected.format.mime(), "{file}: MIME type");

        let Ok(FileKind::Image(info)) = inspect(&thumbnail.bytes, &Limits::default()) else {
            panic!("{file}: thumbnail is not a readable image");
        };
        assert_eq!(info.format, expected.format, "{file}: encoded format");
        assert_eq!((info.width, info.height), expected.thumbnail.unwrap(), "{file}: encoded size");
        assert_eq!(info.orientation, 1, "{file}: thumbnail carries no orientation");
        assert_eq!(info.frame_count, 1, "{file}: thumbnail has one frame");
    }
}

#[test]
fn transparency_kept_where_present() {
    for Case { expected, thumbnail, .. } in cases() {
        let decoded = decode_rgba(&thumbnail.bytes);

        assert_eq!(
            has_transparency(&decoded),
            expected.transparent,
            "{}: alpha below 255 in the thumbnail",
            expected.file
        );
    }
}

#[test]
fn thumbnails_are_deterministic() {
    for Case { expected, bytes, thumbnail } in cases() {
        let second = thumbnail_of_width(bytes, 120);

        assert!(thumbnail.bytes == second.bytes, "{}: bytes differ between runs", expected.file);
    }
}

/// Maximum mean difference per channel (0 to 255) between thumbnails of the same
/// picture. The orientation fixtures differ by JPEG re-encoding only. A wrong
/// orientation gave 35 to 84 on these fixtures, and the negative checks below confirm it.
const SAME_PICTURE_TOLERANCE: f64 = 6.0;

#[test]
fn landscape_orientations_match_reference() {
    let Some(reference) = cached_thumbnail("exif-orientation-examples__Landscape_1.jpg") else {
        return;
    };

    for file in ["exif-orientation-examples__Landscape_6.jpg", "exif-orientation-examples__Landscape_8.jpg"] {
        let thumbnail = cached_thumbnail(file).unwrap();
        let difference = mean_difference(&thumbnail, &reference);

        assert!(difference < SAME_PICTURE_TOLERANCE, "{file}: mean difference {difference:.2}");
    }

    let upside_down = imageops::rotate180(&reference);
    let difference = mean_difference(&upside_down, &reference);
    assert!(difference > 3.0 * SAME_PICTURE_TOLERANCE, "rotated reference differs by only {difference:.2}");
}

/// Maximum mean difference between the hopper orientation fixtures and the upright
/// reference. It is larger than [`SAME_PICTURE_TOLERANCE`] because the reference is a
/// separate, lower-quality encoding: correct output gives about 10 and the stored,
/// unrotated pixels give about 74.
const HOPPER_TOLERANCE: f64 = 20.0;

#[test]
fn hopper_orientations_match_reference() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    // The same portrait stored upright, as a 128x128 JPEG with other quantisation tables.
    let reference = cached_thumbnail("pillow__hopper_16bit_qtables.jpg").unwrap();

    for file in ["pillow__hopper_orientation_6.jpg", "pillow__hopper_orientation_8.jpg"] {
        let bytes = read_fixture(dir, file);
        let thumbnail = cached_thumbnail(file).unwrap();
        let difference = mean_difference(&thumbnail, &reference);
        assert!(difference < HOPPER_TOLERANCE, "{file}: mean difference {difference:.2}");

        // Ignoring the orientation must be detectably wrong.
        let stored = imageops::resize(&decode_rgba(&bytes), 120, 120, imageops::FilterType::Lanczos3);
        let stored_difference = mean_difference(&stored, &reference);
        assert!(
            stored_difference > 2.0 * difference,
            "{file}: stored orientation differs by only {stored_difference:.2}"
        );
    }
}

#[test]
fn portrait_6_taller_than_wide() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let thumbnail = cached_thumbnail("exif-orientation-examples__Portrait_6.jpg").unwrap();
    let (width, height) = thumbnail.dimensions();

    assert!(height > width, "{width}x{height}");

    let request = ThumbnailRequest { width: Some(120), height: Some(120), format: None };
    let boxed =
        make_thumbnail(&read_fixture(dir, "exif-orientation-examples__Portrait_6.jpg"), request, &Limits::default())
            .unwrap();
    assert_eq!((boxed.width, boxed.height), (80, 120), "box bounds the displayed size");
}

/// Compares a thumbnail with the stored pixels transformed by hand as the EXIF
/// orientation prescribes, and with the untransformed pixels.
fn assert_orientation_applied(file: &str, transform: fn(&RgbaImage) -> RgbaImage) {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let bytes = read_fixture(dir, file);
    let thumbnail = thumbnail_of_width(&bytes, 4000);
    let decoded = decode_rgba(&thumbnail.bytes);

    let stored = decode_rgba(&bytes);
    let transformed = transform(&stored);
    let difference = mean_difference(&decoded, &transformed);
    assert!(difference < SAME_PICTURE_TOLERANCE, "{file}: mean difference {difference:.2}");

    if stored.dimensions() == decoded.dimensions() {
        let untransformed = mean_difference(&decoded, &stored);
        assert!(untransformed > 2.0 * difference, "{file}: untransformed differs by only {untransformed:.2}");
    }
}

#[test]
fn portrait_2_mirrored() {
    assert_orientation_applied("image-rs__portrait_2.jpg", imageops::flip_horizontal);
}

#[test]
fn landscape_6_rotated_clockwise() {
    assert_orientation_applied("exif-orientation-examples__Landscape_6.jpg", imageops::rotate90);
}

#[test]
fn landscape_8_rotated_anticlockwise() {
    assert_orientation_applied("exif-orientation-examples__Landscape_8.jpg", imageops::rotate270);
}

#[test]
fn cmyk_colours_not_inverted() {
    let Some(decoded) = cached_thumbnail("pillow__pil_sample_cmyk.jpg") else {
        return;
    };
    let (width, height) = decoded.dimensions();

    // Pillow's own test of this file: the top-left corner is red (C=0, M and Y above
    // 0.8, K=0) and the opposite corner is black (K above 0.9). An inverted decode
    // gives cyan and white instead.
    let [red, green, blue, _] = decoded.get_pixel(1, 1).0;
    assert!(red > 200, "top-left red channel {red}");
    assert!(green < 70, "top-left green channel {green}");
    assert!(blue < 70, "top-left blue channel {blue}");

    let [red, green, blue, _] = decoded.get_pixel(width - 1, height - 1).0;
    assert!(red.max(green).max(blue) < 40, "bottom-right {:?}", (red, green, blue));
}

/// Decodes every frame of an animation with the `image` crate.
fn all_frames(bytes: &[u8], format: ImageFormat) -> Vec<RgbaImage> {
    match format {
        Gif => image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).unwrap().into_frames(),
        WebP => image::codecs::webp::WebPDecoder::new(Cursor::new(bytes)).unwrap().into_frames(),
        _ => panic!("{format} has no animation decoder here"),
    }
    .map(|frame| frame.expect("frame decodes").into_buffer())
    .collect()
}

/// Checks the thumbnail against the first frame, and that it is closer to it than to
/// the frame that differs most from the first. The frames of the iss634 fixtures differ
/// little, so for them the second check has a small margin.
#[test]
fn animations_give_first_frame() {
    for Case { expected, bytes, thumbnail } in cases() {
        if expected.frames < 2 {
            continue;
        }
        let file = expected.file;
        let thumbnail = decode_rgba(&thumbnail.bytes);
        let (width, height) = thumbnail.dimensions();
        let scale = |frame: &RgbaImage| imageops::resize(frame, width, height, imageops::FilterType::Lanczos3);

        let frames: Vec<RgbaImage> = all_frames(bytes, expected.format).iter().map(scale).collect();
        let farthest_frame = frames
            .iter()
            .max_by(|a, b| mean_difference(a, &frames[0]).total_cmp(&mean_difference(b, &frames[0])))
            .unwrap();
        let to_first = mean_difference(&thumbnail, &frames[0]);
        let to_farthest = mean_difference(&thumbnail, farthest_frame);

        assert!(to_first < SAME_PICTURE_TOLERANCE, "{file}: differs from the first frame by {to_first:.2}");
        assert!(
            to_first < to_farthest,
            "{file}: closer to a later frame ({to_farthest:.2}) than to the first ({to_first:.2})"
        );
    }
}

#[test]
fn truncated_jpeg_fails_cleanly() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let bytes = read_fixture(dir, "pillow__truncated_jpeg.jpg");

    let result = make_thumbnail(&bytes, ThumbnailRequest::default(), &Limits::default());

    let Err(ImageError::Corrupt { format, message }) = result else {
        panic!("expected a corrupt-data error, got {result:?}");
    };
    assert_eq!(format, Jpeg);
    assert!(message.contains("truncated"), "message: {message}");
}

#[test]
fn never_upscales() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let bytes = read_fixture(dir, "image-rs__cat.jpg");
    let request = ThumbnailRequest { width: Some(5000), height: Some(5000), format: None };

    let thumbnail = make_thumbnail(&bytes, request, &Limits::default()).unwrap();

    assert_eq!((thumbnail.width, thumbnail.height), (320, 240));
    assert_eq!(thumbnail.format, Jpeg);
    assert_ne!(thumbnail.bytes, bytes, "re-encoded, not copied");
}
