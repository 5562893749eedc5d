//! The configuration file: `Name value` lines with `#` comments, as in
//! Movable Type's `mt-config.cgi`.
//!
//! Directive names are case-insensitive. `SyncTarget` may be repeated; any
//! other directive given twice keeps its last value. Loading checks every
//! line and reports all problems at once, each with its line number, so that
//! a bad config is fixed in one pass.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sync::target::{Target, TargetError};
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
    /// Where rsync file lists and ssh control sockets go.
    pub temp_dir: PathBuf,
    pub targets: Vec<Target>,
    pub rsync: RsyncSettings,
    pub sync: SyncSettings,
    pub queue: QueueSettings,
    pub assets: AssetSettings,
}

/// How rsync is run.
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

/// How targets are synced and retried.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// How many targets are synced at once; 0 means all of them.
    pub parallel: usize,
    /// The first retry delay after a failure; it doubles with each failure.
    pub retry_base: Duration,
    /// The longest delay between retries.
    pub retry_max: Duration,
    /// How long an idle ssh control connection stays open in daemon mode.
    pub control_persist: Duration,
    /// Files per rsync run.
    pub batch_size: usize,
    /// How removals reach a target whose rsync lacks `--delete-missing-args`.
    pub delete_fallback: DeleteFallback,
}

/// How removals reach a target whose rsync is older than 3.1.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteFallback {
    /// They are reported as failed and stay pending.
    None,
    /// The parent directory of each removed path is synced with `--delete`,
    /// which also removes files there that pressrun did not put there.
    Directory,
}

/// How the queue hands out jobs.
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
    /// Where the bytes of uploaded files are kept, by content hash.
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
        let bytes = fs::read(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
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

/// Collects directives and problems line by line.
struct Builder {
    base_dir: PathBuf,
    problems: Vec<LineProblem>,
    warnings: Vec<LineProblem>,
    values: Vec<(usize, Directive, String)>,
}

/// The directives pressrun understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    SyncTarget,
    RsyncOptions,
    RsyncPath,
    TempDir,
    Database,
    SitePath,
    SiteUrl,
    SiteName,
    TimeZone,
    SyncParallel,
    SyncConnectTimeout,
    SyncIoTimeout,
    SyncDeadline,
    SyncRetryBase,
    SyncRetryMax,
    SyncBatchSize,
    SyncDeleteFallback,
    SshControlPersist,
    QueueLease,
    PublishBatchSize,
    AssetStore,
    ThumbnailSizes,
    ThumbnailFormat,
    MaxUploadSize,
    MaxImagePixels,
}

impl Directive {
    fn from_name(name: &str) -> Option<Directive> {
        let directive = match name.to_ascii_lowercase().as_str() {
            "synctarget" => Directive::SyncTarget,
            "rsyncoptions" => Directive::RsyncOptions,
            "rsyncpath" => Directive::RsyncPath,
            "tempdir" | "temppath" => Directive::TempDir,
            "database" => Directive::Database,
            "sitepath" => Directive::SitePath,
            "siteurl" => Directive::SiteUrl,
            "sitename" => Directive::SiteName,
            "timezone" => Directive::TimeZone,
            "syncparallel" => Directive::SyncParallel,
            "syncconnecttimeout" => Directive::SyncConnectTimeout,
            "synciotimeout" => Directive::SyncIoTimeout,
            "syncdeadline" => Directive::SyncDeadline,
            "syncretrybase" => Directive::SyncRetryBase,
            "syncretrymax" => Directive::SyncRetryMax,
            "syncbatchsize" => Directive::SyncBatchSize,
            "syncdeletefallback" => Directive::SyncDeleteFallback,
            "sshcontrolpersist" => Directive::SshControlPersist,
            "queuelease" => Directive::QueueLease,
            "publishbatchsize" => Directive::PublishBatchSize,
            "assetstore" => Directive::AssetStore,
            "thumbnailsizes" => Directive::ThumbnailSizes,
            "thumbnailformat" => Directive::ThumbnailFormat,
            "maxuploadsize" => Directive::MaxUploadSize,
            "maximagepixels" => Directive::MaxImagePixels,
            _ => return None,
        };
        Some(directive)
    }

