//! Tests of the test-host harness in `tests/support`, run with the real `rsync`, `ssh` and
//! `sshd`: servers receive a tree with awkward file names, fail in the ways they are made to,
//! come back on the same port and leave no process behind.
//!
//! Each test takes `serialize_test()` because it checks the process tree of the test binary.

mod support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use support::{
    CommandOutcome, HarnessError, NamespaceHost, ProcessWatch, RsyncDaemon, SshFleet, SshServer, TreeDifference,
    assert_all_dead, assert_trees_equal, compare_trees, free_port, run_with_deadline, scratch_dir, serialize_test,
};

/// A deadline for rsync runs that must not hang; a run that reaches it fails its test.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// The bound on how long a transfer to a hung or unreachable host may take with
/// `--timeout=3` and `ConnectTimeout=3`. ssh gives up after about 3 s, but rsync 3.5.0 reports
/// an io timeout only after up to twice `--timeout` (6 to 8 s measured on a 2-core machine),
/// and a loaded CI machine delays timers further. A host that is not detected hangs for minutes.
const FAILURE_BOUND: Duration = Duration::from_secs(15);

/// How long a transfer to a stopped server may take: the connection is refused at once.
const REFUSED_BOUND: Duration = Duration::from_secs(5);

/// The time given to exiting processes before `assert_no_leftovers` reports them.
const LEFTOVER_GRACE: Duration = Duration::from_secs(2);

/// rsync's exit code for a timeout in data send or receive.
const RSYNC_TIMEOUT_EXIT: i32 = 30;

/// rsync's exit code for an error starting the client-server protocol.
const RSYNC_START_PROTOCOL_EXIT: i32 = 5;

/// Names that break naive quoting or normalization, as raw bytes. The two `café` entries differ:
/// the first is NFC (U+00E9), the second NFD (`e` and U+0301).
const AWKWARD_FILES: [&[u8]; 10] = [
    b"plain.html",
    b"with space.html",
    b"[bracket].css",
    b"back`tick.js",
    b"-leading-dash.txt",
    b"new\nline.txt",
    b"caf\xc3\xa9.txt",
    b"cafe\xcc\x81.txt",
    b"latin1-\xe9-not-utf8.txt",
    b"sub dir/nested [x]/deep $HOME.txt",
];

/// Creates the awkward tree under `root` and returns every path in it, relative and parents
/// first, for a `--files-from` list. Symlinks are left out because an rsync daemon without
/// chroot rewrites their targets ("munge symlinks").
fn create_awkward_tree(root: &Path) -> Vec<PathBuf> {
    let mut entries = vec![PathBuf::from("sub dir"), PathBuf::from("sub dir/nested [x]"), PathBuf::from("empty dir")];
    for directory in &entries {
        fs::create_dir_all(root.join(directory)).unwrap();
    }

    for (index, name) in AWKWARD_FILES.iter().enumerate() {
        let relative = PathBuf::from(OsStr::from_bytes(name));
        let contents = format!("file {index}: {}\n", relative.display()).repeat(index + 1);
        fs::write(root.join(&relative), contents).unwrap();
        entries.push(relative);
    }
    entries
}

/// Writes `entries` NUL-separated for `--files-from=FILE --from0`.
fn write_file_list(entries: &[PathBuf], path: &Path) {
    let mut list = Vec::new();
    for entry in entries {
        list.extend_from_slice(entry.as_os_str().as_bytes());
        list.push(0);
    }
    fs::write(path, list).unwrap();
}

/// A source tree with its file list.
struct Source {
    _dir: tempfile::TempDir,
    root: PathBuf,
    list: PathBuf,
}

fn awkward_source() -> Source {
    let dir = scratch_dir().unwrap();
    let root = dir.path().join("site");
    fs::create_dir(&root).unwrap();
    let entries = create_awkward_tree(&root);

    let list = dir.path().join("files.list");
    write_file_list(&entries, &list);
    Source { _dir: dir, root, list }
}

/// Runs `rsync -a` of the listed files to `target`. `options` is a configuration line's
/// `RsyncOptions` value, split the way a shell would.
fn rsync(source: &Source, options: &str, extra: &[&str], target: &str) -> CommandOutcome {
    let mut command = Command::new("rsync");
    command.args(shell_words::split(options).expect("rsync options are shell-quoted"));
    command.args(["-a", "--from0"]).arg(format!("--files-from={}", source.list.display()));
    command.args(extra);
    command.arg(format!("{}/", source.root.display())).arg(target);
    run_with_deadline(&mut command, RUN_DEADLINE).unwrap()
}

