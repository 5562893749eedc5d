//! sshd test servers and a shared ssh client configuration that reaches several of them.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tempfile::TempDir;

use super::command::{require_program, run};
use super::error::{HarnessError, Result, failed, io_failed};
use super::net::free_port;
use super::procfs::ProcessInfo;
use super::server::ServerProcess;
use super::user::{TestUser, give_to_user, test_user};

/// Debian installs sshd here. sshd must be started by its absolute path because it re-executes
/// itself for every connection.
const SSHD_PATH: &str = "/usr/sbin/sshd";

/// sshd refuses to start unless its privilege separation directory exists.
const PRIVILEGE_SEPARATION_DIR: &str = "/run/sshd";

/// How many free ports `SshServer::new` tries when another process takes the port first.
const PORT_ATTEMPTS: usize = 3;

/// A running `sshd -D -e` that accepts the test user's key, and its temporary directory.
///
/// The guard owns the sshd listener, every session process it forks and a temporary directory
/// with the host key, the client key pair, `authorized_keys`, `sshd_config`, the PID file and
/// `sshd.log`. Dropping it kills those processes with SIGKILL and then removes the directory.
/// Target directories are not owned: the test creates them and hands them over with
/// `grant_write`.
pub struct SshServer {
    // Declared first so that the processes end before their directory is removed.
    process: ServerProcess,
    user: &'static TestUser,
    client_key: PathBuf,
    dir: TempDir,
}

impl SshServer {
    /// Starts sshd on 127.0.0.1 on a free port. Needs root, `/usr/sbin/sshd`, `ssh` and
    /// `ssh-keygen`. Creates the test user on the first call on this machine.
    pub fn new() -> Result<SshServer> {
        let mut attempt = 1;
        loop {
            let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), free_port()?);
            match SshServer::start_at(address, None) {
                Err(HarnessError::AddressInUse(_)) if attempt < PORT_ATTEMPTS => attempt += 1,
                result => return result,
            }
        }
    }

    /// Starts sshd listening on `address`, inside the network namespace `namespace` when one is
    /// given.
    pub(crate) fn start_at(address: SocketAddr, namespace: Option<(&Path, &str)>) -> Result<SshServer> {
        check_ssh_programs()?;
        let user = test_user()?;
        create_privilege_separation_dir()?;

        let dir = server_dir()?;
        generate_key(&dir.path().join("host_key"))?;
        let client_key = dir.path().join("client_key");
        generate_key(&client_key)?;
        authorize_client_key(dir.path())?;
        let config = write_sshd_config(dir.path(), address, user)?;

        let mut command_line = Vec::new();
        let mut label = format!("sshd on {address}");
        if let Some((ip, name)) = namespace {
            command_line.extend([ip.into(), "netns".into(), "exec".into(), name.into()]);
            label = format!("{label} in network namespace {name}");
        }
        command_line.extend([SSHD_PATH.into(), "-D".into(), "-e".into(), "-f".into(), config.into()]);

        let mut process = ServerProcess::new(label, command_line, address, dir.path().join("sshd.log"));
        process.start()?;
        Ok(SshServer { process, user, client_key, dir })
    }

    pub fn address(&self) -> SocketAddr {
        self.process.address()
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// Returns the login name that the client key is authorized for.
    pub fn user(&self) -> &'static str {
        self.user.name
    }

    /// Returns the private key that logs in as `user()`.
    pub fn client_key(&self) -> &Path {
        &self.client_key
    }

    /// Returns the file that receives sshd's log (`-e` sends it to stderr).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("sshd.log")
    }

    /// Returns an ssh command line that logs in to this server without prompts, without a
    /// known-hosts file and without reading the invoking user's ssh configuration.
    pub fn ssh_command(&self) -> String {
        format!(
            "ssh -F /dev/null -p {} -i {} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR",
            self.port(),
            self.client_key.display()
        )
    }

    /// Returns the rsync options that select `ssh_command()` as the remote shell, quoted for a
    /// configuration line: `-e "ssh -F /dev/null -p PORT -i KEY ..."`.
    pub fn rsync_options(&self) -> String {
        format!("-e \"{}\"", self.ssh_command())
    }

    /// Returns the rsync target `USER@ADDRESS:DIR`. The test user must be able to write to
    /// `dir`: call `grant_write` first. Panics unless `dir` is an absolute path of ASCII
    /// letters, digits and `/._-`.
    pub fn target(&self, dir: &Path) -> String {
        format!("{}@{}:{}", self.user.name, self.address().ip(), plain_absolute_path(dir))
    }

    /// Creates `dir` if needed and gives it and its contents to the test user. Fails when the
    /// user could not enter one of its ancestors; `support::scratch_dir()` avoids that.
    pub fn grant_write(&self, dir: &Path) -> Result<()> {
        give_to_user(dir, self.user)
    }

    /// Kills sshd and all its sessions. Connections to the port are refused until `start()`.
    pub fn stop(&mut self) -> Result<()> {
        self.process.stop()
    }

    /// Starts sshd again on the same address with the same keys, so targets stay valid. Fails
    /// with `HarnessError::AddressInUse` when another socket took the port meanwhile.
    pub fn start(&mut self) -> Result<()> {
        self.process.start()
    }

    /// Freezes sshd and its sessions with SIGSTOP. New clients complete the TCP handshake and
    /// then wait for the server's banner forever; open sessions stall as if the host died.
    pub fn hang(&mut self) -> Result<()> {
        self.process.hang()
    }

    /// Continues a hung sshd and its sessions.
    pub fn unhang(&mut self) -> Result<()> {
        self.process.unhang()
    }

    /// Kills every session process (sshd children and the commands they run, such as
    /// `rsync --server`) and keeps the listener running. Clients see the connection closed.
    pub fn kill_sessions(&mut self) -> Result<()> {
        self.process.kill_sessions()
    }

    /// Lists the session processes, read from /proc now.
    pub fn session_processes(&self) -> Vec<ProcessInfo> {
        self.process.session_processes()
    }

    /// Lists the PIDs of the listener and its sessions, or nothing when stopped.
    pub fn pids(&self) -> Vec<i32> {
        self.process.pids()
    }

    pub fn is_running(&self) -> bool {
        self.process.is_running()
    }

    pub fn is_hung(&self) -> bool {
        self.process.is_hung()
    }
}

