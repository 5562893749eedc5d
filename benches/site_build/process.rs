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
    let stdout_path = log_dir.join(format!("{name}.stdout"));
    let stderr_path = log_dir.join(format!("{name}.stderr"));
    command.stdout(File::create(&stdout_path)?).stderr(File::create(&stderr_path)?);

    let busy_before = machine_busy_seconds();
    let started = Instant::now();
    let child = command.spawn().with_context(|| format!("cannot start {name}: {command:?}"))?;
    let (status, usage) = wait4(child.id()).with_context(|| format!("wait4 failed for {name}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let busy = machine_busy_seconds() - busy_before;
    // `child` was reaped by wait4; dropping a std Child neither waits nor kills.
    drop(child);

    let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("{name} failed (wait status {status:#x}): {command:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    }
    let cpu_seconds = time_seconds(usage.ru_utime) + time_seconds(usage.ru_stime);
    Ok(Measured {
        seconds,
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        cpu_seconds,
        other_cpu_seconds: (busy - cpu_seconds).max(0.0),
        stderr,
    })
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

/// Returns the first line of a program's `--version` or `version` output.
pub fn version_line(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(output) => String::from_utf8_lossy(&output.stdout).lines().next().unwrap_or("").trim().to_string(),
        Err(error) => format!("unknown ({program}: {error})"),
    }
}