fn assert_succeeded(outcome: &CommandOutcome, target: &str) {
    assert!(outcome.succeeded(), "rsync to {target} failed with {:?}: {}", outcome.status, outcome.stderr);
}

/// Asserts that the run failed on its own (was not killed at the deadline) within `bound`.
fn assert_failed_within(outcome: &CommandOutcome, bound: Duration, description: &str) {
    assert!(!outcome.timed_out(), "rsync {description} was still running after {RUN_DEADLINE:?}");
    assert!(!outcome.succeeded(), "rsync {description} succeeded: {}", outcome.stderr);
    assert!(outcome.elapsed < bound, "rsync {description} took {:?}: {}", outcome.elapsed, outcome.stderr);
    eprintln!(
        "rsync {description}: exit {:?} after {:.2?}: {}",
        outcome.code(),
        outcome.elapsed,
        outcome.stderr.trim()
    );
}

/// Returns `-e "SSH -o ConnectTimeout=3"` for an ssh command.
fn with_connect_timeout(ssh_command: &str) -> String {
    format!("-e \"{ssh_command} -o ConnectTimeout=3\"")
}

/// Creates a target directory inside `scratch` that `server`'s user may write to.
fn ssh_target_dir(scratch: &Path, name: &str, server: &SshServer) -> PathBuf {
    let dir = scratch.join(name);
    server.grant_write(&dir).unwrap();
    dir
}

#[test]
fn awkward_tree_reaches_every_server() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let source = awkward_source();
    let scratch = scratch_dir().unwrap();

    let first = SshServer::new().unwrap();
    let second = SshServer::new().unwrap();
    let daemon = RsyncDaemon::new(&scratch.path().join("daemon")).unwrap();
    let mut fleet = SshFleet::new().unwrap();
    fleet.add("h1", &first).unwrap();
    fleet.add("h2", &second).unwrap();

    let direct_dir = ssh_target_dir(scratch.path(), "direct", &first);
    let target = first.target(&direct_dir);
    assert_succeeded(&rsync(&source, &first.rsync_options(), &[], &target), &target);
    assert_trees_equal(&source.root, &direct_dir);

    for (alias, server) in [("h1", &first), ("h2", &second)] {
        let dir = ssh_target_dir(scratch.path(), &format!("fleet-{alias}"), server);
        let target = fleet.target(alias, &dir);
        assert_succeeded(&rsync(&source, &fleet.rsync_options(), &[], &target), &target);
        assert_trees_equal(&source.root, &dir);
    }

    assert_succeeded(&rsync(&source, "", &[], &daemon.target()), &daemon.target());
    assert_trees_equal(&source.root, daemon.module_dir());

    let pids: Vec<i32> = [first.pids(), second.pids(), daemon.pids()].concat();
    drop((first, second, daemon));
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

#[test]
fn stopped_ssh_server_refuses_then_restarts() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let source = awkward_source();
    let scratch = scratch_dir().unwrap();
    let mut server = SshServer::new().unwrap();
    let dir = ssh_target_dir(scratch.path(), "target", &server);
    let target = server.target(&dir);
    let port = server.port();

    let listener_pids = server.pids();
    server.stop().unwrap();
    assert_all_dead(&listener_pids);
    let refused = rsync(&source, &server.rsync_options(), &[], &target);
    assert_failed_within(&refused, REFUSED_BOUND, "to a stopped sshd");
    assert!(matches!(refused.code(), Some(255) | Some(12)), "unexpected exit: {refused:?}");
    assert!(refused.stderr.contains("Connection refused"), "unexpected stderr: {}", refused.stderr);

    watch.assert_no_leftovers(LEFTOVER_GRACE);

    server.start().unwrap();
    assert_eq!(server.port(), port);
    assert_succeeded(&rsync(&source, &server.rsync_options(), &[], &target), &target);
    assert_trees_equal(&source.root, &dir);

    let pids = server.pids();
    drop(server);
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

#[test]
fn hung_ssh_server_times_out_then_recovers() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let source = awkward_source();
    let scratch = scratch_dir().unwrap();
    let mut server = SshServer::new().unwrap();
    let dir = ssh_target_dir(scratch.path(), "target", &server);
    let target = server.target(&dir);
    let options = with_connect_timeout(&server.ssh_command());

    server.hang().unwrap();
    let hung = rsync(&source, &options, &["--timeout=3"], &target);
    assert_failed_within(&hung, FAILURE_BOUND, "to a hung sshd");
    assert!(matches!(hung.code(), Some(255) | Some(12)), "unexpected exit: {hung:?}");
    assert!(hung.stderr.contains("banner exchange"), "unexpected stderr: {}", hung.stderr);

    watch.assert_no_leftovers(LEFTOVER_GRACE);

    server.unhang().unwrap();
    assert_succeeded(&rsync(&source, &options, &["--timeout=3"], &target), &target);
    assert_trees_equal(&source.root, &dir);

    let pids = server.pids();
    drop(server);
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

