//! Keeping several targets in step through outages, hangs, partial
//! transfers, old rsync versions and drift, against real sshd servers and
//! an rsync daemon started by the tests.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use support::site::{TestSite, many_entries, mt_entry};
use support::{ProcessWatch, RsyncDaemon, SshFleet, SshServer, assert_trees_equal, serialize_test};

/// Three sshd servers as hosts `h0`, `h1`, `h2` of one ssh config, each
/// with a target directory, configured as the site's targets in order.
struct Fleet {
    servers: Vec<SshServer>,
    dirs: Vec<std::path::PathBuf>,
    _fleet: SshFleet,
}

fn fleet(site: &TestSite, count: usize) -> Fleet {
    let mut fleet = SshFleet::new().expect("ssh fleet");
    let mut servers = Vec::new();
    let mut dirs = Vec::new();
    let mut lines = String::new();
    for index in 0..count {
        let server = SshServer::new().expect("start sshd");
        let alias = format!("h{index}");
        fleet.add(&alias, &server).expect("add host");
        let dir = site.path(&format!("www{index}"));
        server.grant_write(&dir).expect("grant write");
        lines.push_str(&format!("SyncTarget {}\n", fleet.target(&alias, &dir)));
        servers.push(server);
        dirs.push(dir);
    }
    lines.push_str(&format!("RsyncOptions {}\nSyncConnectTimeout 2\nSyncIOTimeout 4\n", fleet.rsync_options()));
    site.configure(&lines);
    Fleet { servers, dirs, _fleet: fleet }
}

fn run(site: &TestSite, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["run-periodic-tasks", "--verbose"];
    args.extend_from_slice(extra);
    let output = site.run(&args);
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn assert_all_equal(site: &TestSite, dirs: &[std::path::PathBuf]) {
    for dir in dirs {
        assert_trees_equal(&site.root, &site.copy_in(dir));
    }
}

#[test]
fn down_target_catches_up_at_every_position() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let site = TestSite::new("");
    let mut hosts = fleet(&site, 3);
    site.import_mt(&many_entries(20));
    assert_eq!(run(&site, &[]).0, Some(0));
    assert_all_equal(&site, &hosts.dirs);

    for down in 0..3 {
        hosts.servers[down].stop().expect("stop sshd");
        let batch: String = (0..5)
            .map(|i| {
                mt_entry(
                    &format!("Down {down}/{i}"),
                    &format!("down_{down}_{i}"),
                    "03/04/2024 10:00:00 AM",
                    "News",
                    "x",
                )
            })
            .collect();
        site.import_mt(&batch);
        let (code, report) = run(&site, &[]);
        assert_eq!(code, Some(1), "a run with a failed target must fail:\n{report}");
        for (index, dir) in hosts.dirs.iter().enumerate() {
            let copy = site.copy_in(dir);
            if index == down {
                assert!(!copy.join(format!("2024/03/down_{down}_0.html")).exists());
            } else {
                assert_trees_equal(&site.root, &copy);
            }
        }
        let status = site.ok(&["status"]);
        assert!(
            status.contains("failures in a row") || status.contains("failure in a row"),
            "status does not show the failure:\n{status}"
        );

        hosts.servers[down].start().expect("start sshd again");
        // A new process catches up: the pending state came from the store.
        let (code, report) = run(&site, &["--retry-now"]);
        assert_eq!(code, Some(0), "{report}");
        assert_all_equal(&site, &hosts.dirs);
        for (index, line) in report.lines().filter(|l| l.starts_with("sync ")).enumerate() {
            if index != down {
                assert!(line.ends_with("up to date"), "a healthy target was re-sent files: {line}");
            }
        }
    }
    drop(hosts);
    watch.assert_no_leftovers(Duration::from_secs(5));
}