    fn name(self) -> &'static str {
        match self {
            Directive::SyncTarget => "SyncTarget",
            Directive::RsyncOptions => "RsyncOptions",
            Directive::RsyncPath => "RsyncPath",
            Directive::TempDir => "TempDir",
            Directive::Database => "Database",
            Directive::SitePath => "SitePath",
            Directive::SiteUrl => "SiteURL",
            Directive::SiteName => "SiteName",
            Directive::TimeZone => "TimeZone",
            Directive::SyncParallel => "SyncParallel",
            Directive::SyncConnectTimeout => "SyncConnectTimeout",
            Directive::SyncIoTimeout => "SyncIOTimeout",
            Directive::SyncDeadline => "SyncDeadline",
            Directive::SyncRetryBase => "SyncRetryBase",
            Directive::SyncRetryMax => "SyncRetryMax",
            Directive::SyncBatchSize => "SyncBatchSize",
            Directive::SyncDeleteFallback => "SyncDeleteFallback",
            Directive::SshControlPersist => "SshControlPersist",
            Directive::QueueLease => "QueueLease",
            Directive::PublishBatchSize => "PublishBatchSize",
            Directive::AssetStore => "AssetStore",
            Directive::ThumbnailSizes => "ThumbnailSizes",
            Directive::ThumbnailFormat => "ThumbnailFormat",
            Directive::MaxUploadSize => "MaxUploadSize",
            Directive::MaxImagePixels => "MaxImagePixels",
        }
    }
}

impl Builder {
    fn new(base_dir: PathBuf) -> Builder {
        Builder { base_dir, problems: Vec::new(), warnings: Vec::new(), values: Vec::new() }
    }

    fn read_line(&mut self, line: usize, raw: &str) {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            return;
        }

