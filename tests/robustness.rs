//! Invalid input never panics, and each kind of failure gives its own error variant.

mod common;

use pressrun::asset::image::{FileKind, ImageError, ImageFormat, Limits, ThumbnailRequest, inspect, make_thumbnail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use common::*;

/// Fixtures up to this size are also decoded after random corruption. Larger ones take
/// seconds per decode in an unoptimised test build.
const CORRUPTION_MAX_SIZE: usize = 64 * 1024;

/// Returns a small box, so that resizing and encoding take little time.
fn small_request() -> ThumbnailRequest {
    ThumbnailRequest { width: Some(32), height: Some(32), format: None }
}

/// Calls both entry points. A panic fails the test; any `Result` is accepted.
fn exercise(bytes: &[u8]) {
    let _ = inspect(bytes, &Limits::default());
    let _ = make_thumbnail(bytes, small_request(), &Limits::default());
}

/// Prefix lengths: every length up to 64 bytes, then sixteenths of the file, then one
/// byte short of the end.
fn prefix_lengths(length: usize) -> Vec<usize> {
    let mut lengths: Vec<usize> = (0..=64.min(length)).collect();
    lengths.extend((1..16).map(|sixteenth| length * sixteenth / 16));
    lengths.push(length.saturating_sub(1));
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

#[test]
fn prefixes_never_panic() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();

    for path in fixture_paths(dir) {
        let bytes = std::fs::read(&path).unwrap();
        for length in prefix_lengths(bytes.len()) {
            eprintln!("{} truncated to {length} bytes", file_name(&path));
            exercise(&bytes[..length]);
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let mut rng = StdRng::seed_from_u64(7);

    for path in fixture_paths(dir) {
        let original = std::fs::read(&path).unwrap();
        if original.len() > CORRUPTION_MAX_SIZE {
            continue;
        }

        for round in 0..12 {
            let mut bytes = original.clone();
            for _ in 0..rng.random_range(1..=8) {
                let position = rng.random_range(0..bytes.len());
                bytes[position] ^= rng.random_range(1..=u8::MAX);
            }
            eprintln!("{} corruption round {round}", file_name(&path));
            exercise(&bytes);
        }
    }
}

#[test]
fn random_bodies_never_panic() {
    let signatures: [&[u8]; 5] = [
        b"\xFF\xD8\xFF",
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\x00\x01\x00\x00WEBPVP8L",
        b"RIFF\x00\x01\x00\x00WEBPVP8X",
    ];
    let mut rng = StdRng::seed_from_u64(42);

    for signature in signatures {
        for length in [0, 1, 7, 30, 200, 2000] {
            let mut bytes = signature.to_vec();
            bytes.extend((0..length).map(|_| rng.random::<u8>()));
            exercise(&bytes);
        }
    }
}

#[test]
fn zero_box_side_rejected() {
    let png = common::png_chunk(b"IEND", &[]);
    for request in [
        ThumbnailRequest { width: Some(0), ..Default::default() },
        ThumbnailRequest { height: Some(0), ..Default::default() },
    ] {
        let result = make_thumbnail(&png, request, &Limits::default());
        assert!(matches!(result, Err(ImageError::InvalidRequest(_))), "{request:?} gave {result:?}");
    }
}

#[test]
fn non_images_unsupported_with_mime() {
    let cases: [(&[u8], &str); 3] = [
        (b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", "application/pdf"),
        (b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "image/svg+xml"),
        (b"plain text", "application/octet-stream"),
    ];

    for (bytes, mime) in cases {
        assert_eq!(inspect(bytes, &Limits::default()).unwrap(), FileKind::Other { mime });

        let result = make_thumbnail(bytes, ThumbnailRequest::default(), &Limits::default());
        let Err(ImageError::UnsupportedFormat { mime: reported }) = result else {
            panic!("{mime}: expected UnsupportedFormat, got {result:?}");
        };
        assert_eq!(reported, mime);
    }
}

#[test]
fn damaged_signature_is_corrupt() {
    // `infer` takes any `GIF8` prefix for GIF; the `image` crate needs `GIF87a` or `GIF89a`.
    let bytes = b"GIF8xa\x01\x00\x01\x00\x00\x00\x00;";

    let inspected = inspect(bytes, &Limits::default());
    assert!(
        matches!(inspected, Err(ImageError::Corrupt { format: ImageFormat::Gif, .. })),
        "inspect gave {inspected:?}"
    );

    let thumbnail = make_thumbnail(bytes, ThumbnailRequest::default(), &Limits::default());
    assert!(
        matches!(thumbnail, Err(ImageError::Corrupt { format: ImageFormat::Gif, .. })),
        "make_thumbnail gave {thumbnail:?}"
    );
}

#[test]
fn pixel_limit_names_stored_size() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let bytes = read_fixture(dir, "exif-orientation-examples__Landscape_1.jpg");
    let limits = Limits { max_pixels: 1_000_000, ..Limits::default() };

    let result = make_thumbnail(&bytes, ThumbnailRequest::default(), &limits);

    let Err(ImageError::TooManyPixels { width, height, limit }) = result else {
        panic!("expected TooManyPixels, got {result:?}");
    };
    assert_eq!((width, height, limit), (1800, 1200, 1_000_000));
}

#[test]
fn output_format_overrides_source() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let bytes = read_fixture(dir, "pillow__transparent.png");

    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::WebP] {
        let request = ThumbnailRequest { width: Some(120), height: None, format: Some(format) };
        let thumbnail = make_thumbnail(&bytes, request, &Limits::default()).unwrap();

        assert_eq!(thumbnail.format, format);
        assert_eq!(thumbnail.mime, format.mime());
        assert_eq!(ImageFormat::from_content(&thumbnail.bytes), Some(format), "{format}: encoded format");

        let decoded = decode_rgba(&thumbnail.bytes);
        assert_eq!(decoded.dimensions(), (120, 90), "{format}: size");
        assert_eq!(has_transparency(&decoded), format != ImageFormat::Jpeg, "{format}: transparency");
    }
}

#[test]
fn jpeg_output_composites_on_white() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let bytes = read_fixture(dir, "pillow__transparent.png");
    let request = ThumbnailRequest { format: Some(ImageFormat::Jpeg), ..Default::default() };

    let decoded = decode_rgba(&make_thumbnail(&bytes, request, &Limits::default()).unwrap().bytes);

    // The top-left corner is fully transparent in the source.
    let [red, green, blue, _] = decoded.get_pixel(0, 0).0;
    assert!(red.min(green).min(blue) > 245, "corner is {:?}", (red, green, blue));
}

#[test]
fn inspect_reads_only_the_header() {
    let Some(dir) = fixtures_dir() else { return };
    let dir = dir.as_path();
    let bytes = read_fixture(dir, "pillow__truncated_jpeg.jpg");

    let Ok(FileKind::Image(info)) = inspect(&bytes, &Limits::default()) else {
        panic!("truncated JPEG header should still be readable");
    };
    assert_eq!((info.width, info.height), (100, 100));
}