#[test]
fn failed_target_waits_for_its_retry_time() {
    let _serial = serialize_test();
    let site = TestSite::new("SyncRetryBase 600");
    let mut hosts = fleet(&site, 2);
    site.import_mt(&many_entries(3));
    hosts.servers[1].stop().unwrap();
    assert_eq!(run(&site, &[]).0, Some(1));
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(1));
    assert!(report.contains("waiting to retry"), "{report}");
    let status = site.ok(&["status"]);
    assert!(status.contains("next retry:   in"), "{status}");
    hosts.servers[1].start().unwrap();
    assert_eq!(run(&site, &["--retry-now"]).0, Some(0));
    assert_all_equal(&site, &hosts.dirs);
}

#[test]
fn hung_target_is_given_up_in_bounded_time_at_every_position() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let site = TestSite::new("");
    let mut hosts = fleet(&site, 3);
    site.import_mt(&many_entries(5));
    assert_eq!(run(&site, &[]).0, Some(0));

    for hung in 0..3 {
        hosts.servers[hung].hang().expect("hang sshd");
        site.import_mt(&mt_entry(&format!("Hung {hung}"), &format!("hung_{hung}"), "03/04/2024 10:00:00 AM", "", "x"));
        let started = Instant::now();
        let (code, report) = run(&site, &[]);
        assert_eq!(code, Some(1), "{report}");
        assert!(started.elapsed() < Duration::from_secs(60), "a hung target held the run for {:?}", started.elapsed());
        for (_, dir) in hosts.dirs.iter().enumerate().filter(|(index, _)| *index != hung) {
            assert_trees_equal(&site.root, &site.copy_in(dir));
        }
        hosts.servers[hung].unhang().unwrap();
        let (code, report) = run(&site, &["--retry-now"]);
        assert_eq!(code, Some(0), "{report}");
        assert_all_equal(&site, &hosts.dirs);
    }
    drop(hosts);
    watch.assert_no_leftovers(Duration::from_secs(5));
}

#[test]
fn deadline_ends_a_stalled_rsync_and_its_children() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let site = TestSite::new("SyncDeadline 2\nSyncIOTimeout 60");
    let hosts = fleet(&site, 1);
    // About 1.5 MB at 50 KB/s takes thirty seconds, far past the deadline.
    site.configure(&format!("RsyncOptions -e \"{}\" --bwlimit=50\n", hosts._fleet.ssh_command()));
    site.import_mt(&many_entries(150));
    let started = Instant::now();
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(1));
    assert!(report.contains("deadline"), "{report}");
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(hosts);
    watch.assert_no_leftovers(Duration::from_secs(5));
}

#[test]
fn rsync_daemon_target_gets_no_remote_shell() {
    let _serial = serialize_test();
    let site = TestSite::new("");
    let module = site.path("module");
    let daemon = RsyncDaemon::new(&module).expect("start rsync daemon");
    let ssh = SshServer::new().expect("start sshd");
    let remote = site.path("remote");
    ssh.grant_write(&remote).unwrap();
    site.configure(&format!(
        "SyncTarget {}\nSyncTarget {}\nRsyncOptions {}\n",
        daemon.target(),
        ssh.target(&remote),
        ssh.rsync_options()
    ));
    site.import_mt(&many_entries(4));
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_trees_equal(&site.root, &site.copy_in(&module));
    assert_trees_equal(&site.root, &site.copy_in(&remote));
}

#[test]
fn exit_23_keeps_exactly_the_failed_files() {
    let _serial = serialize_test();
    let site = TestSite::new("");
    let hosts = fleet(&site, 2);
    site.import_mt(&many_entries(2));
    assert_eq!(run(&site, &[]).0, Some(0));

    // The ssh user may not write below 2024/ on the second target.
    let locked = site.copy_in(&hosts.dirs[1]).join("2024");
    fs::create_dir_all(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    site.import_mt(&mt_entry("June", "june", "06/02/2024 10:00:00 AM", "News", "Locked out."));
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("exit 23"), "{report}");
    assert!(report.contains("2024/06/june.html"), "the failed file is not named:\n{report}");
    let status = site.ok(&["status"]);
    assert!(status.contains("pending:      0 files"), "the healthy target kept pending files:\n{status}");
    assert_trees_equal(&site.root, &site.copy_in(&hosts.dirs[0]));
    assert!(site.copy_in(&hosts.dirs[1]).join("index.html").exists(), "files that could be written were not");

    fs::set_permissions(&locked, fs::Permissions::from_mode(0o777)).unwrap();
    let (code, report) = run(&site, &["--retry-now"]);
    assert_eq!(code, Some(0), "{report}");
    let first = report.lines().find(|l| l.starts_with("sync ")).unwrap();
    assert!(first.ends_with("up to date"), "the healthy target was re-sent files: {first}");
    assert_all_equal(&site, &hosts.dirs);
}

