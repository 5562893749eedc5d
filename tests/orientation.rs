//! All eight EXIF orientations, on synthetic images whose quadrants have distinct colours.

mod common;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, Rgb, RgbImage, RgbaImage};
use pressrun::asset::image::{FileKind, ImageFormat, Limits, ThumbnailRequest, inspect, make_thumbnail};

use common::{decode_rgba, exif_orientation_tiff, png_chunk};

const RED: [u8; 3] = [255, 0, 0];
const GREEN: [u8; 3] = [0, 255, 0];
const BLUE: [u8; 3] = [0, 0, 255];
const WHITE: [u8; 3] = [255, 255, 255];

/// Stored image: 64x32, top-left red, top-right green, bottom-left blue, bottom-right
/// white.
fn quadrants() -> RgbImage {
    RgbImage::from_fn(64, 32, |x, y| {
        Rgb(match (x < 32, y < 16) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

/// Displayed quadrant colours (top-left, top-right, bottom-left, bottom-right) for each
/// orientation value, from the TIFF 6.0 definition of where stored row 0 and column 0
/// appear: 1 top and left, 2 top and right, 3 bottom and right, 4 bottom and left,
/// 5 left and top, 6 right and top, 7 right and bottom, 8 left and bottom.
const DISPLAYED: [(u8, [[u8; 3]; 4]); 8] = [
    (1, [RED, GREEN, BLUE, WHITE]),
    (2, [GREEN, RED, WHITE, BLUE]),
    (3, [WHITE, BLUE, GREEN, RED]),
    (4, [BLUE, WHITE, RED, GREEN]),
    (5, [RED, BLUE, GREEN, WHITE]),
    (6, [BLUE, RED, WHITE, GREEN]),
    (7, [WHITE, GREEN, BLUE, RED]),
    (8, [GREEN, WHITE, RED, BLUE]),
];

/// Encodes the quadrants as JPEG with an APP1 EXIF segment right after SOI.
fn jpeg_with_orientation(orientation: u8) -> Vec<u8> {
    let image = quadrants();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 100)
        .write_image(image.as_raw(), 64, 32, image::ExtendedColorType::Rgb8)
        .unwrap();

    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&exif_orientation_tiff(orientation));
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    segment.extend_from_slice(&payload);

    jpeg.splice(2..2, segment);
    jpeg
}

/// Encodes the quadrants as PNG with an `eXIf` chunk right after IHDR.
fn png_with_orientation(orientation: u8) -> Vec<u8> {
    let image = quadrants();
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(image.as_raw(), 64, 32, image::ExtendedColorType::Rgb8).unwrap();

    // Signature (8 bytes) and IHDR chunk (25 bytes).
    png.splice(33..33, png_chunk(b"eXIf", &exif_orientation_tiff(orientation)));
    png
}

/// Returns the colour at the centre of each quadrant: top-left, top-right, bottom-left,
/// bottom-right.
fn quadrant_centres(image: &RgbaImage) -> [[u8; 3]; 4] {
    let (width, height) = image.dimensions();
    let sample = |x: u32, y: u32| {
        let [r, g, b, _] = image.get_pixel(x, y).0;
        [r, g, b]
    };
    [
        sample(width / 4, height / 4),
        sample(3 * width / 4, height / 4),
        sample(width / 4, 3 * height / 4),
        sample(3 * width / 4, 3 * height / 4),
    ]
}

fn assert_close(actual: [u8; 3], expected: [u8; 3], context: &str) {
    for (a, e) in actual.iter().zip(expected) {
        assert!(a.abs_diff(e) < 40, "{context}: got {actual:?}, expected {expected:?}");
    }
}

fn check_all_orientations(make_file: fn(u8) -> Vec<u8>, source: &str) {
    for (orientation, expected_quadrants) in DISPLAYED {
        let context = format!("{source} orientation {orientation}");
        let bytes = make_file(orientation);
        let expected_size = if orientation >= 5 { (32, 64) } else { (64, 32) };

        let Ok(FileKind::Image(info)) = inspect(&bytes, &Limits::default()) else {
            panic!("{context}: not inspected as an image");
        };
        assert_eq!(info.orientation, orientation, "{context}: inspected orientation");
        assert_eq!((info.width, info.height), expected_size, "{context}: inspected size");

        // PNG output avoids a second round of JPEG artefacts.
        let request = ThumbnailRequest { format: Some(ImageFormat::Png), ..Default::default() };
        let thumbnail = make_thumbnail(&bytes, request, &Limits::default()).unwrap();
        assert_eq!((thumbnail.width, thumbnail.height), expected_size, "{context}: thumbnail size");

        let centres = quadrant_centres(&decode_rgba(&thumbnail.bytes));
        for (index, (actual, expected)) in centres.into_iter().zip(expected_quadrants).enumerate() {
            assert_close(actual, expected, &format!("{context}, quadrant {index}"));
        }
    }
}

#[test]
fn jpeg_all_eight_orientations() {
    check_all_orientations(jpeg_with_orientation, "JPEG");
}

#[test]
fn png_all_eight_orientations() {
    check_all_orientations(png_with_orientation, "PNG");
}

#[test]
fn scaled_thumbnail_oriented() {
    let bytes = jpeg_with_orientation(6);
    let request = ThumbnailRequest { height: Some(32), ..Default::default() };

    let thumbnail = make_thumbnail(&bytes, request, &Limits::default()).unwrap();

    assert_eq!((thumbnail.width, thumbnail.height), (16, 32));
    let centres = quadrant_centres(&decode_rgba(&thumbnail.bytes));
    assert_close(centres[0], BLUE, "top-left");
    assert_close(centres[3], GREEN, "bottom-right");
}
