//! Measures how fast pressrun makes thumbnails of large photos, and its
//! peak memory meanwhile. Each set of photos is uploaded to a fresh site
//! with `ThumbnailSizes 120 480`, then `run-periodic-tasks --workers
//! publish` is timed: it copies each photo under the site root and makes
//! its two thumbnails, and nothing else.
//!
//! ```text
//! cargo bench --bench thumbnails -- [--runs 3] [--keep DIR] [--fixtures DIR]
//! ```
//!
//! The sets are generated photos of 4000x3000 and 6000x4000 pixels (see
//! `thumbnails/photos.rs`) and, when the fixtures folder exists, the real
//! 1800x1200 photos `exif-orientation-examples__*.jpg` in it.

#[path = "common/mod.rs"]
#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;
#[path = "thumbnails/photos.rs"]
mod photos;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;

use common::options::{RunOptions, create_fresh_dir};
use common::process::{self, Measured};
use common::report::{self, Row};
use common::site::{self, PublishCounts, Site};

/// Thumbnail widths, as in the config line `ThumbnailSizes 120 480`.
const WIDTHS: [u32; 2] = [120, 480];

/// Generated photos per size.
const GENERATED_PER_SIZE: usize = 6;

/// The shared image fixtures folder beside the repository checkout, the
/// same folder the tests read.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/images");

/// The prefix of the real photos among the fixtures.
const FIXTURE_PREFIX: &str = "exif-orientation-examples__";

#[derive(Parser)]
#[command(about = "Upload large photos and time how fast pressrun makes their thumbnails")]
struct Arguments {
    /// A folder with the real photos `exif-orientation-examples__*.jpg`;
    /// that set is left out when the folder does not exist.
    #[arg(long, value_name = "DIR", default_value = FIXTURES)]
    fixtures: PathBuf,

    #[command(flatten)]
    run: RunOptions,
}

/// Photos that are uploaded together to one site.
struct PhotoSet {
    label: String,
    files: Vec<PathBuf>,
    /// Pixels of all photos together.
    pixels: u64,
}

/// Measurements of one set in one run.
struct SetResult {
    upload: Measured,
    publish: Measured,
    published: PublishCounts,
    thumbnails: usize,
}

fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    arguments.run.validate()?;
    let work_dir = arguments.run.work_dir("pressrun-thumbnails-")?;
    let sets = photo_sets(&work_dir.path.join("photos"), &arguments.fixtures)?;
    for set in &sets {
        eprintln!("{}: {} files, {:.1} MiB", set.label, set.files.len(), total_size(&set.files)? as f64 / 1_048_576.0);
    }

    let runs = arguments.run.runs;
    let mut results: Vec<Vec<SetResult>> = Vec::new();
    for number in 1..=runs {
        let dir = work_dir.run_dir(number)?;
        let mut run_results = Vec::new();
        for (index, set) in sets.iter().enumerate() {
            let result = measure(&dir.join(format!("set{}", index + 1)), set)?;
            eprintln!("run {number}/{runs}: {}: {}", set.label, summarize(&result));
            run_results.push(result);
        }
        results.push(run_results);
    }

    println!("## Results: thumbnail widths {WIDTHS:?}, {runs} runs\n");
    println!("{}", report::table(&rows(&sets, &results)));
    println!("Photo sets:\n");
    for set in &sets {
        let size = total_size(&set.files)? as f64 / 1_048_576.0;
        println!("- {}: {} files, {size:.1} MiB of JPEG", set.label, set.files.len());
    }
    println!("\nMachine:\n\n{}", report::machine_facts(&work_dir.path, &[]));
    Ok(())
}

/// Generates the two sets of large photos into `dir` and adds the fixture
/// set when `fixtures` exists.
fn photo_sets(dir: &Path, fixtures: &Path) -> anyhow::Result<Vec<PhotoSet>> {
    create_fresh_dir(dir)?;

    let mut sets = Vec::new();
    for (seed, (width, height)) in [(4000, 3000), (6000, 4000)].into_iter().enumerate() {
        eprintln!("generating {GENERATED_PER_SIZE} photos of {width}x{height}");
        let files = photos::generate(dir, GENERATED_PER_SIZE, width, height, seed as u64 * 1000)?;
        let pixels = files.len() as u64 * u64::from(width) * u64::from(height);
        sets.push(PhotoSet { label: format!("generated {width}x{height}"), files, pixels });
    }

    if !fixtures.is_dir() {
        eprintln!("{} does not exist; leaving out the real photos", fixtures.display());
        return Ok(sets);
    }
    let mut files: Vec<PathBuf> =
        fs::read_dir(fixtures)?.map(|item| item.map(|item| item.path())).collect::<Result<_, _>>()?;
    files.retain(|path| {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        name.starts_with(FIXTURE_PREFIX) && name.ends_with(".jpg")
    });
    files.sort();
    if files.is_empty() {
        bail!("{} has no {FIXTURE_PREFIX}*.jpg files", fixtures.display());
    }

    let mut pixels = 0;
    for file in &files {
        let (width, height) =
            image::image_dimensions(file).with_context(|| format!("cannot read {}", file.display()))?;
        pixels += u64::from(width) * u64::from(height);
    }
    sets.push(PhotoSet { label: "real photos 1800x1200".to_string(), files, pixels });
    Ok(sets)
}

