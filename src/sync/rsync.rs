//! Running rsync for one target and one list of paths.
//!
//! rsync is always started with an argument vector, never through a shell.
//! Paths go in a NUL-separated `--files-from` list in the temp dir, never on
//! the command line and never as filter patterns, so no name can be read as
//! an option, a wildcard or a shell word. Each run is bounded: rsync's own
//! I/O timeout, ssh's connect and keep-alive timeouts, and a deadline after
//! which pressrun ends rsync and everything it started.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tracing::debug;

use super::ssh::RemoteShell;
use super::target::Target;
use crate::config::RsyncSettings;

/// Everything needed to run rsync against one target.
#[derive(Clone, Debug)]
pub struct Rsync {
    pub settings: RsyncSettings,
    pub temp_dir: PathBuf,
    pub target: Target,
    /// The ssh command line for remote-shell targets.
    pub remote_shell: Option<RemoteShell>,
}

/// The way a run treats its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Send the listed paths. With `delete_missing`, a listed path that does
    /// not exist locally is deleted on the target (`--delete-missing-args`,
    /// with `--force` so a removed directory goes even when the target still
    /// has files in it); rsync 3.1.0 or newer is needed on both ends.
    Transfer { delete_missing: bool },
    /// The same as [`Mode::Transfer`], as a dry run: nothing changes and the
    /// output lists what would be sent or deleted.
    DryRun { delete_missing: bool },
    /// The fallback for remote rsync versions without
    /// `--delete-missing-args`: each listed directory (written `dir/.`) is
    /// made equal to the local one, one level deep, with `--delete`. This
    /// also removes files in those directories that pressrun did not put
    /// there.
    DirectoryDelete,
}

/// One line of rsync's `--out-format` output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// rsync's itemized change string, such as `>f+++++++++` or `*deleting`.
    pub change: String,
    /// Bytes sent over the wire for this file.
    pub bytes: u64,
    /// The path as listed, relative to `/` and without a trailing `/`.
    pub path: Vec<u8>,
    /// Whether rsync reported a directory.
    pub is_dir: bool,
}

impl Item {
    /// True when rsync deleted (or would delete) the path on the target.
    pub fn is_deletion(&self) -> bool {
        self.change.starts_with("*deleting")
    }

    /// True when the path differs between source and target (sent, created
    /// or deleted), as opposed to already being equal.
    pub fn is_change(&self) -> bool {
        self.is_deletion() || self.change.starts_with(['<', '>', 'c', 'h'])
    }
}

/// The end state of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// rsync exit 23 (some files not transferred) or 24 (some files
    /// vanished): the run reached the target, but not every path arrived.
    Partial(i32),
    /// Any other exit code.
    Failed(i32),
    /// Ended by a signal.
    Killed,
    /// Ended by pressrun after the deadline.
    DeadlineExceeded(Duration),
}

/// The result of one rsync run.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub exit: Exit,
    pub items: Vec<Item>,
    /// The last lines rsync wrote to stderr.
    pub stderr: String,
    pub elapsed: Duration,
}

impl Outcome {
    /// Whether the remote rsync rejected `--delete-missing-args`, as rsync
    /// versions before 3.1.0 do ("unknown option").
    pub fn lacks_delete_missing_args(&self) -> bool {
        matches!(self.exit, Exit::Failed(_))
            && self.stderr.lines().any(|line| line.contains("delete-missing-args") && line.contains("unknown option"))
    }

    /// Picks the most useful lines of rsync's error output: the first line
    /// from ssh or about the connection, and the last line. rsync's own last
    /// line then only reports that the connection closed.
    fn cause(&self) -> String {
        const CONNECTION: [&str; 7] = [
            "ssh:",
            "Permission denied",
            "Connection refused",
            "Could not resolve",
            "Host key verification failed",
            "No route to host",
            "timed out",
        ];
        let lines: Vec<&str> = self.stderr.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
        let first = lines.iter().find(|line| CONNECTION.iter().any(|mark| line.contains(mark)));
        let last = lines.last().copied().unwrap_or("");
        match first {
            Some(first) if *first != last => format!("{first}; {last}"),
            _ => last.to_string(),
        }
    }

    /// Bytes sent over the wire.
    pub fn bytes(&self) -> u64 {
        self.items.iter().map(|item| item.bytes).sum()
    }