/// An rsync that answers like rsync 3.0.9: it does not know
/// `--delete-missing-args` and otherwise runs the real rsync.
fn old_rsync(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("rsync-3.0.9");
    fs::write(
        &script,
        "#!/bin/sh\nfor arg in \"$@\"; do\n  if [ \"$arg\" = --delete-missing-args ]; then\n    \
         echo 'rsync: --delete-missing-args: unknown option' >&2\n    \
         echo 'rsync error: syntax or usage error (code 1) at main.c(1556) [server=3.0.9]' >&2\n    exit 1\n  fi\n\
         done\nexec rsync \"$@\"\n",
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn old_remote_rsync_never_reports_a_deletion_it_did_not_make() {
    let _serial = serialize_test();
    let site = TestSite::new("");
    let hosts = fleet(&site, 1);
    let bin = site.path("bin");
    site.configure(&format!(
        "RsyncOptions -e \"{}\" --rsync-path={}\n",
        hosts._fleet.ssh_command(),
        old_rsync(&bin).display()
    ));
    site.import_mt(
        &[mt_entry("A", "a", "05/01/2024 10:00:00 AM", "", "a"), mt_entry("B", "b", "05/02/2024 10:00:00 AM", "", "b")]
            .concat(),
    );
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(0), "uploads must still work: {report}");
    let copy = site.copy_in(&hosts.dirs[0]);
    assert!(copy.join("2024/05/b.html").exists());

    site.ok(&["entry", "delete", "b"]);
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("does not support --delete-missing-args"), "{report}");
    assert!(copy.join("2024/05/b.html").exists(), "the file was not deleted, so it must not be reported done");
    assert!(site.ok(&["status"]).contains("pending:      1 file\n"));

    site.configure("SyncDeleteFallback directory\n");
    let (code, report) = run(&site, &["--retry-now"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(!copy.join("2024/05/b.html").exists());
    assert_trees_equal(&site.root, &copy);
}

#[test]
fn verify_finds_drift_and_repair_fixes_it() {
    let _serial = serialize_test();
    let site = TestSite::new("");
    let hosts = fleet(&site, 2);
    site.import_mt(&many_entries(6));
    assert_eq!(run(&site, &[]).0, Some(0));
    assert!(site.ok(&["verify"]).lines().all(|line| line.ends_with("in sync")));

    let copy = site.copy_in(&hosts.dirs[1]);
    fs::write(copy.join("index.html"), "changed by hand").unwrap();
    fs::remove_file(copy.join("archives.html")).unwrap();
    fs::write(copy.join("stray.html"), "not ours").unwrap();
    let output = site.run(&["verify"]);
    let listing = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{listing}");
    assert!(listing.contains("1 missing, 1 different, 1 extra"), "{listing}");
    for path in ["\"index.html\"", "\"archives.html\"", "\"stray.html\""] {
        assert!(listing.contains(path), "{path} not listed:\n{listing}");
    }

    let repaired = site.ok(&["verify", "--target", &site_target(&site, 1), "--repair"]);
    assert!(repaired.contains("queued 3 repairs"), "{repaired}");
    assert_eq!(run(&site, &[]).0, Some(0));
    assert_all_equal(&site, &hosts.dirs);
    assert!(site.ok(&["verify"]).lines().all(|line| line.ends_with("in sync")));
}

/// The n-th SyncTarget line of the site's config.
fn site_target(site: &TestSite, index: usize) -> String {
    let config = fs::read_to_string(&site.config).unwrap();
    let line = config.lines().filter(|l| l.starts_with("SyncTarget ")).nth(index).unwrap();
    line["SyncTarget ".len()..].to_string()
}

#[test]
fn target_added_later_gets_a_full_copy() {
    let _serial = serialize_test();
    let site = TestSite::new("");
    let first = site.path("first");
    site.configure(&format!("SyncTarget {}\n", first.display()));
    site.import_mt(&many_entries(30));
    assert_eq!(run(&site, &[]).0, Some(0));

    let later = site.path("later");
    site.configure(&format!("SyncTarget {}\n", later.display()));
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_trees_equal(&site.root, &site.copy_in(&later));
    assert!(report.lines().any(|l| l.starts_with(&format!("sync {}: up to date", first.display()))), "{report}");
}

#[test]
fn removed_category_takes_its_whole_tree() {
    let site = TestSite::new("");
    let target = site.path("www");
    site.configure(&format!("SyncTarget {}\n", target.display()));
    // A stray file that only the target has must go with the folder.
    site.import_mt(
        &[
            mt_entry("Local", "local", "05/01/2024 10:00:00 AM", "Local", "x"),
            mt_entry("Other", "other", "05/02/2024 10:00:00 AM", "Other", "y"),
        ]
        .concat(),
    );
    assert_eq!(run(&site, &[]).0, Some(0));
    let copy = site.copy_in(&target);
    fs::create_dir_all(copy.join("local/empty/deeper")).unwrap();
    fs::write(copy.join("local/leftover.txt"), "x").unwrap();

    site.ok(&["entry", "delete", "local"]);
    assert_eq!(run(&site, &[]).0, Some(0));
    assert!(!site.root.join("local").exists());
    assert!(!copy.join("local").exists(), "the category folder is still on the target");
    assert_trees_equal(&site.root, &copy);
}

#[test]
fn daemon_keeps_one_ssh_connection_and_stops_cleanly() {
    let _serial = serialize_test();
    let watch = ProcessWatch::start();
    let site = TestSite::new("");
    let hosts = fleet(&site, 1);
    let temp = site.path("tmp");
    site.configure(&format!("TempDir {}\n", temp.display()));
    site.import_mt(&many_entries(3));
    let mut daemon = site.command(&["run-periodic-tasks", "--daemon", "--sleep", "0.2"]).spawn().unwrap();

    let copy = site.copy_in(&hosts.dirs[0]);
    let wait_for = |path: &Path| {
        let started = Instant::now();
        while !path.exists() && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(50));
        }
        path.exists()
    };
    assert!(wait_for(&copy.join("index.html")), "the daemon did not publish");
    let sockets = || {
        fs::read_dir(&temp)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("pressrun-ssh-"))
            .count()
    };
    assert_eq!(sockets(), 1, "no shared ssh connection in TempDir");

    site.import_mt(&mt_entry("Later", "later", "06/01/2024 10:00:00 AM", "", "z"));
    assert!(wait_for(&copy.join("2024/06/later.html")), "the daemon did not pick up the change");

    // SAFETY: sending SIGTERM to the child this test started.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let status = daemon.wait().unwrap();
    assert!(status.success(), "daemon exited with {status:?}");
    assert_eq!(sockets(), 0, "the shared ssh connection was left open");
    drop(hosts);
    watch.assert_no_leftovers(Duration::from_secs(5));
}

