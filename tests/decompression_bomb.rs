//! Decompression bombs: files whose header declares far more pixels than the limit
//! allows. They must be rejected before any pixel buffer is allocated. A counting global
//! allocator measures the peak heap use of each call.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder};
use pressrun::asset::image::{ImageError, Limits, ThumbnailRequest, inspect, make_thumbnail};

use common::png_chunk;

/// Wraps the system allocator and records the bytes in use and their peak.
struct CountingAllocator;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let in_use = IN_USE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(in_use, Ordering::SeqCst);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Serialises the tests of this file so that their allocations do not mix.
static MEASURE: Mutex<()> = Mutex::new(());

/// Maximum heap growth allowed while rejecting a bomb. Every decoded buffer in these
/// tests is far larger.
const REJECTION_BUDGET: usize = 256 * 1024;

/// Runs `call` and returns its result and the peak heap growth during it, in bytes.
fn peak_allocation<T>(call: impl FnOnce() -> T) -> (T, usize) {
    let _guard = MEASURE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let start = IN_USE.load(Ordering::SeqCst);
    PEAK.store(start, Ordering::SeqCst);

    let result = call();

    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(start);
    (result, peak)
}

/// Builds a PNG with IHDR declaring `width` x `height` RGBA8, one tiny IDAT and IEND.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

/// Builds a GIF whose logical screen and single frame are `width` x `height`.
fn gif_header_only(width: u16, height: u16) -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&width.to_le_bytes());
    gif.extend_from_slice(&height.to_le_bytes());
    gif.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF]);
    gif.extend(gif_frame(width, height));
    gif.push(0x3B);
    gif
}

/// Builds an image descriptor at 0,0 with LZW data holding only the clear and end codes.
fn gif_frame(width: u16, height: u16) -> Vec<u8> {
    let mut frame = vec![0x2C, 0, 0, 0, 0];
    frame.extend_from_slice(&width.to_le_bytes());
    frame.extend_from_slice(&height.to_le_bytes());
    frame.push(0);
    frame.extend_from_slice(&[2, 1, 0x2C, 0]);
    frame
}

/// Builds an 8x8 JPEG whose SOF0 segment is patched to declare 65535x65535.
fn jpeg_declaring_maximum_size() -> Vec<u8> {
    let mut jpeg = Vec::new();
    JpegEncoder::new(&mut jpeg).write_image(&[128; 8 * 8 * 3], 8, 8, ExtendedColorType::Rgb8).unwrap();

    let sof = jpeg.windows(2).position(|marker| marker == [0xFF, 0xC0]).unwrap();
    // Marker (2), length (2), precision (1), then height and width.
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    jpeg
}

/// Builds a lossless 8x8 WebP whose VP8L header is patched to declare 16383x16383.
///
/// The format allows 16384, but image-webp 0.2.4 masks `1 + (width - 1)` to 14 bits
/// and reads that as 0.
fn webp_declaring_maximum_size() -> Vec<u8> {
    let mut webp = Vec::new();
    WebPEncoder::new_lossless(&mut webp).write_image(&[128; 8 * 8 * 3], 8, 8, ExtendedColorType::Rgb8).unwrap();

    let vp8l = webp.windows(4).position(|kind| kind == b"VP8L").unwrap();
    // Chunk type (4), size (4), signature byte 0x2F, then a little-endian 32-bit
    // field with 14 bits each of width - 1 and height - 1 in its low 28 bits.
    let header = vp8l + 9;
    let field = u32::from_le_bytes(webp[header..header + 4].try_into().unwrap());
    let dimensions = 16_382 | (16_382 << 14);
    let patched = (field & !0x0FFF_FFFF) | dimensions;
    webp[header..header + 4].copy_from_slice(&patched.to_le_bytes());
    webp
}

