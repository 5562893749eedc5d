//! The unprivileged user that test sshd servers log in as, and directories it can write to.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{MetadataExt, PermissionsExt, lchown};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use tempfile::TempDir;

use super::command::{describe, find_system_program, run};
use super::error::{Result, failed, io_failed};

/// The login name of the test user.
pub const TEST_USER: &str = "pressrun-test";

/// The test user's home directory.
const TEST_USER_HOME: &str = "/var/tmp/pressrun-test";

/// A lock file that serializes creating the test user across test processes on one machine.
const USER_LOCK_PATH: &str = "/var/tmp/pressrun-test-user.lock";

/// The exit code of `useradd` when the name is already taken (shadow-utils).
const USERADD_NAME_IN_USE: i32 = 9;

/// The account that sshd test servers log in as. Its shell is /bin/sh so that no shell start-up
/// file adds time to an ssh command.
#[derive(Debug)]
pub struct TestUser {
    pub name: &'static str,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// Returns the test user, creating it on the first call on this machine and unlocking its
/// password (`usermod -p '*'`), because sshd rejects key logins to a locked account even with
/// `UsePAM no`. Needs root. Concurrent test processes wait for each other on a lock file.
pub fn test_user() -> Result<&'static TestUser> {
    static USER: OnceLock<TestUser> = OnceLock::new();

    if let Some(user) = USER.get() {
        return Ok(user);
    }
    let user = ensure_test_user()?;
    Ok(USER.get_or_init(|| user))
}

fn ensure_test_user() -> Result<TestUser> {
    let _lock = FileLock::acquire(Path::new(USER_LOCK_PATH))?;

    if lookup_user(TEST_USER)?.is_none() {
        create_test_user()?;
    }
    if password_is_locked(TEST_USER)? {
        let usermod = find_system_program("usermod").ok_or_else(|| failed("usermod not found"))?;
        run(Command::new(usermod).args(["-p", "*", TEST_USER]))?;
    }

    lookup_user(TEST_USER)?.ok_or_else(|| failed(format!("user {TEST_USER} is missing from /etc/passwd after useradd")))
}

fn create_test_user() -> Result<()> {
    let useradd = find_system_program("useradd")
        .ok_or_else(|| failed("useradd not found: install it with `apt-get install -y passwd`"))?;
    let mut command = Command::new(useradd);
    command.args(["--system", "--create-home", "--home-dir", TEST_USER_HOME]);
    command.args(["--shell", "/bin/sh", "--user-group", "--comment", "pressrun integration tests", TEST_USER]);

    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| failed(format!("could not run `{}`: {error}", describe(&command))))?;

    // A process that does not take the lock file may have added the name since the lookup.
    match output.status.code() {
        Some(0) | Some(USERADD_NAME_IN_USE) => Ok(()),
        _ => Err(failed(format!(
            "`{}` failed with {}: {}",
            describe(&command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))),
    }
}

/// Reads `name` from /etc/passwd.
fn lookup_user(name: &'static str) -> Result<Option<TestUser>> {
    let passwd = Path::new("/etc/passwd");
    let text = fs::read_to_string(passwd).map_err(|error| io_failed("read", passwd, error))?;

    for line in text.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 7 || fields[0] != name {
            continue;
        }
        let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse()) else {
            return Err(failed(format!("invalid /etc/passwd entry for {name}: {line}")));
        };
        return Ok(Some(TestUser { name, uid, gid, home: PathBuf::from(fields[5]) }));
    }
    Ok(None)
}

/// Returns whether the password field in /etc/shadow starts with `!`, which locks the account.
fn password_is_locked(name: &str) -> Result<bool> {
    let shadow = Path::new("/etc/shadow");
    let text = fs::read_to_string(shadow).map_err(|error| io_failed("read (this needs root)", shadow, error))?;

    let prefix = format!("{name}:");
    let password = text
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(':').next())
        .ok_or_else(|| failed(format!("user {name} is missing from /etc/shadow")))?;
    Ok(password.starts_with('!'))
}

/// An exclusive `flock` on a file, released when dropped. It serializes threads as well as
/// processes, because each acquisition opens the file anew.
pub(crate) struct FileLock {
    _file: File,
}

impl FileLock {
    pub(crate) fn acquire(path: &Path) -> Result<FileLock> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|error| io_failed("open the lock file", path, error))?;

        // SAFETY: the descriptor belongs to `file`, which outlives the call.
        let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if result != 0 {
            return Err(io_failed("lock", path, std::io::Error::last_os_error()));
        }
        Ok(FileLock { _file: file })
    }
}

/// Creates a temporary directory that every user may enter (mode 0755), so that target
/// directories inside it can be handed to the test user. It is removed when dropped.
pub fn scratch_dir() -> Result<TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("pressrun-test-")
        .tempdir()
        .map_err(|error| failed(format!("could not create a temporary directory: {error}")))?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
        .map_err(|error| io_failed("set the mode of", dir.path(), error))?;
    Ok(dir)
}

/// Creates `dir` if needed and gives it, with everything under it, to `user`. Fails when the
/// user could not reach it because an ancestor lacks the search permission for that user.
pub(crate) fn give_to_user(dir: &Path, user: &TestUser) -> Result<()> {
    fs::create_dir_all(dir).map_err(|error| io_failed("create", dir, error))?;
    chown_tree(dir, user)?;

    for ancestor in dir.ancestors().skip(1) {
        let metadata = fs::metadata(ancestor).map_err(|error| io_failed("read the metadata of", ancestor, error))?;
        let search_bit = if metadata.uid() == user.uid {
            0o100
        } else if metadata.gid() == user.gid {
            0o010
        } else {
            0o001
        };
        if metadata.mode() & search_bit == 0 {
            return Err(failed(format!(
                "user {} cannot enter {} (mode {:o}): create target directories under support::scratch_dir()",
                user.name,
                ancestor.display(),
                metadata.mode() & 0o7777
            )));
        }
    }
    Ok(())
}

fn chown_tree(path: &Path, user: &TestUser) -> Result<()> {
    lchown(path, Some(user.uid), Some(user.gid)).map_err(|error| io_failed("change the owner of", path, error))?;

    let metadata = fs::symlink_metadata(path).map_err(|error| io_failed("read the metadata of", path, error))?;
    if !metadata.is_dir() {
        return Ok(());
    }
    for entry in fs::read_dir(path).map_err(|error| io_failed("list", path, error))? {
        let entry = entry.map_err(|error| io_failed("list", path, error))?;
        chown_tree(&entry.path(), user)?;
    }
    Ok(())
}