fn check_ssh_programs() -> Result<()> {
    if !Path::new(SSHD_PATH).is_file() {
        return Err(failed(format!("{SSHD_PATH} not found: install it with `apt-get install -y openssh-server`")));
    }
    require_program("ssh", "openssh-client")?;
    require_program("ssh-keygen", "openssh-client")?;
    Ok(())
}

fn create_privilege_separation_dir() -> Result<()> {
    let dir = Path::new(PRIVILEGE_SEPARATION_DIR);
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|error| io_failed("create", dir, error))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
        .map_err(|error| io_failed("set the mode of", dir, error))
}

/// Creates the server's temporary directory with mode 0755, because sshd reads
/// `authorized_keys` there as the test user.
fn server_dir() -> Result<TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("pressrun-sshd-")
        .tempdir()
        .map_err(|error| failed(format!("could not create a temporary directory: {error}")))?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
        .map_err(|error| io_failed("set the mode of", dir.path(), error))?;

    // The paths go unquoted into ssh command lines and configuration files.
    plain_absolute_path(dir.path());
    Ok(dir)
}

/// Returns `path` as a string after checking that it is absolute and needs no quoting in a
/// command line or an ssh configuration file.
///
/// # Panics
/// When the path is relative or contains other characters than ASCII letters, digits and
/// `/._-`; set TMPDIR to a plain directory in that case.
fn plain_absolute_path(path: &Path) -> &str {
    let text = path.to_str().unwrap_or("");
    let plain =
        text.starts_with('/') && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"/._-".contains(&byte));
    assert!(
        plain,
        "{} must be an absolute path of ASCII letters, digits and /._- (set TMPDIR to such a directory)",
        path.display()
    );
    text
}

fn generate_key(path: &Path) -> Result<()> {
    let mut command = Command::new("ssh-keygen");
    command.args(["-q", "-t", "ed25519", "-N", "", "-C", "pressrun-test", "-f"]).arg(path);
    run(&mut command).map(drop)
}

fn authorize_client_key(dir: &Path) -> Result<()> {
    let public_key = dir.join("client_key.pub");
    let authorized_keys = dir.join("authorized_keys");
    fs::copy(&public_key, &authorized_keys).map_err(|error| io_failed("copy", &public_key, error))?;
    fs::set_permissions(&authorized_keys, fs::Permissions::from_mode(0o644))
        .map_err(|error| io_failed("set the mode of", &authorized_keys, error))
}

fn write_sshd_config(dir: &Path, address: SocketAddr, user: &TestUser) -> Result<PathBuf> {
    let path = dir.join("sshd_config");

    // StrictModes would reject authorized_keys because its ancestor /tmp is world-writable.
    // MaxStartups is raised because the default (10:30:100) drops connections at random once
    // ten are unauthenticated, which parallel tests reach.
    let mut config = format!(
        "ListenAddress {address}\n\
         HostKey {dir}/host_key\n\
         PidFile {dir}/sshd.pid\n\
         AuthorizedKeysFile {dir}/authorized_keys\n\
         AllowUsers {user}\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin no\n\
         UsePAM no\n\
         StrictModes no\n\
         MaxStartups 100\n\
         MaxSessions 100\n\
         LogLevel VERBOSE\n",
        dir = plain_absolute_path(dir),
        user = user.name,
    );
    fs::write(&path, &config).map_err(|error| io_failed("write", &path, error))?;

    // From OpenSSH 9.8 on, sshd blocks a source address for a while after it caused failed or
    // dropped sessions, which tests cause on purpose. Older versions reject the option.
    if supports_per_source_penalties(&path) {
        config.push_str("PerSourcePenalties no\n");
        fs::write(&path, &config).map_err(|error| io_failed("write", &path, error))?;
    }
    Ok(path)
}