fn assert_rejected_unallocated(name: &str, bytes: &[u8], limits: &Limits) {
    let (inspected, peak) = peak_allocation(|| inspect(bytes, limits));
    assert!(matches!(inspected, Err(ImageError::TooManyPixels { .. })), "{name}: inspect gave {inspected:?}");
    assert!(peak < REJECTION_BUDGET, "{name}: inspect allocated {peak} bytes");

    let request = ThumbnailRequest { width: Some(120), ..Default::default() };
    let (thumbnail, peak) = peak_allocation(|| make_thumbnail(bytes, request, limits));
    assert!(matches!(thumbnail, Err(ImageError::TooManyPixels { .. })), "{name}: make_thumbnail gave {thumbnail:?}");
    assert!(peak < REJECTION_BUDGET, "{name}: make_thumbnail allocated {peak} bytes");
}

#[test]
fn png_header_bomb_rejected() {
    assert_rejected_unallocated("PNG 100000x100000", &png_header_only(100_000, 100_000), &Limits::default());
}

#[test]
fn gif_header_bomb_rejected() {
    assert_rejected_unallocated("GIF 65535x65535", &gif_header_only(65535, 65535), &Limits::default());
}

#[test]
fn jpeg_header_bomb_rejected() {
    assert_rejected_unallocated("JPEG 65535x65535", &jpeg_declaring_maximum_size(), &Limits::default());
}

#[test]
fn webp_header_bomb_rejected() {
    assert_rejected_unallocated("WebP 16383x16383", &webp_declaring_maximum_size(), &Limits::default());
}

#[test]
fn error_names_size_and_limit() {
    let result = inspect(&png_header_only(100_000, 100_000), &Limits::default());

    let Err(error @ ImageError::TooManyPixels { width, height, limit }) = result else {
        panic!("expected TooManyPixels, got {result:?}");
    };
    assert_eq!((width, height, limit), (100_000, 100_000, Limits::DEFAULT_MAX_PIXELS));
    assert!(error.to_string().contains("100000x100000"), "message: {error}");
}

/// A real 1500x1500 greyscale PNG of zeros compresses to a few kilobytes but decodes
/// to 2.25 MB. Below the limit it is decoded, which shows that the allocator measures
/// the decode. Above it, the rejection allocates almost nothing.
#[test]
fn compressed_png_bomb_rejected() {
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(&vec![0; 1500 * 1500], 1500, 1500, ExtendedColorType::L8).unwrap();
    assert!(png.len() < 64 * 1024, "encoded size {}", png.len());

    let request = ThumbnailRequest { width: Some(16), ..Default::default() };
    let (accepted, peak) = peak_allocation(|| make_thumbnail(&png, request, &Limits::default()));
    assert!(accepted.is_ok(), "within the default limits: {accepted:?}");
    assert!(peak > 1500 * 1500, "decoding allocated only {peak} bytes");

    let limits = Limits { max_pixels: 1_000_000, ..Limits::default() };
    assert_rejected_unallocated("PNG 1500x1500 of zeros", &png, &limits);
}

/// A 1x1 GIF screen with a 4000x4000 frame passes the pixel check, which reads the
/// screen size. The `image` crate's allocation limit derived from `max_pixels` then
/// rejects the 64 MB frame buffer before it is allocated.
#[test]
fn oversized_gif_frame_hits_memory_limit() {
    let mut gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xFF\xFF\xFF".to_vec();
    gif.extend(gif_frame(4000, 4000));
    gif.push(0x3B);
    let limits = Limits { max_pixels: 1000, ..Limits::default() };

    let (result, peak) = peak_allocation(|| make_thumbnail(&gif, ThumbnailRequest::default(), &limits));

    assert!(matches!(result, Err(ImageError::MemoryLimit { .. })), "got {result:?}");
    assert!(peak < REJECTION_BUDGET, "allocated {peak} bytes");
}

#[test]
fn file_size_limit_checked_first() {
    let limits = Limits { max_bytes: 10, ..Limits::default() };
    let bytes = png_header_only(1, 1);

    let result = make_thumbnail(&bytes, ThumbnailRequest::default(), &limits);

    let Err(ImageError::TooLarge { size, limit }) = result else {
        panic!("expected TooLarge, got {result:?}");
    };
    assert_eq!((size, limit), (bytes.len() as u64, 10));
    assert!(matches!(inspect(&bytes, &limits), Err(ImageError::TooLarge { .. })));
}