    /// A one-line description of a failure, for logs and `status`.
    pub fn describe(&self) -> String {
        let last = self.cause();
        match &self.exit {
            Exit::Success => "success".to_string(),
            Exit::Partial(code) => format!("rsync exit {code} (partial transfer): {last}"),
            Exit::Failed(code) => format!("rsync exit {code}: {last}"),
            Exit::Killed => format!("rsync was killed by a signal: {last}"),
            Exit::DeadlineExceeded(deadline) => {
                format!("rsync ran past the deadline of {} s and was ended", deadline.as_secs())
            }
        }
    }
}

/// Errors that prevent rsync from running at all.
#[derive(Debug, thiserror::Error)]
pub enum RsyncError {
    #[error("cannot write the file list in {dir}")]
    FileList { dir: PathBuf, source: std::io::Error },
    #[error("cannot run {program}")]
    Spawn { program: PathBuf, source: std::io::Error },
    #[error("cannot wait for rsync: {0}")]
    Wait(std::io::Error),
}

/// Lines of stderr kept for messages.
const STDERR_LINES: usize = 20;

impl Rsync {
    /// The argument vector, without the program.
    pub fn arguments(&self, list: &Path, mode: Mode) -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            "--archive",
            "--itemize-changes",
            "--itemize-changes",
            "--8-bit-output",
            "--from0",
            "--out-format=%i %b %n",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        match mode {
            Mode::Transfer { delete_missing } | Mode::DryRun { delete_missing } if delete_missing => {
                args.extend(["--delete-missing-args".into(), "--force".into()]);
            }
            Mode::DirectoryDelete => args.extend(["--dirs".into(), "--delete".into(), "--force".into()]),
            _ => {}
        }
        // pressrun lists only files that changed, so rsync must not skip one
        // whose size and time happen to match (a rewrite within the same
        // second). A dry run instead compares contents, to find what did not
        // arrive.
        if matches!(mode, Mode::DryRun { .. }) {
            args.extend(["--dry-run".into(), "--checksum".into()]);
        } else {
            args.push("--ignore-times".into());
        }
        let mut files_from = OsString::from("--files-from=");
        files_from.push(list);
        args.push(files_from);
        args.extend(self.connection_arguments());
        args.push("/".into());
        args.push(self.target.rsync_destination().into());
        args
    }

    /// Arguments for a checksum comparison of the whole site root with its
    /// copy on the target: a recursive dry run with `--delete`, so the
    /// output lists every missing, different and extra path.
    pub fn verify_arguments(&self, site_root: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            "--archive",
            "--dry-run",
            "--checksum",
            "--delete",
            "--itemize-changes",
            "--itemize-changes",
            "--8-bit-output",
            "--out-format=%i %b %n",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        // A file being written right now is not part of the site yet.
        args.push(format!("--exclude=*{}", crate::site_root::TEMP_SUFFIX).into());
        args.extend(self.connection_arguments());
        let mut source = site_root.as_os_str().to_os_string();
        source.push("/");
        args.push(source);
        let root = site_root.to_string_lossy();
        args.push(format!("{}{}/", self.target.rsync_destination(), root.trim_start_matches('/')).into());
        args
    }

    /// Timeouts, the remote shell and the user's options.
    fn connection_arguments(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![format!("--timeout={}", self.settings.io_timeout.as_secs().max(1)).into()];
        if self.target.is_daemon() {
            args.push(format!("--contimeout={}", self.settings.connect_timeout.as_secs().max(1)).into());
        }
        args.extend(without_remote_shell(&self.settings.options).into_iter().map(OsString::from));
        if let Some(shell) = self.remote_shell.as_ref().filter(|_| !self.target.is_daemon()) {
            args.push("--rsh".into());
            args.push(shell.command_line().into());
        }
        args
    }

    /// Runs a checksum comparison of the site root with the target's copy.
    pub fn run_verify(&self, site_root: &Path) -> Result<Outcome, RsyncError> {
        self.spawn_and_wait(self.verify_arguments(site_root), &|_| {}, None)
    }

    /// Runs rsync for `paths` (absolute paths on this machine) and waits
    /// for it, up to the deadline. `on_item` is called with each output line
    /// as it arrives, for progress bars.
    pub fn run(&self, paths: &[Vec<u8>], mode: Mode, on_item: &(dyn Fn(&Item) + Sync)) -> Result<Outcome, RsyncError> {
        let list = self.write_list(paths)?;
        debug!(target = %self.target, files = paths.len(), ?mode, "starting rsync");
        self.spawn_and_wait(self.arguments(list.path(), mode), on_item, Some(list))
    }

    /// Starts rsync with `args` in its own process group and waits for it,
    /// up to the deadline. `list` is kept until rsync ends.
    fn spawn_and_wait(
        &self,
        args: Vec<OsString>,
        on_item: &(dyn Fn(&Item) + Sync),
        list: Option<tempfile::NamedTempFile>,
    ) -> Result<Outcome, RsyncError> {
        let started = Instant::now();
        debug!(program = %self.settings.program.display(), ?args, "running rsync");
        let mut command = Command::new(&self.settings.program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("LC_ALL", "C")
            .process_group(0);
        let mut child =
            command.spawn().map_err(|source| RsyncError::Spawn { program: self.settings.program.clone(), source })?;

        let (items, stderr, status) = thread::scope(|scope| {
            let stdout = child.stdout.take().expect("stdout is piped");
            let stderr = child.stderr.take().expect("stderr is piped");
            let items = scope.spawn(move || read_items(stdout, on_item));
            let errors = scope.spawn(move || read_tail(stderr));
            let status = wait_with_deadline(&mut child, self.settings.deadline);
            (items.join().unwrap_or_default(), errors.join().unwrap_or_default(), status)
        });
        let exit = match status.map_err(RsyncError::Wait)? {
            None => Exit::DeadlineExceeded(self.settings.deadline),
            Some(status) => classify(status),
        };
        drop(list);
        Ok(Outcome { exit, items, stderr, elapsed: started.elapsed() })
    }

    /// Writes the NUL-separated list; it is removed when dropped.
    fn write_list(&self, paths: &[Vec<u8>]) -> Result<tempfile::NamedTempFile, RsyncError> {
        let error = |source| RsyncError::FileList { dir: self.temp_dir.clone(), source };
        let mut list = tempfile::Builder::new().prefix("pressrun-files-").tempfile_in(&self.temp_dir).map_err(error)?;
        let mut buffer = Vec::with_capacity(paths.iter().map(|p| p.len() + 1).sum());
        for path in paths {
            buffer.extend_from_slice(path);
            buffer.push(0);
        }
        list.write_all(&buffer).map_err(error)?;
        list.flush().map_err(error)?;
        Ok(list)
    }
}