/// Creates a source with one incompressible file large enough that a transfer limited to
/// 500 KiB/s takes about 16 s.
fn large_source() -> Source {
    let dir = scratch_dir().unwrap();
    let root = dir.path().join("site");
    fs::create_dir(&root).unwrap();

    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..8 * 1024 * 1024)
        .map(|_| {
            // xorshift64: incompressible enough that ssh and rsync cannot shrink it.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    fs::write(root.join("large.bin"), bytes).unwrap();

    let list = dir.path().join("files.list");
    write_file_list(&[PathBuf::from("large.bin")], &list);
    Source { _dir: dir, root, list }
}

/// Starts a slow transfer in a thread and returns once `server` runs an `rsync` session for
/// it. The thread returns the outcome and the moment the client exited.
fn start_slow_transfer(
    source: Source,
    options: String,
    target: String,
    server: &SshServer,
) -> thread::JoinHandle<(CommandOutcome, Instant)> {
    let transfer = thread::spawn(move || {
        let outcome = rsync(&source, &options, &["--timeout=3", "--bwlimit=500"], &target);
        (outcome, Instant::now())
    });

    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.session_processes().iter().any(|process| process.name == "rsync") {
        assert!(Instant::now() < deadline, "no rsync session appeared on the server");
        thread::sleep(Duration::from_millis(20));
    }

    // Let data flow for a moment, so the failure happens mid-transfer.
    thread::sleep(Duration::from_millis(500));
    transfer
}

#[test]
fn ssh_server_hanging_mid_transfer_times_out() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let scratch = scratch_dir().unwrap();
    let mut server = SshServer::new().unwrap();
    let dir = ssh_target_dir(scratch.path(), "target", &server);
    let options = with_connect_timeout(&server.ssh_command());

    let transfer = start_slow_transfer(large_source(), options, server.target(&dir), &server);
    let hung_at = Instant::now();
    server.hang().unwrap();
    let (outcome, ended_at) = transfer.join().unwrap();

    let after_hang = ended_at - hung_at;
    assert!(!outcome.timed_out(), "rsync was still running after {RUN_DEADLINE:?}");
    assert_eq!(outcome.code(), Some(RSYNC_TIMEOUT_EXIT), "unexpected exit: {outcome:?}");
    assert!(after_hang < FAILURE_BOUND, "rsync took {after_hang:?} after the hang");
    eprintln!(
        "rsync to sshd hung mid-transfer: exit {:?} {after_hang:.2?} after the hang: {}",
        outcome.code(),
        outcome.stderr.trim()
    );

    watch.assert_no_leftovers(LEFTOVER_GRACE);

    let pids = server.pids();
    drop(server);
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

#[test]
fn killed_ssh_sessions_fail_transfer_fast() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let scratch = scratch_dir().unwrap();
    let mut server = SshServer::new().unwrap();
    let dir = ssh_target_dir(scratch.path(), "target", &server);
    let options = with_connect_timeout(&server.ssh_command());

    let transfer = start_slow_transfer(large_source(), options, server.target(&dir), &server);
    let session_pids: Vec<i32> = server.session_processes().iter().map(|process| process.pid).collect();
    let killed_at = Instant::now();
    server.kill_sessions().unwrap();
    let (outcome, ended_at) = transfer.join().unwrap();

    let after_kill = ended_at - killed_at;
    assert!(!outcome.timed_out(), "rsync was still running after {RUN_DEADLINE:?}");
    assert!(matches!(outcome.code(), Some(255) | Some(12)), "unexpected exit: {outcome:?}");
    assert!(after_kill < REFUSED_BOUND, "rsync took {after_kill:?} after the sessions were killed");
    eprintln!(
        "rsync whose sshd session was killed: exit {:?} {after_kill:.2?} after the kill: {}",
        outcome.code(),
        outcome.stderr.trim()
    );
    assert_all_dead(&session_pids);
    assert!(server.is_running(), "kill_sessions stopped the listener");

    watch.assert_no_leftovers(LEFTOVER_GRACE);

    let pids = server.pids();
    drop(server);
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

#[test]
fn rsync_daemon_stops_hangs_and_recovers() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let source = awkward_source();
    let scratch = scratch_dir().unwrap();
    let mut daemon = RsyncDaemon::new(&scratch.path().join("daemon")).unwrap();
    let target = daemon.target();
    let timeouts = ["--timeout=3", "--contimeout=3"];

    daemon.stop().unwrap();
    let refused = rsync(&source, "", &timeouts, &target);
    assert_failed_within(&refused, REFUSED_BOUND, "to a stopped daemon");
    assert!(refused.stderr.contains("Connection refused"), "unexpected stderr: {}", refused.stderr);

    daemon.start().unwrap();
    assert_eq!(daemon.target(), target);
    assert_succeeded(&rsync(&source, "", &timeouts, &target), &target);
    assert_trees_equal(&source.root, daemon.module_dir());

    daemon.hang().unwrap();
    let hung = rsync(&source, "", &timeouts, &target);
    assert_failed_within(&hung, FAILURE_BOUND, "to a hung daemon");
    assert_eq!(hung.code(), Some(RSYNC_TIMEOUT_EXIT), "unexpected exit: {hung:?}");

    watch.assert_no_leftovers(LEFTOVER_GRACE);

    daemon.unhang().unwrap();
    assert_succeeded(&rsync(&source, "", &timeouts, &target), &target);

    let pids = daemon.pids();
    drop(daemon);
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

/// A remote-shell option makes rsync reach an rsync:// target through ssh (and start
/// `rsync --server --daemon` there) instead of opening a TCP connection to the daemon, so an
/// `RsyncOptions` line with `-e` must not be applied to a daemon target. Here ssh logs in to
/// the port given in `-e` as root, which the test sshd rejects, and rsync 3.5.0 exits with 5
/// ("did not see server greeting").
#[test]
fn rsync_daemon_rejects_remote_shell_option() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let source = awkward_source();
    let scratch = scratch_dir().unwrap();
    let server = SshServer::new().unwrap();
    let daemon = RsyncDaemon::new(&scratch.path().join("daemon")).unwrap();

    let rejected = rsync(&source, &server.rsync_options(), &["--timeout=3"], &daemon.target());
    assert_failed_within(&rejected, FAILURE_BOUND, "to a daemon with -e ssh");
    assert_eq!(rejected.code(), Some(RSYNC_START_PROTOCOL_EXIT), "unexpected exit: {rejected:?}");
    assert!(rejected.stderr.contains("did not see server greeting"), "unexpected stderr: {}", rejected.stderr);
    let listed = fs::read_dir(daemon.module_dir()).unwrap().count();
    assert_eq!(listed, 0, "the daemon module received files");

    let pids: Vec<i32> = [server.pids(), daemon.pids()].concat();
    drop((server, daemon));
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

#[test]
fn namespace_host_link_down_and_packet_loss() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let mut host = match NamespaceHost::new() {
        Ok(host) => host,
        Err(HarnessError::Unsupported(reason)) => {
            eprintln!("skipped: network namespaces are not available: {reason}");
            return;
        }
        Err(error) => panic!("{error}"),
    };
    let source = awkward_source();
    let scratch = scratch_dir().unwrap();
    let dir = ssh_target_dir(scratch.path(), "target", host.ssh());
    let target = host.ssh().target(&dir);
    let options = with_connect_timeout(&host.ssh().ssh_command());
    let timeout = ["--timeout=3"];

    assert_succeeded(&rsync(&source, &options, &timeout, &target), &target);
    assert_trees_equal(&source.root, &dir);

    host.set_link_down().unwrap();
    let unreachable = rsync(&source, &options, &timeout, &target);
    assert_failed_within(&unreachable, FAILURE_BOUND, "to a host whose link is down");
    host.set_link_up().unwrap();
    assert_succeeded(&rsync(&source, &options, &timeout, &target), &target);

    host.start_dropping_packets().unwrap();
    let dropped = rsync(&source, &options, &timeout, &target);
    assert_failed_within(&dropped, FAILURE_BOUND, "to a host that drops packets");
    assert!(dropped.stderr.contains("timed out"), "unexpected stderr: {}", dropped.stderr);
    host.stop_dropping_packets().unwrap();
    assert_succeeded(&rsync(&source, &options, &timeout, &target), &target);

    let pids = host.ssh().pids();
    let namespace = host.name().to_owned();
    drop(host);
    assert_all_dead(&pids);
    let namespaces = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&namespaces.stdout).contains(&namespace), "namespace {namespace} is left");
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

