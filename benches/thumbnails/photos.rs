//! Large generated JPEG photos: smooth colour gradients with per-pixel
//! noise. Without the noise they would compress to almost nothing. With it
//! they take about 0.3 bytes per pixel (3.7 MB for 4000x3000 pixels), and
//! the real 1800x1200 fixture photos take 0.1 to 0.2. A seeded PRNG makes
//! every run and machine get the same files.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// The PRNG seed. `StdRng` is only reproducible within one `rand` version,
/// which Cargo.lock pins.
const SEED: u64 = 20_240_601;

/// JPEG quality of the generated files.
const QUALITY: u8 = 90;

/// The largest noise added to each channel of each pixel, up or down.
const NOISE: i32 = 10;

/// Writes `count` photos of `width` x `height` pixels into `dir` as
/// `photo-WIDTHxHEIGHT-N.jpg` and returns their paths. `first_seed`
/// varies the content between sets.
pub fn generate(dir: &Path, count: usize, width: u32, height: u32, first_seed: u64) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for number in 1..=count {
        let path = dir.join(format!("photo-{width}x{height}-{number}.jpg"));
        let mut rng = StdRng::seed_from_u64(SEED + first_seed + number as u64);
        let pixels = render(&mut rng, width, height);
        let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        JpegEncoder::new_with_quality(BufWriter::new(file), QUALITY)
            .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
            .with_context(|| format!("cannot encode {}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// Returns RGB bytes: per channel, the sum of a smooth curve along x, one
/// along y and one along the diagonal, plus noise.
fn render(rng: &mut StdRng, width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width as usize, height as usize);
    let channels: Vec<[Vec<f32>; 3]> = (0..3)
        .map(|_| [smooth_curve(rng, width), smooth_curve(rng, height), smooth_curve(rng, width + height)])
        .collect();
    let mut pixels = vec![0u8; width * height * 3];
    let mut noise = NoiseSource::new(rng);
    for y in 0..height {
        for x in 0..width {
            for (channel, [along_x, along_y, diagonal]) in channels.iter().enumerate() {
                let value = 128.0 + along_x[x] + along_y[y] + diagonal[x + y];
                let noisy = value as i32 + noise.next();
                pixels[(y * width + x) * 3 + channel] = noisy.clamp(0, 255) as u8;
            }
        }
    }
    pixels
}

/// Returns `length` values of a sum of three sine waves with random
/// amplitudes (up to 40), periods (from a fifth of `length` to twice it)
/// and phases.
fn smooth_curve(rng: &mut StdRng, length: usize) -> Vec<f32> {
    let waves: Vec<(f32, f32, f32)> = (0..3)
        .map(|_| {
            let amplitude = rng.random_range(5.0..40.0);
            let period = rng.random_range(0.2..2.0) * length as f32;
            let phase = rng.random_range(0.0..std::f32::consts::TAU);
            (amplitude, std::f32::consts::TAU / period, phase)
        })
        .collect();
    (0..length)
        .map(|position| {
            waves
                .iter()
                .map(|(amplitude, frequency, phase)| amplitude * (frequency * position as f32 + phase).sin())
                .sum()
        })
        .collect()
}

/// Noise values in `-NOISE..=NOISE`, eight per PRNG call.
struct NoiseSource<'a> {
    rng: &'a mut StdRng,
    bits: u64,
    left: u32,
}

impl<'a> NoiseSource<'a> {
    fn new(rng: &'a mut StdRng) -> NoiseSource<'a> {
        NoiseSource { rng, bits: 0, left: 0 }
    }

    fn next(&mut self) -> i32 {
        if self.left == 0 {
            self.bits = self.rng.next_u64();
            self.left = 8;
        }
        let byte = (self.bits & 0xff) as i32;
        self.bits >>= 8;
        self.left -= 1;
        byte % (2 * NOISE + 1) - NOISE
    }
}
