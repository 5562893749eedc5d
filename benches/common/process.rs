//! Runs a program and measures its wall time and peak memory.

use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// Wall time, peak memory and stderr of one program run.
pub struct Measured {
    pub seconds: f64,
    /// Peak resident set size in KiB (`ru_maxrss` from `wait4`): the
    /// larger of the process's own and that of its largest reaped child.
    pub peak_rss_kib: u64,
    /// User plus system CPU time of the process and its reaped children.
    pub cpu_seconds: f64,
    /// CPU time that other processes and kernel threads used meanwhile:
    /// the busy time in /proc/stat minus `cpu_seconds`. It includes kernel
    /// writeback of files that this or an earlier run wrote.
    pub other_cpu_seconds: f64,
    pub stderr: String,
}

impl Measured {
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// Runs `command` to its end with stdout and stderr going to
/// `LOG_DIR/NAME.stdout` and `LOG_DIR/NAME.stderr`, and fails when it exits
/// with a non-zero status. The clock runs from just before the spawn to
/// just after `wait4` returns.
pub fn run(command: &mut Command, log_dir: &Path, name: &str) -> anyhow::Result<Measured> {
    run_parallel(vec![(command, name)], log_dir)
}

/// Starts every command at once, each logging as [`run`] does, and waits
/// for all of them. Fails when any exits with a non-zero status. The
/// clock runs from just before the first spawn to just after the last
/// `wait4` returns; CPU time is the sum over the commands and peak memory
/// the largest of them. `stderr` is the stderr of every command, in order.
pub fn run_parallel(commands: Vec<(&mut Command, &str)>, log_dir: &Path) -> anyhow::Result<Measured> {
    let busy_before = machine_busy_seconds();
    let started = Instant::now();
    let mut children = Vec::new();
    for (command, name) in commands {
        let (stdout_path, stderr_path) =
            (log_dir.join(format!("{name}.stdout")), log_dir.join(format!("{name}.stderr")));
        let spawned = File::create(&stdout_path)
            .and_then(|stdout| Ok((stdout, File::create(&stderr_path)?)))
            .and_then(|(stdout, stderr)| command.stdout(stdout).stderr(stderr).spawn());
        match spawned {
            Ok(child) => children.push((child, format!("{name}: {command:?}"), stdout_path, stderr_path)),
            Err(error) => {
                // Let the commands already started finish, so none is left running.
                for (mut child, ..) in children {
                    let _ = child.wait();
                }
                return Err(error).with_context(|| format!("cannot start {name}: {command:?}"));
            }
        }
    }

    let (mut cpu_seconds, mut peak_rss_kib, mut stderr) = (0.0, 0, String::new());
    let mut failures = Vec::new();
    for (child, description, stdout_path, stderr_path) in children {
        let waited = wait4(child.id()).with_context(|| format!("wait4 failed for {description}"));
        // `child` was reaped by wait4; dropping a std Child neither waits nor kills.
        drop(child);
        let (status, usage) = waited?;
        cpu_seconds += time_seconds(usage.ru_utime) + time_seconds(usage.ru_stime);
        peak_rss_kib = peak_rss_kib.max(u64::try_from(usage.ru_maxrss).unwrap_or(0));
        let command_stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
        if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
            let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
            failures.push(format!(
                "{description} failed (wait status {status:#x})\nstdout:\n{stdout}\nstderr:\n{command_stderr}"
            ));
        }
        stderr.push_str(&command_stderr);
    }
    let seconds = started.elapsed().as_secs_f64();
    let busy = machine_busy_seconds() - busy_before;
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(Measured { seconds, peak_rss_kib, cpu_seconds, other_cpu_seconds: (busy - cpu_seconds).max(0.0), stderr })
}

fn time_seconds(time: libc::timeval) -> f64 {
    time.tv_sec as f64 + time.tv_usec as f64 / 1e6
}

/// Returns the CPU time all processors have spent busy since boot, from
/// the first line of /proc/stat: every field except idle and iowait. Guest
/// time is left out because user time already contains it.
fn machine_busy_seconds() -> f64 {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|field| field.parse().ok())
        .collect();
    if ticks.len() < 8 {
        return 0.0;
    }
    // Fields: user nice system idle iowait irq softirq steal.
    let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
    // SAFETY: sysconf only reads a configuration value.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    busy / ticks_per_second
}

/// Waits for process `pid` and returns its wait status and resource usage.
fn wait4(pid: u32) -> io::Result<(libc::c_int, libc::rusage)> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::other("process id out of range"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is a plain C struct for which all-zero bytes are valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers point to live, writable locals of the right type.
        let result = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if result == pid {
            return Ok((status, usage));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Returns the first line of a program's `--version` or `version` output,
/// from stdout, or from stderr when stdout is empty (as for `ssh -V`).
pub fn version_line(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(output) => {
            let text = if output.stdout.is_empty() { &output.stderr } else { &output.stdout };
            String::from_utf8_lossy(text).lines().next().unwrap_or("").trim().to_string()
        }
        Err(error) => format!("unknown ({program}: {error})"),
    }
}

/// Writes all dirty file data to disk (sync(2)), so that writeback of files
/// from an earlier step does not fall into the next timed one.
pub fn flush_file_systems() {
    // SAFETY: sync takes no arguments, and Linux documents it as always successful.
    unsafe { libc::sync() };
}