fn total_size(files: &[PathBuf]) -> anyhow::Result<u64> {
    files.iter().map(|file| Ok(fs::metadata(file)?.len())).sum()
}

/// Uploads `set` to a fresh site in `dir`, times the publish run that
/// makes the thumbnails, and checks that every thumbnail is there with one
/// of the configured widths.
fn measure(dir: &Path, set: &PhotoSet) -> anyhow::Result<SetResult> {
    create_fresh_dir(dir)?;
    let site = Site::init(dir)?;
    let sizes: Vec<String> = WIDTHS.iter().map(u32::to_string).collect();
    site.append_config(&format!("ThumbnailSizes {}\n", sizes.join(" ")))?;
    // A new site publishes its index files with the first change. Publish
    // them now, so that the timed run makes only the photos' files.
    site.run("publish-all", &["publish", "--all"])?;
    site.run("first-publish", &["run-periodic-tasks", "--workers", "publish"])?;

    let mut upload_args = vec!["upload", "--folder", "photos", "--"];
    for file in &set.files {
        upload_args.push(site::path_str(file)?);
    }
    let upload = site.run("upload", &upload_args)?;
    process::flush_file_systems();
    let publish = site.run("run-publish", &["run-periodic-tasks", "--verbose", "--workers", "publish"])?;

    let thumbnails = count_thumbnails(&site.root.join("photos"))?;
    let expected = set.files.len() * WIDTHS.len();
    if thumbnails != expected {
        bail!("{} has {thumbnails} thumbnails; expected {expected}", site.root.join("photos").display());
    }
    let published = site::publish_counts(&publish.stderr);
    if published.jobs != set.files.len() + thumbnails {
        bail!("the timed run published {} jobs; expected one per photo and thumbnail", published.jobs);
    }
    Ok(SetResult { upload, published, publish, thumbnails })
}

/// Counts the files named `*-thumb-WxH.*` in `dir` and fails unless each
/// is an image of one of the configured widths.
fn count_thumbnails(dir: &Path) -> anyhow::Result<usize> {
    let mut count = 0;
    for item in fs::read_dir(dir)? {
        let path = item?.path();
        if !path.file_name().and_then(|name| name.to_str()).is_some_and(|name| name.contains("-thumb-")) {
            continue;
        }
        let (width, _) = image::image_dimensions(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if !WIDTHS.contains(&width) {
            bail!("{} is {width} pixels wide; expected one of {WIDTHS:?}", path.display());
        }
        count += 1;
    }
    Ok(count)
}

fn summarize(result: &SetResult) -> String {
    format!(
        "upload {:.2} s, publish {:.2} s ({} jobs, {} thumbnails, {:.1} MiB peak)",
        result.upload.seconds,
        result.publish.seconds,
        result.published.jobs,
        result.thumbnails,
        result.publish.peak_rss_mib()
    )
}

fn rows(sets: &[PhotoSet], results: &[Vec<SetResult>]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, set) in sets.iter().enumerate() {
        let label = &set.label;
        let values = |f: &dyn Fn(&SetResult) -> f64| results.iter().map(|run| f(&run[index])).collect::<Vec<_>>();
        // Each thumbnail job decodes its photo in full.
        let decoded_pixels = set.pixels as f64 * WIDTHS.len() as f64;
        rows.extend([
            Row::new(&format!("{label}: `upload` (s)"), 2, values(&|r| r.upload.seconds)),
            Row::new(
                &format!("{label}: `run-periodic-tasks --workers publish` (s)"),
                2,
                values(&|r| r.publish.seconds),
            ),
            Row::new(&format!("{label}: jobs (photos and thumbnails)"), 0, values(&|r| r.published.jobs as f64)),
            Row::new(&format!("{label}: thumbnails made"), 0, values(&|r| r.thumbnails as f64)),
            Row::new(&format!("{label}: thumbnails/s"), 2, values(&|r| r.thumbnails as f64 / r.publish.seconds)),
            Row::new(
                &format!("{label}: source megapixels decoded/s"),
                1,
                values(&|r| decoded_pixels / 1e6 / r.publish.seconds),
            ),
            Row::new(&format!("{label}: CPU time, user + system (s)"), 2, values(&|r| r.publish.cpu_seconds)),
            Row::new(&format!("{label}: peak RSS (MiB)"), 1, values(&|r| r.publish.peak_rss_mib())),
            Row::new(&format!("{label}: other CPU time (s)"), 2, values(&|r| r.publish.other_cpu_seconds)),
        ]);
    }
    let all = |run: &Vec<SetResult>| {
        let thumbnails: usize = run.iter().map(|r| r.thumbnails).sum();
        thumbnails as f64 / run.iter().map(|r| r.publish.seconds).sum::<f64>()
    };
    rows.push(Row::new("all sets: thumbnails/s", 2, results.iter().map(all)));
    rows
}