        let (name, value) = match text.split_once(char::is_whitespace) {
            Some((name, value)) => (name, value.trim()),
            None => (text, ""),
        };
        let Some(directive) = Directive::from_name(name) else {
            self.warnings.push(LineProblem {
                line: Some(line),
                directive: name.to_string(),
                message: "unknown directive; the line is ignored".to_string(),
            });
            return;
        };
        if value.is_empty() {
            self.problem(Some(line), directive, "missing value");
            return;
        }
        self.values.push((line, directive, value.to_string()));
    }

    fn problem(&mut self, line: Option<usize>, directive: Directive, message: impl Into<String>) {
        self.problems.push(LineProblem { line, directive: directive.name().to_string(), message: message.into() });
    }

    /// The last value given for `directive`, with its line.
    fn last(&self, directive: Directive) -> Option<(usize, String)> {
        self.values.iter().rev().find(|(_, d, _)| *d == directive).map(|(line, _, value)| (*line, value.clone()))
    }

    fn finish(mut self, path: &Path) -> Result<Loaded, ConfigError> {
        let site_path = self.site_path();
        let site_url = self.site_url();
        let targets = self.targets();
        let temp_dir = self.temp_dir();
        let rsync = self.rsync_settings(!targets.is_empty());
        let sync = self.sync_settings();
        let queue = self.queue_settings();
        let assets = self.asset_settings();
        let time_zone = self.time_zone();
        let database = self
            .last(Directive::Database)
            .map_or_else(|| self.base_dir.join("pressrun.db"), |(_, value)| self.resolve(&value));
        let site_name = self.last(Directive::SiteName).map_or_else(|| "My Site".to_string(), |(_, value)| value);

        if !self.problems.is_empty() {
            return Err(ConfigError::Invalid { path: path.to_path_buf(), problems: self.problems });
        }
        let config = Config {
            path: path.to_path_buf(),
            site_name,
            site_path: site_path.unwrap_or_default(),
            site_url,
            time_zone,
            database,
            temp_dir,
            targets,
            rsync,
            sync,
            queue,
            assets,
        };
        Ok(Loaded { config, warnings: self.warnings })
    }

    fn resolve(&self, value: &str) -> PathBuf {
        let path = PathBuf::from(value);
        if path.is_absolute() { path } else { self.base_dir.join(path) }
    }

    fn site_path(&mut self) -> Option<PathBuf> {
        let Some((line, value)) = self.last(Directive::SitePath) else {
            self.problem(None, Directive::SitePath, "not set; give the absolute path of the site root");
            return None;
        };
        let path = PathBuf::from(&value);
        if !path.is_absolute() {
            self.problem(Some(line), Directive::SitePath, format!("{value:?} is relative; give an absolute path"));
            return None;
        }
        Some(path)
    }

    fn site_url(&mut self) -> String {
        let Some((line, value)) = self.last(Directive::SiteUrl) else {
            return "/".to_string();
        };
        if !(value.starts_with("http://") || value.starts_with("https://") || value.starts_with('/')) {
            self.problem(
                Some(line),
                Directive::SiteUrl,
                format!("{value:?} is not an http(s) URL or an absolute path such as /blog/"),
            );
        }
        if value.ends_with('/') { value } else { format!("{value}/") }
    }

    fn targets(&mut self) -> Vec<Target> {
        let mut targets = Vec::new();
        let mut seen = HashSet::new();
        let lines: Vec<_> = self
            .values
            .iter()
            .filter(|(_, d, _)| *d == Directive::SyncTarget)
            .map(|(line, _, value)| (*line, value.clone()))
            .collect();
        for (line, value) in lines {
            match Target::parse(&value) {
                Ok(target) if !seen.insert(target.name.clone()) => {
                    self.warnings.push(LineProblem {
                        line: Some(line),
                        directive: "SyncTarget".to_string(),
                        message: format!("{value:?} is listed twice; the repeat is ignored"),
                    });
                }
                Ok(target) => targets.push(target),
                Err(error) => self.problem(Some(line), Directive::SyncTarget, target_message(&value, &error)),
            }
        }
        targets
    }

    fn temp_dir(&mut self) -> PathBuf {
        let Some((line, value)) = self.last(Directive::TempDir) else {
            return std::env::temp_dir();
        };
        let path = self.resolve(&value);
        if let Err(message) = check_writable_dir(&path) {
            self.problem(Some(line), Directive::TempDir, format!("{}: {message}", path.display()));
        }
        path
    }

    fn rsync_settings(&mut self, needed: bool) -> RsyncSettings {
        let options = self.rsync_options();
        let program = match self.last(Directive::RsyncPath) {
            Some((line, value)) => self.resolve_program(Some(line), &value, needed),
            None => self.resolve_program(None, "rsync", needed),
        };
        RsyncSettings {
            program,
            options,
            connect_timeout: self.seconds(Directive::SyncConnectTimeout, 10),
            io_timeout: self.seconds(Directive::SyncIoTimeout, 60),
            deadline: self.seconds(Directive::SyncDeadline, 1800),
        }
    }

    fn rsync_options(&mut self) -> Vec<String> {
        let Some((line, value)) = self.last(Directive::RsyncOptions) else {
            return Vec::new();
        };
        let options = match shell_words::split(&value) {
            Ok(options) => options,
            Err(error) => {
                self.problem(Some(line), Directive::RsyncOptions, format!("cannot split {value:?}: {error}"));
                return Vec::new();
            }
        };
        for option in &options {
            let name = option.split('=').next().unwrap_or(option);
            if RESERVED_RSYNC_OPTIONS.contains(&name) || name.starts_with("--delete") {
                self.problem(
                    Some(line),
                    Directive::RsyncOptions,
                    format!("{option:?} is set by pressrun itself; remove it"),
                );
            }
        }
        options
    }

    fn resolve_program(&mut self, line: Option<usize>, value: &str, needed: bool) -> PathBuf {
        match find_program(value) {
            Some(path) => path,
            None => {
                if needed {
                    let message = format!(
                        "{value:?} is not an executable file or not found in PATH; install rsync or set RsyncPath to its absolute path"
                    );
                    self.problem(line, Directive::RsyncPath, message);
                }
                PathBuf::from(value)
            }
        }
    }

    fn sync_settings(&mut self) -> SyncSettings {
        SyncSettings {
            parallel: self.count(Directive::SyncParallel, 0) as usize,
            retry_base: self.seconds(Directive::SyncRetryBase, 30),
            retry_max: self.seconds(Directive::SyncRetryMax, 3600),
            control_persist: self.seconds(Directive::SshControlPersist, 300),
            batch_size: self.count(Directive::SyncBatchSize, 50_000).max(1) as usize,
            delete_fallback: self.delete_fallback(),
        }
    }

    fn delete_fallback(&mut self) -> DeleteFallback {
        match self.last(Directive::SyncDeleteFallback) {
            None => DeleteFallback::None,
            Some((_, value)) if value.eq_ignore_ascii_case("none") => DeleteFallback::None,
            Some((_, value)) if value.eq_ignore_ascii_case("directory") => DeleteFallback::Directory,
            Some((line, value)) => {
                self.problem(Some(line), Directive::SyncDeleteFallback, format!("{value:?} is not none or directory"));
                DeleteFallback::None
            }
        }
    }

    fn queue_settings(&mut self) -> QueueSettings {
        QueueSettings {
            lease: self.seconds(Directive::QueueLease, 120).max(Duration::from_secs(5)),
            batch_size: self.count(Directive::PublishBatchSize, 1000).max(1) as usize,
        }
    }

    fn asset_settings(&mut self) -> AssetSettings {
        let store_dir = self
            .last(Directive::AssetStore)
            .map_or_else(|| self.base_dir.join("assets"), |(_, value)| self.resolve(&value));
        let thumbnail_sizes = match self.last(Directive::ThumbnailSizes) {
            None => Vec::new(),
            Some((line, value)) => self.widths(line, &value),
        };
        let thumbnail_format = self.thumbnail_format();
        AssetSettings {
            store_dir,
            thumbnail_sizes,
            thumbnail_format,
            max_upload_bytes: self.count(Directive::MaxUploadSize, 50 * 1024 * 1024),
            max_image_pixels: self.count(Directive::MaxImagePixels, 50_000_000),
        }
    }

    fn thumbnail_format(&mut self) -> Option<crate::asset::image::ImageFormat> {
        use crate::asset::image::ImageFormat;
        let (line, value) = self.last(Directive::ThumbnailFormat)?;
        match value.to_ascii_lowercase().as_str() {
            "keep" => None,
            "jpeg" | "jpg" => Some(ImageFormat::Jpeg),
            "png" => Some(ImageFormat::Png),
            "gif" => Some(ImageFormat::Gif),
            "webp" => Some(ImageFormat::WebP),
            _ => {
                self.problem(
                    Some(line),
                    Directive::ThumbnailFormat,
                    format!("{value:?} is not keep, jpeg, png, gif or webp"),
                );
                None
            }
        }
    }

    fn widths(&mut self, line: usize, value: &str) -> Vec<u32> {
        let mut widths = Vec::new();
        for word in value.split([' ', ',', '\t']).filter(|word| !word.is_empty()) {
            match word.parse::<u32>() {
                Ok(width) if width > 0 => widths.push(width),
                _ => self.problem(
                    Some(line),
                    Directive::ThumbnailSizes,
                    format!("{word:?} is not a width in pixels such as 120"),
                ),
            }
        }
        widths
    }

    fn time_zone(&mut self) -> SiteTimeZone {
        let Some((line, value)) = self.last(Directive::TimeZone) else {
            return SiteTimeZone::default();
        };
        value.parse().unwrap_or_else(|error: crate::time::TimeZoneError| {
            self.problem(Some(line), Directive::TimeZone, error.to_string());
            SiteTimeZone::default()
        })
    }

    fn count(&mut self, directive: Directive, default: u64) -> u64 {
        let Some((line, value)) = self.last(directive) else {
            return default;
        };
        parse_size(&value).unwrap_or_else(|| {
            self.problem(Some(line), directive, format!("{value:?} is not a whole number"));
            default
        })
    }

    fn seconds(&mut self, directive: Directive, default: u64) -> Duration {
        let Some((line, value)) = self.last(directive) else {
            return Duration::from_secs(default);
        };
        match value.parse::<f64>() {
            Ok(seconds) if seconds >= 0.0 && seconds.is_finite() => Duration::from_secs_f64(seconds),
            _ => {
                self.problem(Some(line), directive, format!("{value:?} is not a number of seconds"));
                Duration::from_secs(default)
            }
        }
    }
}

