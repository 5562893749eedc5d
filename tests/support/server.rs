//! A listening server process that can be started, stopped, hung and brought back, shared by
//! the sshd and rsync daemon guards.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::command::describe;
use super::error::{HarnessError, Result, failed, io_failed};
use super::procfs::{
    adopt_orphans, descendants_of, freeze_tree, kill_descendants, kill_tree, reap_adopted, register_server,
    signal_process_group, thaw_tree, unregister_server,
};

/// How long a server may take from spawning until its port accepts connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Lines of the log quoted in an error when a server fails to start.
const LOG_TAIL_LINES: usize = 20;

/// One server process and the processes it forks for its connections.
///
/// The process runs in its own process group with stdout and stderr appended to `log_path`.
/// Dropping the value kills the process and all its descendants with SIGKILL.
pub(crate) struct ServerProcess {
    /// The server's name and address for messages, such as "sshd on 127.0.0.1:40022".
    label: String,
    /// The program followed by its arguments.
    command_line: Vec<OsString>,
    address: SocketAddr,
    log_path: PathBuf,
    child: Option<Child>,
    hung: bool,
}

impl ServerProcess {
    /// Describes a server without starting it.
    pub(crate) fn new(
        label: String,
        command_line: Vec<OsString>,
        address: SocketAddr,
        log_path: PathBuf,
    ) -> ServerProcess {
        ServerProcess { label, command_line, address, log_path, child: None, hung: false }
    }

    /// Spawns the server and waits until its port accepts a TCP connection. Fails with
    /// `HarnessError::AddressInUse` when the server could not bind the port, and with the tail
    /// of its log when it exited for another reason.
    pub(crate) fn start(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Err(failed(format!("{} is already running", self.label)));
        }

        // Session processes whose server is killed are re-parented here and reaped by `kill`.
        adopt_orphans();
        let log_offset = fs::metadata(&self.log_path).map(|metadata| metadata.len()).unwrap_or(0);
        let mut command = self.command()?;
        let child =
            command.spawn().map_err(|error| failed(format!("could not run `{}`: {error}", describe(&command))))?;
        register_server(child.id() as i32);
        self.child = Some(child);

        let waited = self.wait_until_listening(log_offset);
        if waited.is_err() {
            // The start error matters more than a failure to reap the failed server.
            let _ = self.kill();
        }
        waited
    }

    fn command(&self) -> Result<Command> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|error| io_failed("open the server log", &self.log_path, error))?;
        let log_for_stdout =
            log.try_clone().map_err(|error| io_failed("duplicate the server log handle", &self.log_path, error))?;

        let mut command = Command::new(&self.command_line[0]);
        command.args(&self.command_line[1..]).stdin(Stdio::null()).stdout(log_for_stdout).stderr(log).process_group(0);
        Ok(command)
    }

    fn wait_until_listening(&mut self, log_offset: u64) -> Result<()> {
        let started = Instant::now();
        loop {
            let child = self.child.as_mut().expect("a started server has a child");
            let exited =
                child.try_wait().map_err(|error| failed(format!("could not wait for {}: {error}", self.label)))?;
            if let Some(status) = exited {
                return Err(self.start_failure(&format!("exited with {status}"), log_offset));
            }

            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }

            if started.elapsed() > START_TIMEOUT {
                let reason = format!("did not accept connections within {START_TIMEOUT:?}");
                return Err(self.start_failure(&reason, log_offset));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Builds the error for a failed start from the log written since `log_offset`.
    fn start_failure(&self, reason: &str, log_offset: u64) -> HarnessError {
        let log = fs::read(&self.log_path).unwrap_or_default();
        let new_log = String::from_utf8_lossy(log.get(log_offset as usize..).unwrap_or_default());
        let lines: Vec<&str> = new_log.lines().collect();
        let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");

        let message = format!("{} {reason}; log {}:\n{tail}", self.label, self.log_path.display());
        if tail.contains("Address already in use") { HarnessError::AddressInUse(message) } else { failed(message) }
    }

    /// Kills the server and every connection process it forked, then reaps the server. New
    /// connections are refused afterwards. Stopping a stopped server does nothing.
    pub(crate) fn stop(&mut self) -> Result<()> {
        self.kill().map_err(|error| failed(format!("could not reap {}: {error}", self.label)))
    }

    /// Kills the process tree and reaps the server. The exit status is dropped because SIGKILL
    /// decided it.
    fn kill(&mut self) -> std::io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let root = child.id() as i32;
        let descendants = kill_tree(root);
        self.hung = false;
        let waited = child.wait().map(drop);
        unregister_server(root);
        reap_adopted(&descendants);
        waited
    }

    /// Stops the server and its connection processes with SIGSTOP. The kernel still completes
    /// TCP handshakes on the listening socket (up to its backlog), but nothing replies: new
    /// clients hang after connecting and open sessions stall.
    pub(crate) fn hang(&mut self) -> Result<()> {
        let root = self.running_pid("hang")?;
        signal_process_group(root, libc::SIGSTOP);
        freeze_tree(root);
        self.hung = true;
        Ok(())
    }

    /// Continues a hung server and its connection processes with SIGCONT.
    pub(crate) fn unhang(&mut self) -> Result<()> {
        let root = self.running_pid("unhang")?;
        thaw_tree(root);
        self.hung = false;
        Ok(())
    }

    /// Kills every connection process with SIGKILL and keeps the listener running, as when
    /// the server side of each open session dies. The kernel closes the sessions' sockets, so
    /// clients see the connection closed.
    pub(crate) fn kill_sessions(&mut self) -> Result<()> {
        let root = self.running_pid("kill the sessions of")?;
        kill_descendants(root);
        Ok(())
    }

    fn running_pid(&self, action: &str) -> Result<i32> {
        match &self.child {
            Some(child) => Ok(child.id() as i32),
            None => Err(failed(format!("cannot {action} {}: it is stopped", self.label))),
        }
    }

    /// Lists the PIDs of the server and all its descendants, or nothing when it is stopped.
    pub(crate) fn pids(&self) -> Vec<i32> {
        let Some(child) = &self.child else {
            return Vec::new();
        };
        let root = child.id() as i32;
        let mut pids = vec![root];
        pids.extend(descendants_of(root).into_iter().map(|process| process.pid));
        pids
    }

    /// Returns the processes forked for connections, read from /proc now.
    pub(crate) fn session_processes(&self) -> Vec<super::ProcessInfo> {
        match &self.child {
            Some(child) => descendants_of(child.id() as i32),
            None => Vec::new(),
        }
    }

    pub(crate) fn is_running(&self) -> bool {
        self.child.is_some()
    }

    pub(crate) fn is_hung(&self) -> bool {
        self.hung
    }

    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Err(error) = self.kill() {
            eprintln!("could not reap {}: {error}", self.label);
        }
    }
}
