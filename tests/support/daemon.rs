//! rsync daemon test servers.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::command::require_program;
use super::error::{HarnessError, Result, failed, io_failed};
use super::net::free_port;
use super::procfs::ProcessInfo;
use super::server::ServerProcess;

/// How many free ports `RsyncDaemon::new` tries when another process takes the port first.
const PORT_ATTEMPTS: usize = 3;

/// A running `rsync --daemon --no-detach` on 127.0.0.1 with one writable module, `site`.
///
/// The guard owns the daemon, the processes it forks for connections and a temporary directory
/// with `rsyncd.conf`, the PID file and `rsyncd.log`. Dropping it kills those processes with
/// SIGKILL and removes the directory. The module directory belongs to the test and is kept.
pub struct RsyncDaemon {
    // Declared first so that the processes end before their directory is removed.
    process: ServerProcess,
    module_dir: PathBuf,
    dir: TempDir,
}

impl RsyncDaemon {
    /// The name of the one module.
    pub const MODULE: &'static str = "site";

    /// Starts a daemon on 127.0.0.1 on a free port whose module `site` writes to `module_dir`
    /// (created if missing) as root, without chroot. Needs `rsync` on PATH.
    pub fn new(module_dir: &Path) -> Result<RsyncDaemon> {
        let rsync = require_program("rsync", "rsync")?;
        fs::create_dir_all(module_dir).map_err(|error| io_failed("create", module_dir, error))?;
        let dir = tempfile::Builder::new()
            .prefix("pressrun-rsyncd-")
            .tempdir()
            .map_err(|error| failed(format!("could not create a temporary directory: {error}")))?;
        let config = write_config(dir.path(), module_dir)?;

        let mut attempt = 1;
        loop {
            let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), free_port()?);
            let command_line = vec![
                rsync.clone().into(),
                "--daemon".into(),
                "--no-detach".into(),
                format!("--config={}", config.display()).into(),
                format!("--address={}", address.ip()).into(),
                format!("--port={}", address.port()).into(),
            ];
            let label = format!("rsync daemon on {address}");
            let mut process = ServerProcess::new(label, command_line, address, dir.path().join("rsyncd.log"));

            match process.start() {
                Ok(()) => {
                    return Ok(RsyncDaemon { process, module_dir: module_dir.to_owned(), dir });
                }
                Err(HarnessError::AddressInUse(_)) if attempt < PORT_ATTEMPTS => attempt += 1,
                Err(error) => return Err(error),
            }
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.process.address()
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// Returns the directory that the module `site` serves.
    pub fn module_dir(&self) -> &Path {
        &self.module_dir
    }

    /// Returns the file that receives the daemon's log and its stderr.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("rsyncd.log")
    }

    /// Returns the rsync target `rsync://127.0.0.1:PORT/site/`.
    pub fn target(&self) -> String {
        format!("rsync://{}/{}/", self.address(), Self::MODULE)
    }

    /// Kills the daemon and its connection processes. Connections are refused until `start()`.
    pub fn stop(&mut self) -> Result<()> {
        self.process.stop()
    }

    /// Starts the daemon again on the same port. Fails with `HarnessError::AddressInUse` when
    /// another socket took the port meanwhile.
    pub fn start(&mut self) -> Result<()> {
        self.process.start()
    }

    /// Freezes the daemon and its connection processes with SIGSTOP. New clients complete the
    /// TCP handshake and then wait for the daemon's greeting forever.
    pub fn hang(&mut self) -> Result<()> {
        self.process.hang()
    }

    /// Continues a hung daemon and its connection processes.
    pub fn unhang(&mut self) -> Result<()> {
        self.process.unhang()
    }

    /// Kills the processes serving open connections and keeps the daemon listening.
    pub fn kill_sessions(&mut self) -> Result<()> {
        self.process.kill_sessions()
    }

    /// Lists the processes serving connections, read from /proc now.
    pub fn session_processes(&self) -> Vec<ProcessInfo> {
        self.process.session_processes()
    }

    /// Lists the PIDs of the daemon and its connection processes, or nothing when stopped.
    pub fn pids(&self) -> Vec<i32> {
        self.process.pids()
    }

    pub fn is_running(&self) -> bool {
        self.process.is_running()
    }
}

fn write_config(dir: &Path, module_dir: &Path) -> Result<PathBuf> {
    let path = dir.join("rsyncd.conf");
    if module_dir.to_str().is_none_or(|text| text.contains('\n')) {
        return Err(failed(format!("module directory {} must be UTF-8 without line breaks", module_dir.display())));
    }

    // Without explicit uid and gid a daemon started as root writes as "nobody". A path in
    // rsyncd.conf runs to the end of the line, so spaces in it need no quoting.
    let config = format!(
        "pid file = {dir}/rsyncd.pid\n\
         log file = {dir}/rsyncd.log\n\
         \n\
         [{module}]\n\
         \x20   path = {module_dir}\n\
         \x20   read only = false\n\
         \x20   use chroot = false\n\
         \x20   uid = 0\n\
         \x20   gid = 0\n",
        dir = dir.display(),
        module = RsyncDaemon::MODULE,
        module_dir = module_dir.display(),
    );
    fs::write(&path, config).map_err(|error| io_failed("write", &path, error))?;
    Ok(path)
}
