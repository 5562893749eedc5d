//! Helpers shared by the image integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage, RgbaImage};
use pressrun::asset::image::{Limits, Thumbnail, ThumbnailRequest, make_thumbnail};

/// The folder of real-world fixture images: `images` under
/// `PRESSRUN_FIXTURES`, or under `../shared/fixtures` beside the repository.
pub fn fixtures_path() -> PathBuf {
    let root = std::env::var_os("PRESSRUN_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    root.join("images")
}

/// Returns the fixture folder, or prints why the test is skipped and returns `None`
/// when the folder is absent.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = fixtures_path();
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: fixture folder {} not found (set PRESSRUN_FIXTURES to its parent)", dir.display());
        None
    }
}

/// Returns every file in the fixture folder, sorted by name.
pub fn fixture_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture folder is readable")
        .map(|entry| entry.expect("fixture entry is readable").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    paths
}

pub fn read_fixture(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

pub fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Makes a thumbnail that fits `width` pixels wide, in the source format.
pub fn thumbnail_of_width(bytes: &[u8], width: u32) -> Thumbnail {
    let request = ThumbnailRequest { width: Some(width), ..ThumbnailRequest::default() };
    make_thumbnail(bytes, request, &Limits::default()).expect("thumbnail is made")
}

/// Decodes encoded bytes with the `image` crate, ignoring any EXIF orientation.
pub fn decode_rgba(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory(bytes).expect("image decodes").to_rgba8()
}

/// Composites onto white so that the colour of transparent pixels does not count.
pub fn on_white(image: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let pixel = image.get_pixel(x, y);
        let alpha = f64::from(pixel[3]) / 255.0;
        let blend = |channel: u8| (f64::from(channel) * alpha + 255.0 * (1.0 - alpha)).round() as u8;
        Rgb([blend(pixel[0]), blend(pixel[1]), blend(pixel[2])])
    })
}

/// Mean absolute difference per channel, from 0 to 255, of two images of equal size
/// composited onto white.
pub fn mean_difference(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "compared images differ in size");
    let (a, b) = (on_white(a), on_white(b));
    let total: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| u64::from(x.abs_diff(y))).sum();
    total as f64 / a.as_raw().len() as f64
}

/// Returns whether some pixel is not fully opaque.
pub fn has_transparency(image: &RgbaImage) -> bool {
    image.pixels().any(|pixel| pixel[3] < u8::MAX)
}

/// CRC-32 as PNG chunks use it (ISO 3309, polynomial 0xEDB88320, reflected).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Encodes one PNG chunk: length, type, data and CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&chunk[4..]).to_be_bytes());
    chunk
}

/// Builds a big-endian TIFF structure with one IFD entry: Orientation (tag 0x0112, SHORT).
pub fn exif_orientation_tiff(orientation: u8) -> Vec<u8> {
    let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1]);
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff
}