/// Returns whether this sshd accepts `PerSourcePenalties`, by testing `config` with the option.
/// The result is cached for the process.
fn supports_per_source_penalties(config: &Path) -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        Command::new(SSHD_PATH)
            .arg("-t")
            .arg("-f")
            .arg(config)
            .args(["-o", "PerSourcePenalties=no"])
            .output()
            .is_ok_and(|output| output.status.success())
    })
}

/// An ssh client configuration file with one `Host` entry per registered server, so that one
/// remote-shell option (`-e "ssh -F FILE"`) reaches servers on different ports.
///
/// The guard owns a temporary directory with the file `ssh_config`. The entries name the
/// servers' key files, so the servers must outlive their use through the fleet.
pub struct SshFleet {
    hosts: Vec<FleetHost>,
    config_path: PathBuf,
    dir: TempDir,
}

struct FleetHost {
    alias: String,
    address: SocketAddr,
    user: &'static str,
    key: PathBuf,
}

impl SshFleet {
    /// Creates an empty configuration file.
    pub fn new() -> Result<SshFleet> {
        let dir = tempfile::Builder::new()
            .prefix("pressrun-ssh-fleet-")
            .tempdir()
            .map_err(|error| failed(format!("could not create a temporary directory: {error}")))?;
        plain_absolute_path(dir.path());

        let config_path = dir.path().join("ssh_config");
        let fleet = SshFleet { hosts: Vec::new(), config_path, dir };
        fleet.write_config()?;
        Ok(fleet)
    }

    /// Adds a `Host ALIAS` entry for `server` and rewrites the file. The alias must be a
    /// non-empty word of ASCII letters, digits and `._-` that is not registered yet.
    pub fn add(&mut self, alias: &str, server: &SshServer) -> Result<()> {
        let valid =
            !alias.is_empty() && alias.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte));
        if !valid {
            return Err(failed(format!("invalid ssh host alias {alias:?}: use ASCII letters, digits and ._-")));
        }
        if self.hosts.iter().any(|host| host.alias == alias) {
            return Err(failed(format!("ssh host alias {alias} is already registered")));
        }

        self.hosts.push(FleetHost {
            alias: alias.to_owned(),
            address: server.address(),
            user: server.user(),
            key: server.client_key().to_owned(),
        });
        self.write_config()
    }

    fn write_config(&self) -> Result<()> {
        let mut config = String::from("# ssh client configuration for the test sshd servers\n");
        for host in &self.hosts {
            config.push_str(&format!(
                "\nHost {alias}\n\
                 \x20   HostName {ip}\n\
                 \x20   Port {port}\n\
                 \x20   User {user}\n\
                 \x20   IdentityFile {key}\n\
                 \x20   IdentitiesOnly yes\n\
                 \x20   StrictHostKeyChecking no\n\
                 \x20   UserKnownHostsFile /dev/null\n\
                 \x20   BatchMode yes\n\
                 \x20   LogLevel ERROR\n",
                alias = host.alias,
                ip = host.address.ip(),
                port = host.address.port(),
                user = host.user,
                key = host.key.display(),
            ));
        }
        fs::write(&self.config_path, config).map_err(|error| io_failed("write", &self.config_path, error))
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Returns `ssh -F FILE`.
    pub fn ssh_command(&self) -> String {
        format!("ssh -F {}", self.config_path.display())
    }

    /// Returns `-e "ssh -F FILE"`, quoted for a configuration line.
    pub fn rsync_options(&self) -> String {
        format!("-e \"{}\"", self.ssh_command())
    }

    /// Returns the rsync target `ALIAS:DIR`. The directory must be writable by the test user
    /// (see `SshServer::grant_write`). Panics unless the alias is registered and `dir` is an
    /// absolute path of ASCII letters, digits and `/._-`.
    pub fn target(&self, alias: &str, dir: &Path) -> String {
        assert!(
            self.hosts.iter().any(|host| host.alias == alias),
            "ssh host alias {alias} is not registered in {}",
            self.config_path.display()
        );
        format!("{alias}:{}", plain_absolute_path(dir))
    }
}
