//! The generated site: entries with titles, dates, categories and
//! paragraphs, drawn from a seeded PRNG so that every run and every machine
//! gets the same text. Written once as a Movable Type export for pressrun
//! and once as Markdown files for Hugo.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

/// The PRNG seed. `StdRng` is only reproducible within one `rand` version,
/// which Cargo.lock pins.
const SEED: u64 = 20_190_501;

/// The author of every entry.
pub const AUTHOR: &str = "Bench Writer";

pub const CATEGORIES: [&str; 12] = [
    "Travel",
    "Cooking",
    "Field Notes",
    "Books",
    "Music",
    "Gardening",
    "Photography",
    "Programming",
    "Cycling",
    "Weather",
    "History",
    "Letters",
];

/// The vocabulary of titles and paragraphs, separated by whitespace.
const VOCABULARY: &str = "\
    river morning window garden letter train market bridge winter summer paper coffee station harbor \
    mountain valley forest lantern kitchen street engine village library journey shadow signal orchard \
    meadow harvest ticket notebook compass island weather thunder evening bicycle camera record melody \
    chapter border canal tower festival season courtyard workshop hammer ladder basket candle pocket \
    mirror saddle anchor tunnel rooftop garage cellar staircase is was seems looks stays turns feels \
    becomes remains grows waits moves quiet bright narrow heavy early late warm cold green old new small \
    large slow quick gentle rough steady strange familiar distant crowded empty the a this that every \
    some another our their each of in on near under over behind along through across with without after \
    before and but so while because then again still almost always never often rarely today yesterday \
    tomorrow carefully slowly suddenly finally together alone outside inside north south east west \
    friend neighbor stranger teacher baker farmer painter writer walks reads writes listens watches \
    builds carries repairs paints counts sings opens closes finds loses keeps";

/// One generated entry.
pub struct Entry {
    /// 1 for the oldest entry.
    pub number: usize,
    pub title: String,
    pub date: DateTime<Utc>,
    /// Two or three names from [`CATEGORIES`], without repeats.
    pub categories: Vec<&'static str>,
    /// Paragraphs of plain words, no markup.
    pub paragraphs: Vec<String>,
}

impl Entry {
    pub fn basename(&self) -> String {
        format!("entry_{}", self.number)
    }

    /// Returns the label of the monthly archive the entry belongs to, such as `2019-05`.
    pub fn month(&self) -> String {
        self.date.format("%Y-%m").to_string()
    }
}

/// Generates `count` entries, oldest first, spread evenly over 2015 to
/// 2024 (one every 8.8 hours for 10,000 entries) with a random offset of
/// less than half a step each, so dates stay in order.
pub fn generate(count: usize) -> Vec<Entry> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let words: Vec<&str> = VOCABULARY.split_whitespace().collect();
    let start = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let step = (end - start).num_seconds() / count.max(1) as i64;
    (0..count)
        .map(|index| {
            let offset = index as i64 * step + rng.random_range(0..(step / 2).max(1));
            Entry {
                number: index + 1,
                title: title(&mut rng, &words),
                date: start + Duration::seconds(offset),
                categories: categories(&mut rng),
                paragraphs: (0..rng.random_range(3..=6)).map(|_| paragraph(&mut rng, &words)).collect(),
            }
        })
        .collect()
}

fn title(rng: &mut StdRng, words: &[&str]) -> String {
    let count = rng.random_range(3..=6);
    capitalize(&random_words(rng, words, count))
}

fn categories(rng: &mut StdRng) -> Vec<&'static str> {
    let count = rng.random_range(2..=3);
    let mut chosen: Vec<&'static str> = CATEGORIES.choose_multiple(rng, count).copied().collect();
    chosen.shuffle(rng);
    chosen
}

/// About 60 words (50 to 70) in sentences of 6 to 14 words.
fn paragraph(rng: &mut StdRng, words: &[&str]) -> String {
    let target = rng.random_range(50..=70);
    let mut sentences = Vec::new();
    let mut written = 0;
    while written < target {
        let length = rng.random_range(6..=14).min(target - written).max(3);
        sentences.push(format!("{}.", capitalize(&random_words(rng, words, length))));
        written += length;
    }
    sentences.join(" ")
}

fn random_words(rng: &mut StdRng, words: &[&str], count: usize) -> String {
    (0..count).map(|_| *words.choose(rng).expect("vocabulary is not empty")).collect::<Vec<_>>().join(" ")
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Writes the entries as a Movable Type export file.
pub fn write_mt_export(entries: &[Entry], path: &Path) -> anyhow::Result<()> {
    let mut text = String::with_capacity(entries.len() * 2500);
    for entry in entries {
        writeln!(text, "AUTHOR: {AUTHOR}")?;
        writeln!(text, "TITLE: {}", entry.title)?;
        writeln!(text, "BASENAME: {}", entry.basename())?;
        writeln!(text, "STATUS: Publish")?;
        writeln!(text, "ALLOW COMMENTS: 0")?;
        writeln!(text, "CONVERT BREAKS: __default__")?;
        for category in &entry.categories {
            writeln!(text, "CATEGORY: {category}")?;
        }
        writeln!(text, "DATE: {}", entry.date.format("%m/%d/%Y %I:%M:%S %p"))?;
        writeln!(text, "-----")?;
        writeln!(text, "BODY:")?;
        writeln!(text, "{}", entry.paragraphs.join("\n\n"))?;
        writeln!(text, "-----")?;
        writeln!(text, "--------")?;
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the entries as `content/posts/entry_N.md` under a Hugo site
/// directory, with TOML front matter.
pub fn write_hugo_content(entries: &[Entry], site: &Path) -> anyhow::Result<()> {
    let posts = site.join("content/posts");
    fs::create_dir_all(&posts).with_context(|| format!("cannot create {}", posts.display()))?;
    for entry in entries {
        let path = posts.join(format!("{}.md", entry.basename()));
        fs::write(&path, hugo_page(entry)).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn hugo_page(entry: &Entry) -> String {
    let categories: Vec<String> = entry.categories.iter().map(|name| toml_string(name)).collect();
    let mut text = String::from("+++\n");
    text.push_str(&format!("title = {}\n", toml_string(&entry.title)));
    text.push_str(&format!("date = {}\n", entry.date.format("%Y-%m-%dT%H:%M:%S+00:00")));
    text.push_str(&format!("slug = {}\n", toml_string(&entry.basename())));
    text.push_str(&format!("author = {}\n", toml_string(AUTHOR)));
    text.push_str(&format!("categories = [{}]\n", categories.join(", ")));
    text.push_str(&format!("months = [{}]\n", toml_string(&entry.month())));
    text.push_str("+++\n");
    text.push_str(&entry.paragraphs.join("\n\n"));
    text.push('\n');
    text
}

/// Quotes `value` as a TOML basic string.
fn toml_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}
