//! Each config error is reported with its line and value, and stops the
//! command with exit status 2 before anything runs.

mod support;

use support::site::TestSite;

/// Runs `status` with `lines` appended to a fresh config; returns stderr.
fn status_error(lines: &str) -> (Option<i32>, String) {
    let site = TestSite::new("");
    let base_lines = std::fs::read_to_string(&site.config).unwrap().lines().count();
    site.configure(lines);
    let output = site.run(&["status"]);
    let stderr = String::from_utf8_lossy(&output.stderr).replace(&format!("line {}", base_lines + 1), "line FIRST");
    (output.status.code(), stderr)
}

#[test]
fn relative_sync_target_is_rejected() {
    let (code, stderr) = status_error("SyncTarget mirror/www");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("line FIRST: SyncTarget"), "{stderr}");
    assert!(stderr.contains("\"mirror/www\"") && stderr.contains("relative"), "{stderr}");
}

#[test]
fn relative_remote_path_is_rejected() {
    let (code, stderr) = status_error("SyncTarget web1:www");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("line FIRST: SyncTarget") && stderr.contains("\"www\""), "{stderr}");
}

#[test]
fn missing_temp_dir_is_rejected() {
    let (code, stderr) = status_error("TempDir /nonexistent/pressrun-tmp");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("line FIRST: TempDir: /nonexistent/pressrun-tmp"), "{stderr}");
}

#[test]
fn unwritable_temp_dir_is_rejected() {
    // /proc refuses new files even to root.
    let (code, stderr) = status_error("TempPath /proc");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("line FIRST: TempDir: /proc") && stderr.contains("not writable"), "{stderr}");
}

#[test]
fn temp_dir_that_is_a_file_is_rejected() {
    let (code, stderr) = status_error("TempDir /etc/hostname");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not a directory"), "{stderr}");
}

#[test]
fn missing_rsync_is_rejected() {
    let (code, stderr) = status_error("SyncTarget /srv/mirror\nRsyncPath /opt/none/rsync");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("RsyncPath") && stderr.contains("/opt/none/rsync"), "{stderr}");
    let (code, stderr) = status_error("SyncTarget /srv/mirror\nRsyncPath rsync-that-does-not-exist");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not found in PATH"), "{stderr}");
}

#[test]
fn unknown_directive_is_a_warning_naming_its_line() {
    let (code, stderr) = status_error("CGIPath /cgi-bin/mt/");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("warning:") && stderr.contains("line FIRST: CGIPath: unknown directive"), "{stderr}");
}

#[test]
fn unbalanced_quote_in_rsync_options_is_rejected() {
    let (code, stderr) = status_error("RsyncOptions -e 'ssh -p 22");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("line FIRST: RsyncOptions"), "{stderr}");
}

#[test]
fn every_problem_is_listed_at_once() {
    let (code, stderr) = status_error("SyncTarget relative\nTempDir /nonexistent\nTimeZone Mars/Base");
    assert_eq!(code, Some(2));
    for directive in ["SyncTarget", "TempDir", "TimeZone"] {
        assert!(stderr.contains(directive), "{directive} not reported:\n{stderr}");
    }
}

#[test]
fn missing_config_file_names_its_path() {
    let output = std::process::Command::new(support::site::PRESSRUN)
        .args(["--config", "/nonexistent/pressrun.conf", "status"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/pressrun.conf"), "{stderr}");
}

#[test]
fn misspelled_directive_suggests_the_right_one() {
    let (code, stderr) = status_error("SyncTarge /srv/mirror");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("did you mean SyncTarget?"), "{stderr}");
}
