//! The configuration file: `Name value` lines with `#` comments, as in
//! Movable Type's `mt-config.cgi`.
//!
//! Directive names are case-insensitive. `SyncTarget` may be repeated; any
//! other directive given twice keeps its last value. Loading checks every
//! line and reports all problems at once, each with its line number, so that
//! a bad config is fixed in one pass.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod builder;
mod directive;

use self::builder::Builder;
pub use self::builder::{check_writable_dir, find_program};
use crate::sync::target::Target;
use crate::time::SiteTimeZone;

/// A loaded and checked configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file this configuration was read from.
    pub path: PathBuf,
    pub site_name: String,
    /// The site root: the directory files are published into.
    pub site_path: PathBuf,
    /// The URL of the site root, always ending in `/`.
    pub site_url: String,
    pub time_zone: SiteTimeZone,
    pub database: PathBuf,
    /// Directory for rsync file lists and ssh control sockets.
    pub temp_dir: PathBuf,
    pub targets: Vec<Target>,
    pub rsync: RsyncSettings,
    pub sync: SyncSettings,
    pub queue: QueueSettings,
    pub assets: AssetSettings,
}

/// Settings for running rsync.
#[derive(Clone, Debug)]
pub struct RsyncSettings {
    /// The rsync executable, resolved through `PATH` when it has no `/`.
    pub program: PathBuf,
    /// Extra arguments from `RsyncOptions`, split as a shell would split them.
    pub options: Vec<String>,
    /// Time allowed to set up a connection (`ssh -o ConnectTimeout`,
    /// `rsync --contimeout`).
    pub connect_timeout: Duration,
    /// Time without any I/O after which rsync gives up (`rsync --timeout`).
    pub io_timeout: Duration,
    /// Time after which pressrun ends an rsync run and its children.
    pub deadline: Duration,
}

/// Settings for syncing and retrying targets.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// How many targets are synced at once; 0 means all of them.
    pub parallel: usize,
    /// The first retry delay after a failure; it doubles with each failure.
    pub retry_base: Duration,
    /// The maximum delay between retries.
    pub retry_max: Duration,
    /// How long an idle ssh control connection stays open in daemon mode.
    pub control_persist: Duration,
    /// Files per rsync run.
    pub batch_size: usize,
    /// The way removals reach a target whose rsync lacks `--delete-missing-args`.
    pub delete_fallback: DeleteFallback,
}

/// Ways for removals to reach a target whose rsync is older than 3.1.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteFallback {
    /// They are reported as failed and stay pending.
    None,
    /// The parent directory of each removed path is synced with `--delete`,
    /// which also removes files there that pressrun did not put there.
    Directory,
}

/// Settings for handing out jobs.
#[derive(Clone, Debug)]
pub struct QueueSettings {
    /// How long a claim on a job or a target lasts without renewal.
    pub lease: Duration,
    /// Jobs claimed and rendered together.
    pub batch_size: usize,
}

/// Limits and sizes for uploaded files.
#[derive(Clone, Debug)]
pub struct AssetSettings {
    /// Directory of the uploaded files' bytes, named by content hash.
    pub store_dir: PathBuf,
    /// Thumbnail widths, in pixels, made for every uploaded image.
    pub thumbnail_sizes: Vec<u32>,
    /// The format of thumbnails; `None` keeps each image's own format.
    pub thumbnail_format: Option<crate::asset::image::ImageFormat>,
    pub max_upload_bytes: u64,
    pub max_image_pixels: u64,
}

/// A problem with one line (or one missing directive) of a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line number, or `None` for a directive that is missing.
    pub line: Option<usize>,
    pub directive: String,
    pub message: String,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.directive, self.message),
            None => write!(f, "{}: {}", self.directive, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "config file {path} does not exist; create a site with `pressrun init DIR`, or name its config \
         with --config FILE or PRESSRUN_CONFIG"
    )]
    Missing { path: PathBuf },
    #[error("config file {path} is not valid UTF-8 (line {line})")]
    Encoding { path: PathBuf, line: usize },
    #[error("invalid config file {path}:\n{}", format_problems(.problems))]
    Invalid { path: PathBuf, problems: Vec<LineProblem> },
}

fn format_problems(problems: &[LineProblem]) -> String {
    problems.iter().map(|problem| format!("  {problem}")).collect::<Vec<_>>().join("\n")
}