fn target_message(value: &str, error: &TargetError) -> String {
    format!("{value:?}: {error}")
}

/// Parses a whole number with an optional `K`, `M` or `G` suffix (powers of
/// 1024), as in `MaxUploadSize 20M`.
fn parse_size(value: &str) -> Option<u64> {
    let text = value.trim();
    let (digits, factor) = match text.chars().last()?.to_ascii_uppercase() {
        'K' => (&text[..text.len() - 1], 1024),
        'M' => (&text[..text.len() - 1], 1024 * 1024),
        'G' => (&text[..text.len() - 1], 1024 * 1024 * 1024),
        _ => (text, 1),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(factor)
}

/// Checks that `path` is a directory this process can create files in.
pub fn check_writable_dir(path: &Path) -> Result<(), String> {
    let metadata = fs::metadata(path).map_err(|error| format!("cannot use it: {error}"))?;
    if !metadata.is_dir() {
        return Err("is not a directory".to_string());
    }
    tempfile::Builder::new()
        .prefix(".pressrun-probe")
        .tempfile_in(path)
        .map(drop)
        .map_err(|error| format!("is not writable: {error}"))
}

/// Finds an executable the way `execvp` would: a value with `/` is taken as
/// a path, anything else is looked up in `PATH`.
pub fn find_program(value: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;

    let is_executable =
        |path: &Path| fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0);
    if value.contains('/') {
        let path = PathBuf::from(value);
        return is_executable(&path).then_some(path);
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&search).map(|dir| dir.join(value)).find(|path| is_executable(path))
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
        assert_eq!(parse_size("20M"), Some(20 * 1024 * 1024));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
    }
}
