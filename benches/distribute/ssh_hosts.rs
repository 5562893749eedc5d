//! Four sshd servers on 127.0.0.1 that stand in for web servers, a user
//! they log in as, and an ssh client config that reaches each by a host
//! alias.
//!
//! The servers run as children of the benchmark (`sshd -D`) and are ended
//! by their PIDs when [`SshHosts`] is dropped. They share one host key and
//! one client key pair, generated into the benchmark's directory.

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The login of the ssh targets. Its shell is /bin/sh, so that no shell
/// start-up file (such as a .bashrc that runs `pyenv init`) adds time to
/// every ssh command.
pub const USER: &str = "pressrun-bench";

const USER_HOME: &str = "/var/tmp/pressrun-bench";

/// sshd must be started by its absolute path, because it re-executes
/// itself for every connection.
const SSHD: &str = "/usr/sbin/sshd";

/// sshd refuses to start unless this privilege separation directory exists.
const PRIVILEGE_SEPARATION_DIR: &str = "/run/sshd";

/// How long a server may take from its start until it accepts connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long stopping a server waits for its sessions to end.
const SESSION_END_TIMEOUT: Duration = Duration::from_secs(5);

/// Running sshd servers, one per host alias `bench-web1` … `bench-webN`.
pub struct SshHosts {
    servers: Vec<Child>,
    config: PathBuf,
    uid: u32,
    gid: u32,
}

impl SshHosts {
    /// Creates the user if needed, writes keys and configs into `dir` (a
    /// new directory that the user must be able to reach) and starts
    /// `count` servers. Needs root.
    pub fn start(dir: &Path, count: usize) -> anyhow::Result<SshHosts> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            bail!("ssh targets need root (to add the user {USER} and start sshd); run as root or pass --no-ssh");
        }
        if !Path::new(SSHD).is_file() {
            bail!("{SSHD} not found: install openssh-server or pass --no-ssh");
        }
        let (uid, gid) = ensure_user()?;
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?;
        check_reachable(dir)?;
        fs::create_dir_all(PRIVILEGE_SEPARATION_DIR)?;
        fs::set_permissions(PRIVILEGE_SEPARATION_DIR, fs::Permissions::from_mode(0o755))?;
        generate_key(&dir.join("host_key"))?;
        generate_key(&dir.join("client_key"))?;
        fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys"))?;
        fs::set_permissions(dir.join("authorized_keys"), fs::Permissions::from_mode(0o644))?;

        let mut hosts = SshHosts { servers: Vec::new(), config: dir.join("ssh_config"), uid, gid };
        let mut client_config = String::new();
        for number in 1..=count {
            let port = free_port()?;
            hosts.servers.push(start_server(dir, number, port)?);
            client_config.push_str(&host_entry(number, port, &dir.join("client_key")));
        }
        fs::write(&hosts.config, client_config)?;
        for number in 1..=count {
            hosts.check_login(number)?;
        }
        Ok(hosts)
    }

    /// Returns the host alias of server `number` (from 1).
    pub fn alias(number: usize) -> String {
        format!("bench-web{number}")
    }

    /// Returns the remote-shell command: ssh with the generated client config.
    pub fn ssh_command(&self) -> String {
        format!("ssh -F {}", self.config.display())
    }

    /// Creates `dir` as a new empty directory owned by the ssh user, so
    /// that rsync on the server side can write into it.
    pub fn create_target_dir(&self, dir: &Path) -> anyhow::Result<()> {
        fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        chown(dir, Some(self.uid), Some(self.gid)).with_context(|| format!("cannot give {} to {USER}", dir.display()))
    }

    /// Runs `true` on server `number` over ssh, to fail early when a login
    /// does not work.
    fn check_login(&self, number: usize) -> anyhow::Result<()> {
        let output = Command::new("ssh").arg("-F").arg(&self.config).arg(Self::alias(number)).arg("true").output()?;
        if !output.status.success() {
            bail!(
                "ssh login to {} failed ({}): {}",
                Self::alias(number),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }
}

impl Drop for SshHosts {
    /// Ends every server with SIGTERM, by PID, and reaps it. Waits first
    /// (up to [`SESSION_END_TIMEOUT`]) for its sessions to end, because a
    /// session whose server is gone is left to init to reap.
    fn drop(&mut self) {
        for server in &mut self.servers {
            let pid = libc::pid_t::try_from(server.id()).unwrap_or(0);
            let started = Instant::now();
            while has_children(pid) && started.elapsed() < SESSION_END_TIMEOUT {
                thread::sleep(Duration::from_millis(20));
            }
            // SAFETY: kill only sends a signal, to a child that was not reaped yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            if let Err(error) = server.wait() {
                eprintln!("cannot wait for sshd (PID {pid}): {error}");
            }
        }
    }
}

