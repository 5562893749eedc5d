//! Running external commands: lookup on PATH, errors that name the command and its stderr, and
//! runs bounded by a deadline.

use std::env;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::error::{Result, failed};
use super::procfs::signal_process_group;

/// How long `run_with_deadline` waits for the output pipes to close after the command exited.
/// A descendant that inherited them (an ssh that rsync left behind) keeps them open.
const PIPE_CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Renders a command as a shell-quoted line for error messages.
pub(crate) fn describe(command: &Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let arguments = command.get_args().map(|argument| argument.to_string_lossy().into_owned());
    shell_words::join(std::iter::once(program).chain(arguments))
}

/// Runs a command to completion with no stdin. Fails, naming the command line and its stderr,
/// when it cannot start or exits unsuccessfully.
pub(crate) fn run(command: &mut Command) -> Result<Output> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| failed(format!("could not run `{}`: {error}", describe(command))))?;

    if !output.status.success() {
        return Err(failed(format!(
            "`{}` failed with {}: {}",
            describe(command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(output)
}

/// Finds `name` in the directories of PATH.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|directory| directory.join(name)).find(|candidate| is_executable(candidate))
}

/// Finds an administration tool on PATH or, because a non-login root shell may lack them on
/// PATH, in /usr/sbin and /sbin.
pub(crate) fn find_system_program(name: &str) -> Option<PathBuf> {
    find_on_path(name).or_else(|| {
        ["/usr/sbin", "/sbin"]
            .iter()
            .map(|directory| Path::new(directory).join(name))
            .find(|candidate| is_executable(candidate))
    })
}

/// Finds a program that the harness cannot work without, or fails with the package to install.
pub(crate) fn require_program(name: &str, debian_package: &str) -> Result<PathBuf> {
    find_on_path(name).ok_or_else(|| {
        failed(format!("{name} not found on PATH: install it with `apt-get install -y {debian_package}`"))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// The result of `run_with_deadline`.
#[derive(Debug)]
pub struct CommandOutcome {
    /// The exit status, or `None` when the command was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Time from spawning the command until it exited or was killed.
    pub elapsed: Duration,
}

impl CommandOutcome {
    /// Returns the exit code, or `None` when the command was killed by a signal or at the
    /// deadline.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }

    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }
}

/// Runs a command in a new process group with no stdin and captures its output. When the
/// command is still running after `deadline`, kills its whole process group with SIGKILL and
/// returns an outcome with no status, so a test that expects a timeout cannot hang.
///
/// Output written after the command exited is dropped when a descendant keeps the pipes open
/// for longer than one second.
pub fn run_with_deadline(command: &mut Command, deadline: Duration) -> Result<CommandOutcome> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|error| failed(format!("could not run `{}`: {error}", describe(command))))?;

    let stdout = collect_in_background(child.stdout.take());
    let stderr = collect_in_background(child.stderr.take());

    let status = wait_with_deadline(&mut child, started + deadline)
        .map_err(|error| failed(format!("could not wait for `{}`: {error}", describe(command))))?;
    let elapsed = started.elapsed();

    Ok(CommandOutcome {
        status,
        stdout: stdout.finish(),
        stderr: String::from_utf8_lossy(&stderr.finish()).into_owned(),
        elapsed,
    })
}

fn wait_with_deadline(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }

        if Instant::now() >= deadline {
            signal_process_group(child.id() as i32, libc::SIGKILL);
            child.wait()?;
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A pipe drained by a background thread into a shared buffer.
struct PipeCollector {
    buffer: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
}

fn collect_in_background(pipe: Option<impl Read + Send + 'static>) -> PipeCollector {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let reader = pipe.map(|mut pipe| {
        let buffer = Arc::clone(&buffer);
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(count) = pipe.read(&mut chunk) {
                if count == 0 {
                    break;
                }
                buffer.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..count]);
            }
        })
    });
    PipeCollector { buffer, reader }
}

impl PipeCollector {
    /// Returns what was read, waiting up to `PIPE_CLOSE_GRACE` for the pipe to close. A reader
    /// thread still blocked after that is left behind and ends when the pipe closes.
    fn finish(mut self) -> Vec<u8> {
        if let Some(reader) = self.reader.take() {
            let started = Instant::now();
            while !reader.is_finished() && started.elapsed() < PIPE_CLOSE_GRACE {
                thread::sleep(Duration::from_millis(5));
            }
        }
        std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