#[test]
fn files_vanishing_during_a_sync_are_checked_again() {
    let site = TestSite::new("");
    site.import_mt(&many_entries(240));
    site.ok(&["run-periodic-tasks", "--workers", "publish"]);
    let target = site.path("www");
    // About 2 MB at 150 KB/s: the December pages are sent last, seconds in.
    site.configure(&format!("SyncTarget {}\nRsyncOptions --bwlimit=150\n", target.display()));
    let syncing = site
        .command(&["run-periodic-tasks", "--verbose", "--workers", "sync"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    std::thread::sleep(Duration::from_millis(1500));
    let december: Vec<String> = (0..240).filter(|i| i % 12 == 11).take(15).map(|i| format!("entry_{i}")).collect();
    for basename in &december {
        site.ok(&["entry", "delete", basename]);
    }
    site.ok(&["run-periodic-tasks", "--workers", "publish"]);

    let output = syncing.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(
        report.contains("vanished during the transfer"),
        "no file vanished mid-transfer; the test raced:\n{report}"
    );
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(0), "{report}");
    let copy = site.copy_in(&target);
    assert!(!copy.join("2023/12/entry_11.html").exists(), "a deleted entry's page reached the target");
    assert_trees_equal(&site.root, &copy);
    assert!(site.ok(&["status"]).contains("pending:      0 files"));
}

/// An rsync that quietly drops the last path of its file list, as a tool
/// that mangled names would: pressrun must notice the file was not sent.
#[test]
fn rsync_that_skips_a_listed_file_is_caught() {
    let site = TestSite::new("");
    let bin = site.path("bin");
    let wrapper = bin.join("lossy-rsync");
    fs::write(
        &wrapper,
        "#!/bin/sh\nfor arg in \"$@\"; do case \"$arg\" in --files-from=*) list=${arg#--files-from=};; esac; done\n\
         if [ -n \"$list\" ]; then\n  tr '\\0' '\\n' < \"$list\" | sed '$d' | tr '\\n' '\\0' > \"$list.cut\"\n  mv \"$list.cut\" \"$list\"\nfi\n\
         exec rsync \"$@\"\n",
    )
    .unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    let target = site.path("www");
    site.configure(&format!("SyncTarget {}\nRsyncPath {}\n", target.display(), wrapper.display()));
    site.import_mt(&many_entries(3));
    let (code, report) = run(&site, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("did not report 1 of"), "{report}");
    assert!(!site.ok(&["status"]).contains("pending:      0 files"), "the missing file was cleared");
}

#[test]
fn separate_host_survives_link_down_and_dropped_packets() {
    let _serial = serialize_test();
    let mut host = match support::NamespaceHost::new() {
        Ok(host) => host,
        Err(error) => {
            eprintln!("skipped: cannot create a network namespace here: {error}");
            return;
        }
    };
    let watch = ProcessWatch::start();
    let site = TestSite::new("SyncConnectTimeout 2\nSyncIOTimeout 4\n");
    let (local, remote) = (site.path("local"), site.path("remote"));
    host.ssh().grant_write(&remote).unwrap();
    site.configure(&format!(
        "SyncTarget {}\nSyncTarget {}\nRsyncOptions {}\n",
        local.display(),
        host.ssh().target(&remote),
        host.ssh().rsync_options()
    ));
    site.import_mt(&many_entries(4));
    assert_eq!(run(&site, &[]).0, Some(0));

    type Step = fn(&mut support::NamespaceHost) -> support::Result<()>;
    let outages: [(&str, Step, Step); 2] = [
        ("link down", support::NamespaceHost::set_link_down, support::NamespaceHost::set_link_up),
        (
            "dropped packets",
            support::NamespaceHost::start_dropping_packets,
            support::NamespaceHost::stop_dropping_packets,
        ),
    ];
    for (round, (name, break_it, mend_it)) in outages.into_iter().enumerate() {
        break_it(&mut host).unwrap_or_else(|e| panic!("cannot simulate {name}: {e}"));
        site.import_mt(&mt_entry(
            &format!("During {name}"),
            &format!("during_{round}"),
            "07/01/2024 10:00:00 AM",
            "",
            "x",
        ));
        let started = Instant::now();
        let (code, report) = run(&site, &[]);
        assert_eq!(code, Some(1), "{name}: {report}");
        assert!(started.elapsed() < Duration::from_secs(60), "{name} held the run for {:?}", started.elapsed());
        assert_trees_equal(&site.root, &site.copy_in(&local));

        mend_it(&mut host).unwrap();
        let (code, report) = run(&site, &["--retry-now"]);
        assert_eq!(code, Some(0), "after {name}: {report}");
        assert_trees_equal(&site.root, &site.copy_in(&remote));
    }
    drop(host);
    watch.assert_no_leftovers(Duration::from_secs(5));
}
