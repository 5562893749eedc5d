//! The Markdown table of medians and the machine facts.

use std::fs;
use std::path::Path;

use super::process;
use super::site::PRESSRUN;

/// One row of the table: a measure and its value in every run.
pub struct Row {
    pub label: String,
    pub values: Vec<f64>,
    /// Digits after the decimal point.
    pub decimals: usize,
}

impl Row {
    pub fn new(label: &str, decimals: usize, values: impl IntoIterator<Item = f64>) -> Row {
        Row { label: label.to_string(), values: values.into_iter().collect(), decimals }
    }

    fn sorted(&self) -> Vec<f64> {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    /// Returns the middle value, or the mean of the two middle values for an even
    /// number of runs.
    fn median(&self) -> f64 {
        let sorted = self.sorted();
        let middle = sorted.len() / 2;
        if sorted.len() % 2 == 1 { sorted[middle] } else { (sorted[middle - 1] + sorted[middle]) / 2.0 }
    }

    fn format(&self, value: f64) -> String {
        format!("{value:.*}", self.decimals)
    }
}

/// Formats a Markdown table with the median, minimum and maximum of every row.
pub fn table(rows: &[Row]) -> String {
    let mut text = String::from("| measure | median | min | max |\n|---|---:|---:|---:|\n");
    for row in rows.iter().filter(|row| !row.values.is_empty()) {
        let sorted = row.sorted();
        text.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row.label,
            row.format(row.median()),
            row.format(sorted[0]),
            row.format(sorted[sorted.len() - 1])
        ));
    }
    text
}

/// Lists the machine and the software versions in Markdown. `work_dir`
/// is where the runs wrote their files, and `tools` are version lines of
/// further programs that the benchmark ran.
pub fn machine_facts(work_dir: &Path, tools: &[String]) -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".to_string());
    let processors = cpuinfo.lines().filter(|line| line.starts_with("processor")).count();
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = field(&meminfo, "MemTotal")
        .and_then(|value| value.strip_suffix(" kB")?.parse::<f64>().ok())
        .map_or_else(|| "unknown".to_string(), |kib| format!("{:.1} GiB", kib / 1_048_576.0));
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let repository = env!("CARGO_MANIFEST_DIR");
    let commit = process::version_line("git", &["-C", repository, "rev-parse", "--short", "HEAD"]);

    let mut text = String::new();
    text.push_str(&format!("- CPU: {model}, {processors} logical processors\n"));
    text.push_str(&format!("- memory: {memory}; Linux {}\n", kernel.trim()));
    text.push_str(&format!("- file system of the output directories: {}\n", file_system(work_dir)));
    text.push_str(&format!("- {} (commit {commit})\n", process::version_line(PRESSRUN, &["--version"])));
    for tool in tools {
        text.push_str(&format!("- {tool}\n"));
    }
    let rsync = process::version_line("rsync", &["--version"]);
    text.push_str(&format!("- {}\n", rsync.split_whitespace().collect::<Vec<_>>().join(" ")));
    text.push_str(&format!("- date: {}\n", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")));
    text
}

/// Returns the value of the first `name: value` line in a /proc file.
fn field(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find(|line| line.split(':').next().is_some_and(|key| key.trim() == name))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim().to_string())
}

/// Returns the type and mount options of the file system that contains `path`, from
/// /proc/mounts (the longest mount point that is a prefix of the path).
fn file_system(path: &Path) -> String {
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    mounts
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.len() >= 4 && path.starts_with(fields[1])).then(|| (fields[1].len(), fields[2], fields[3]))
        })
        .max_by_key(|(length, _, _)| *length)
        .map(|(_, kind, options)| format!("{kind} ({options})"))
        .unwrap_or_else(|| "unknown".to_string())
}