/// Dropping every packet mid-transfer is the closest to a host that dies: the TCP connection
/// stays open and nothing arrives.
#[test]
fn namespace_host_dropping_packets_mid_transfer_times_out() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let mut host = match NamespaceHost::new() {
        Ok(host) => host,
        Err(HarnessError::Unsupported(reason)) => {
            eprintln!("skipped: network namespaces are not available: {reason}");
            return;
        }
        Err(error) => panic!("{error}"),
    };
    let scratch = scratch_dir().unwrap();
    let dir = ssh_target_dir(scratch.path(), "target", host.ssh());
    let options = with_connect_timeout(&host.ssh().ssh_command());

    let transfer = start_slow_transfer(large_source(), options, host.ssh().target(&dir), host.ssh());
    let dropped_at = Instant::now();
    host.start_dropping_packets().unwrap();
    let (outcome, ended_at) = transfer.join().unwrap();

    let after_drop = ended_at - dropped_at;
    assert!(!outcome.timed_out(), "rsync was still running after {RUN_DEADLINE:?}");
    assert_eq!(outcome.code(), Some(RSYNC_TIMEOUT_EXIT), "unexpected exit: {outcome:?}");
    assert!(after_drop < FAILURE_BOUND, "rsync took {after_drop:?} after packets were dropped");
    eprintln!(
        "rsync to a host dropping packets mid-transfer: exit {:?} {after_drop:.2?} after the drop: {}",
        outcome.code(),
        outcome.stderr.trim()
    );

    watch.assert_no_leftovers(LEFTOVER_GRACE);

    let pids = host.ssh().pids();
    drop(host);
    assert_all_dead(&pids);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}