/// A config together with the warnings found while loading it.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// Lines that were ignored, such as unknown directives.
    pub warnings: Vec<LineProblem>,
}

/// Options that pressrun sets itself for every rsync run; a value for them
/// in `RsyncOptions` would change which files are sent or deleted.
const RESERVED_RSYNC_OPTIONS: &[&str] = &[
    "--files-from",
    "--from0",
    "-0",
    "--delete",
    "--delete-missing-args",
    "--remove-source-files",
    "--dry-run",
    "-n",
    "--list-only",
];

impl Config {
    /// Reads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
        let bytes = fs::read(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ConfigError::Missing { path: path.to_path_buf() },
            _ => ConfigError::Read { path: path.to_path_buf(), source },
        })?;
        let text = String::from_utf8(bytes).map_err(|error| {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            ConfigError::Encoding { path: path.to_path_buf(), line }
        })?;
        Config::parse(path, &text)
    }

    /// Checks config text as if it had been read from `path`; relative
    /// paths in it are resolved against the directory of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Loaded, ConfigError> {
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut builder = Builder::new(base_dir);
        for (index, raw) in text.lines().enumerate() {
            builder.read_line(index + 1, raw);
        }
        builder.finish(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Loaded, ConfigError> {
        Config::parse(Path::new("/etc/pressrun/pressrun.conf"), text)
    }

    fn problems(text: &str) -> Vec<LineProblem> {
        match parse(text) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("expected an invalid config, got {other:?}"),
        }
    }

    #[test]
    fn reads_directives_case_insensitively() {
        let loaded = parse("# comment\nsitepath /srv/site\nSiteURL http://example.com\nTEMPPATH /tmp\n").unwrap();
        assert_eq!(loaded.config.site_path, PathBuf::from("/srv/site"));
        assert_eq!(loaded.config.site_url, "http://example.com/");
        assert_eq!(loaded.config.temp_dir, PathBuf::from("/tmp"));
        assert_eq!(loaded.config.database, PathBuf::from("/etc/pressrun/pressrun.db"));
    }

    #[test]
    fn relative_sync_target_names_its_line() {
        let found = problems("SitePath /srv/site\nSyncTarget /srv/mirror\nSyncTarget mirror\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(3));
        assert!(found[0].message.contains("relative"), "{}", found[0].message);
    }

    #[test]
    fn unknown_directive_is_a_warning() {
        let loaded = parse("SitePath /srv/site\nCGIPath /cgi-bin/mt/\n").unwrap();
        assert_eq!(loaded.warnings.len(), 1);
        assert_eq!(loaded.warnings[0].line, Some(2));
        assert_eq!(loaded.warnings[0].directive, "CGIPath");
    }

    #[test]
    fn missing_temp_dir_names_its_line() {
        let found = problems("SitePath /srv/site\nTempDir /nonexistent/pressrun-temp\n");
        assert_eq!(found[0].line, Some(2));
        assert_eq!(found[0].directive, "TempDir");
    }

    #[test]
    fn rsync_options_split_like_a_shell() {
        let loaded = parse("SitePath /s\nRsyncOptions -e 'ssh -p 2222' --bwlimit=100\n").unwrap();
        assert_eq!(loaded.config.rsync.options, vec!["-e", "ssh -p 2222", "--bwlimit=100"]);
        let found = problems("SitePath /s\nRsyncOptions -e 'ssh\n");
        assert_eq!(found[0].directive, "RsyncOptions");
        let found = problems("SitePath /s\nRsyncOptions --delete-after\n");
        assert!(found[0].message.contains("set by pressrun"));
    }

    #[test]
    fn missing_rsync_is_reported_only_with_targets() {
        assert!(parse("SitePath /s\nRsyncPath /nonexistent/rsync\n").is_ok());
        let found = problems("SitePath /s\nRsyncPath /nonexistent/rsync\nSyncTarget /m\n");
        assert_eq!(found[0].line, Some(2));
        assert_eq!(found[0].directive, "RsyncPath");
    }

    #[test]
    fn sizes_take_suffixes() {
        use super::builder::parse_size;
        assert_eq!(parse_size("20M"), Some(20 * 1024 * 1024));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
    }
}
