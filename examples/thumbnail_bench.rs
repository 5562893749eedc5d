//! Measures thumbnail throughput and peak memory on given image files.
//!
//! Each thumbnail is made in full (decode, resize, encode) on one thread, repeated
//! until the time per file and size has passed. Peak memory is the process's peak
//! resident set size (VmHWM in /proc/self/status, Linux only).
//!
//! ```text
//! cargo run --release --example thumbnail_bench -- --sizes 120,480 photo.jpg other.png
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use pressrun::asset::image::{Limits, ThumbnailRequest, make_thumbnail};

#[derive(Parser)]
#[command(about = "Measure thumbnails per second and peak resident memory")]
struct Arguments {
    /// Box widths in pixels; each thumbnail fits the width with no height bound.
    #[arg(long, value_delimiter = ',', default_value = "120")]
    sizes: Vec<u32>,

    /// Minimum measuring time per file and size, in seconds.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,

    /// Image files to read.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    let minimum = Duration::from_secs_f64(arguments.seconds);

    println!("{:<48} {:>6} {:>11} {:>13} {:>10}", "file", "box", "thumbnail", "thumbnails/s", "bytes");
    for path in &arguments.files {
        let bytes = std::fs::read(path)?;
        for &size in &arguments.sizes {
            measure(path, &bytes, size, minimum)?;
        }
    }

    match peak_resident_kib() {
        Some(kib) => println!("peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS: unavailable (no VmHWM in /proc/self/status)"),
    }
    Ok(())
}

/// Makes thumbnails of one file at one size until `minimum` has passed (at least 3
/// times) and prints the rate.
fn measure(path: &Path, bytes: &[u8], size: u32, minimum: Duration) -> anyhow::Result<()> {
    let request = ThumbnailRequest { width: Some(size), ..ThumbnailRequest::default() };
    let limits = Limits::default();

    let start = Instant::now();
    let mut count = 0u32;
    let thumbnail = loop {
        let thumbnail =
            make_thumbnail(bytes, request, &limits).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        count += 1;
        if count >= 3 && start.elapsed() >= minimum {
            break thumbnail;
        }
    };

    let rate = f64::from(count) / start.elapsed().as_secs_f64();
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let dimensions = format!("{}x{}", thumbnail.width, thumbnail.height);
    println!("{name:<48} {size:>6} {dimensions:>11} {rate:>13.1} {:>10}", thumbnail.bytes.len());
    Ok(())
}

/// Returns the peak resident set size in KiB from /proc/self/status.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