#[test]
fn tree_comparison_lists_each_difference() {
    let scratch = scratch_dir().unwrap();
    let expected = scratch.path().join("expected");
    let actual = scratch.path().join("actual");
    for root in [&expected, &actual] {
        fs::create_dir_all(root.join("both")).unwrap();
        fs::write(root.join("same.txt"), "same").unwrap();
    }
    fs::write(expected.join("new\nline"), "only in expected").unwrap();
    fs::write(actual.join(OsStr::from_bytes(b"extra-\xff")), "only in actual").unwrap();
    fs::write(expected.join("changed.txt"), "abcdef").unwrap();
    fs::write(actual.join("changed.txt"), "abcXef!").unwrap();
    fs::create_dir(expected.join("was dir")).unwrap();
    fs::write(actual.join("was dir"), "").unwrap();

    let differences = compare_trees(&expected, &actual).unwrap();
    assert_eq!(
        differences,
        vec![
            TreeDifference::ContentDiffers {
                path: PathBuf::from("changed.txt"),
                expected_len: 6,
                actual_len: 7,
                first_difference: 3,
            },
            TreeDifference::Extra { path: PathBuf::from(OsStr::from_bytes(b"extra-\xff")), kind: "file" },
            TreeDifference::Missing { path: PathBuf::from("new\nline"), kind: "file" },
            TreeDifference::KindDiffers { path: PathBuf::from("was dir"), expected: "directory", actual: "file" },
        ]
    );

    let panic = std::panic::catch_unwind(|| assert_trees_equal(&expected, &actual)).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains(r#"missing file "new\nline""#), "message: {message}");
    assert!(message.contains(r#"extra file "extra-\xFF""#), "message: {message}");
    assert_trees_equal(&expected.join("both"), &actual.join("both"));
}

/// An rsync whose parent exits is re-parented to the test process, which `ProcessWatch` makes
/// the child subreaper, and must be reported.
#[test]
fn orphaned_rsync_is_reported() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let scratch = scratch_dir().unwrap();
    let config = scratch.path().join("rsyncd.conf");
    fs::write(&config, format!("[site]\n    path = {}\n", scratch.path().display())).unwrap();

    let script = format!(
        "rsync --daemon --no-detach --config={} --address=127.0.0.1 --port={} </dev/null >/dev/null 2>&1 & echo $!",
        config.display(),
        free_port().unwrap()
    );
    let output = Command::new("sh").args(["-c", &script]).output().unwrap();
    let orphan: i32 = String::from_utf8_lossy(&output.stdout).trim().parse().unwrap();

    let deadline = Instant::now() + Duration::from_secs(5);
    while !watch.leftovers().iter().any(|process| process.pid == orphan) {
        assert!(Instant::now() < deadline, "orphaned rsync {orphan} was not reported");
        thread::sleep(Duration::from_millis(20));
    }

    // SAFETY: kill(2) on a PID that this test started.
    unsafe {
        libc::kill(orphan, libc::SIGKILL);
    }
    assert_all_dead(&[orphan]);
    watch.assert_no_leftovers(LEFTOVER_GRACE);
}
