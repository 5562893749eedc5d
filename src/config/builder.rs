//! Reading config lines into a [`Config`], collecting every problem.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::directive::Directive;
use super::{
    AssetSettings, Config, ConfigError, DeleteFallback, LineProblem, Loaded, QueueSettings, RESERVED_RSYNC_OPTIONS,
    RsyncSettings, SyncSettings,
};
use crate::sync::target::{Target, TargetError};
use crate::time::SiteTimeZone;

/// Collects directives and problems line by line.
pub(super) struct Builder {
    base_dir: PathBuf,
    problems: Vec<LineProblem>,
    warnings: Vec<LineProblem>,
    values: Vec<(usize, Directive, String)>,
}

impl Builder {
    pub(super) fn new(base_dir: PathBuf) -> Builder {
        Builder { base_dir, problems: Vec::new(), warnings: Vec::new(), values: Vec::new() }
    }

    pub(super) fn read_line(&mut self, line: usize, raw: &str) {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            return;
        }

        let (name, value) = match text.split_once(char::is_whitespace) {
            Some((name, value)) => (name, value.trim()),
            None => (text, ""),
        };
        let Some(directive) = Directive::from_name(name) else {
            let hint = Directive::closest(name).map(|known| format!(" (did you mean {known}?)")).unwrap_or_default();
            self.warnings.push(LineProblem {
                line: Some(line),
                directive: name.to_string(),
                message: format!("unknown directive; the line is ignored{hint}"),
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

    pub(super) fn finish(mut self, path: &Path) -> Result<Loaded, ConfigError> {
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
            self.problems.sort_by_key(|problem| problem.line.unwrap_or(0));
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
            self.problem(
                Some(line),
                directive,
                format!("{value:?} is not a whole number (K, M and G suffixes are allowed)"),
            );
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
pub(super) fn parse_size(value: &str) -> Option<u64> {
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