/// Returns whether a process has `pid` as its parent, from /proc.
fn has_children(pid: libc::pid_t) -> bool {
    let Ok(processes) = fs::read_dir("/proc") else { return false };
    processes.flatten().any(|process| {
        let stat = fs::read_to_string(process.path().join("stat")).unwrap_or_default();
        // The parent PID is the second field after the command name, which
        // is in parentheses and may contain spaces.
        let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1));
        parent.and_then(|parent| parent.parse::<libc::pid_t>().ok()) == Some(pid)
    })
}

/// Returns the uid and gid of [`USER`], creating the user with `useradd`
/// when missing and unlocking its password with `usermod -p '*'`, because
/// sshd rejects key logins to a locked account.
fn ensure_user() -> anyhow::Result<(u32, u32)> {
    if lookup_user()?.is_none() {
        run_checked(
            Command::new("useradd")
                .args(["--system", "--create-home", "--home-dir", USER_HOME, "--shell", "/bin/sh"])
                .args(["--user-group", "--comment", "pressrun benchmarks", USER]),
        )?;
    }
    let shadow = fs::read_to_string("/etc/shadow").context("cannot read /etc/shadow")?;
    let locked = shadow.lines().any(|line| line.starts_with(&format!("{USER}:!")));
    if locked {
        run_checked(Command::new("usermod").args(["-p", "*", USER]))?;
    }
    lookup_user()?.with_context(|| format!("user {USER} is missing from /etc/passwd after useradd"))
}

fn lookup_user() -> anyhow::Result<Option<(u32, u32)>> {
    let passwd = fs::read_to_string("/etc/passwd").context("cannot read /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() >= 7 && fields[0] == USER {
            return Ok(Some((fields[2].parse()?, fields[3].parse()?)));
        }
    }
    Ok(None)
}

/// Fails unless every ancestor of `dir` lets other users search it, so
/// that sshd can read `authorized_keys` as the user and rsync can reach
/// the target directories.
fn check_reachable(dir: &Path) -> anyhow::Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let mode = fs::metadata(ancestor)?.mode();
        if mode & 0o001 == 0 {
            bail!(
                "user {USER} cannot enter {} (mode {:o}); give --keep a directory whose parents all have mode o+x",
                ancestor.display(),
                mode & 0o7777
            );
        }
    }
    Ok(())
}

fn generate_key(path: &Path) -> anyhow::Result<()> {
    run_checked(
        Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", "pressrun-bench", "-f"]).arg(path),
    )
}

/// Returns a port on 127.0.0.1 that was free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Writes `sshd_configN` and starts `sshd -D -e` with it, logging to
/// `sshdN.log`, then waits until the port accepts connections.
fn start_server(dir: &Path, number: usize, port: u16) -> anyhow::Result<Child> {
    let config = dir.join(format!("sshd_config{number}"));
    // StrictModes would reject authorized_keys, whose ancestor /tmp is
    // writable by everyone.
    let text = format!(
        "ListenAddress 127.0.0.1:{port}\n\
         HostKey {dir}/host_key\n\
         PidFile {dir}/sshd{number}.pid\n\
         AuthorizedKeysFile {dir}/authorized_keys\n\
         AllowUsers {USER}\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin no\n\
         UsePAM no\n\
         StrictModes no\n",
        dir = dir.display()
    );
    fs::write(&config, text)?;
    let log = File::create(dir.join(format!("sshd{number}.log")))?;
    let mut child = Command::new(SSHD)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start sshd")?;

    let started = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if let Some(status) = child.try_wait()? {
            let log = fs::read_to_string(dir.join(format!("sshd{number}.log"))).unwrap_or_default();
            bail!("sshd on port {port} exited with {status} before it accepted connections:\n{log}");
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!("sshd on port {port} did not accept connections within {} s", START_TIMEOUT.as_secs());
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(child)
}

/// Returns the client config entry for server `number`.
fn host_entry(number: usize, port: u16, key: &Path) -> String {
    format!(
        "Host {alias}\n\
         \x20   HostName 127.0.0.1\n\
         \x20   Port {port}\n\
         \x20   User {USER}\n\
         \x20   IdentityFile {key}\n\
         \x20   IdentitiesOnly yes\n\
         \x20   StrictHostKeyChecking no\n\
         \x20   UserKnownHostsFile /dev/null\n\
         \x20   BatchMode yes\n\
         \x20   LogLevel ERROR\n\n",
        alias = SshHosts::alias(number),
        key = key.display()
    )
}

fn run_checked(command: &mut Command) -> anyhow::Result<()> {
    let output = command.stdin(Stdio::null()).output().with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}