/// The user's `RsyncOptions` without any remote-shell option: pressrun
/// builds `--rsh` itself for ssh targets, and a daemon target must never
/// get one (rsync then fails with "did not see server greeting").
fn without_remote_shell(options: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut skip_next = false;
    for option in options {
        if skip_next {
            skip_next = false;
            continue;
        }
        if option == "-e" || option == "--rsh" {
            skip_next = true;
        } else if !(option.starts_with("--rsh=") || (option.starts_with("-e") && option.len() > 2)) {
            kept.push(option.clone());
        }
    }
    kept
}

/// The remote-shell command given in `RsyncOptions`, if any.
pub fn remote_shell_option(options: &[String]) -> Option<String> {
    let mut iter = options.iter();
    while let Some(option) = iter.next() {
        if option == "-e" || option == "--rsh" {
            return iter.next().cloned();
        }
        if let Some(value) = option.strip_prefix("--rsh=") {
            return Some(value.to_string());
        }
        if let Some(value) = option.strip_prefix("-e").filter(|v| !v.is_empty()) {
            return Some(value.to_string());
        }
    }
    None
}

fn classify(status: ExitStatus) -> Exit {
    match status.code() {
        Some(0) => Exit::Success,
        Some(code @ (23 | 24)) => Exit::Partial(code),
        Some(code) => Exit::Failed(code),
        None => Exit::Killed,
    }
}

/// Waits for `child` until `deadline`; past it, ends its whole process
/// group (rsync and the ssh it started) and returns `None`.
fn wait_with_deadline(child: &mut Child, deadline: Duration) -> std::io::Result<Option<ExitStatus>> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if started.elapsed() >= deadline {
            end_process_group(child);
            return Ok(None);
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Sends SIGTERM to the child's process group, then SIGKILL if it is still
/// there after two seconds, and reaps the child.
pub fn end_process_group(child: &mut Child) {
    let group = child.id() as libc::pid_t;
    // SAFETY: kill(2) with a negative pid signals the process group that
    // `process_group(0)` created for this child; no memory is shared.
    unsafe { libc::kill(-group, libc::SIGTERM) };
    let grace = Instant::now();
    while grace.elapsed() < Duration::from_secs(2) {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above; the group may already be gone, which is harmless.
    unsafe { libc::kill(-group, libc::SIGKILL) };
    let _ = child.wait();
}

fn read_items(stdout: impl Read, on_item: &(dyn Fn(&Item) + Sync)) -> Vec<Item> {
    let mut items = Vec::new();
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
        if let Some(item) = parse_item(&line) {
            on_item(&item);
            items.push(item);
        }
        line.clear();
    }
    items
}

fn read_tail(stderr: impl Read) -> String {
    let mut lines: Vec<String> = Vec::new();
    let reader = BufReader::new(stderr);
    for line in reader.split(b'\n').map_while(Result::ok) {
        lines.push(String::from_utf8_lossy(&line).into_owned());
        if lines.len() > STDERR_LINES {
            lines.remove(0);
        }
    }
    lines.join("\n")
}

/// Parses one `%i %b %n` line: an 11-character change string, the bytes
/// sent, and the name with rsync's `\#ooo` escapes.
pub fn parse_item(line: &[u8]) -> Option<Item> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    if line.len() < 13 || line[11] != b' ' {
        return None;
    }
    let change = String::from_utf8_lossy(&line[..11]).trim_end().to_string();
    let rest = &line[12..];
    let space = rest.iter().position(|&b| b == b' ')?;
    let bytes = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
    let mut path = unescape(&rest[space + 1..]);
    let is_dir = path.last() == Some(&b'/');
    if is_dir {
        path.pop();
    }
    Some(Item { change, bytes, path, is_dir })
}

/// Undoes rsync's output escaping, where `\#ooo` (three octal digits) is
/// one byte. rsync escapes a literal backslash before `#` the same way, so
/// any other backslash is literal.
pub fn unescape(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        if name[i] == b'\\' && name.get(i + 1) == Some(&b'#') {
            let digits = name.get(i + 2..i + 5).unwrap_or(&[]);
            if digits.len() == 3 && digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let value = digits.iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += 5;
                continue;
            }
        }
        out.push(name[i]);
        i += 1;
    }
    out
}

/// The list entry for an absolute path: rsync reads it relative to `/`.
pub fn list_entry(absolute: &Path) -> Vec<u8> {
    let bytes = absolute.as_os_str().as_bytes();
    bytes.strip_prefix(b"/").unwrap_or(bytes).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_escaped_names() {
        let item = parse_item(b">f+++++++++ 44 srv/site/line\\#012break.txt\n").unwrap();
        assert_eq!(item.path, b"srv/site/line\nbreak.txt");
        assert_eq!(item.bytes, 44);
        assert!(item.is_change());
        let item = parse_item(b"*deleting   0 srv/site/hash\\#134#012x.txt").unwrap();
        assert_eq!(item.path, b"srv/site/hash\\#012x.txt");
        assert!(item.is_deletion());
        let item = parse_item(b".d          0 srv/site/\n").unwrap();
        assert_eq!(item.path, b"srv/site");
        assert!(!item.is_change());
        assert_eq!(unescape(b"back\\slash"), b"back\\slash");
    }

    #[test]
    fn remote_shell_options_are_found_and_removed() {
        let options: Vec<String> = ["-e", "ssh -p 22", "--bwlimit=10"].map(String::from).to_vec();
        assert_eq!(remote_shell_option(&options).as_deref(), Some("ssh -p 22"));
        assert_eq!(without_remote_shell(&options), vec!["--bwlimit=10"]);
        let options: Vec<String> = ["--rsh=ssh -F x", "-essh"].map(String::from).to_vec();
        assert_eq!(remote_shell_option(&options).as_deref(), Some("ssh -F x"));
        assert!(without_remote_shell(&options).is_empty());
    }
}
