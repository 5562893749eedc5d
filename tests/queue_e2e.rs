//! The queue under pressure: concurrent runners and a runner killed in the
//! middle of a batch.

mod support;

use std::fs;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use support::assert_trees_equal;
use support::site::{TestSite, files_under, many_entries};

/// Sums "published N jobs: W written" lines from a verbose report.
fn published_counts(report: &str) -> (usize, usize) {
    report
        .lines()
        .filter_map(|line| line.strip_prefix("published "))
        .map(|rest| {
            let numbers: Vec<usize> =
                rest.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
            (numbers[0], numbers[1])
        })
        .fold((0, 0), |(claimed, written), (c, w)| (claimed + c, written + w))
}

#[test]
fn concurrent_runners_share_jobs_without_overlap() {
    let site = TestSite::new("");
    site.import_mt(&many_entries(400));
    let queued: usize = site.ok(&["publish", "--all"]).split_whitespace().next().unwrap().parse().unwrap();

    let spawn = || {
        site.command(&["run-periodic-tasks", "--verbose", "--workers", "publish", "--load", "15"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let reports: Vec<String> = [first, second]
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success());
            String::from_utf8_lossy(&output.stderr).into_owned()
        })
        .collect();

    let (claimed_a, written_a) = published_counts(&reports[0]);
    let (claimed_b, written_b) = published_counts(&reports[1]);
    assert!(claimed_a > 0 && claimed_b > 0, "one runner did all the work: {claimed_a} / {claimed_b}");
    assert_eq!(claimed_a + claimed_b, queued, "jobs done twice or lost");
    assert_eq!(written_a + written_b, queued);
    assert_eq!(files_under(&site.root).len(), queued);
    assert!(site.ok(&["status"]).contains("Queue: 0 jobs"));
}

#[test]
fn killed_runner_loses_nothing_and_leaves_no_torn_file() {
    let site = TestSite::new("");
    let target = site.path("www1");
    site.configure(&format!("SyncTarget {}\n", target.display()));
    site.import_mt(&many_entries(1500));
    let queued: usize = site.ok(&["publish", "--all"]).split_whitespace().next().unwrap().parse().unwrap();

    let mut runner = site.command(&["run-periodic-tasks", "--load", "100"]).spawn().unwrap();
    let started = Instant::now();
    while files_under(&site.root).len() < 150 && started.elapsed() < Duration::from_secs(60) {
        thread::sleep(Duration::from_millis(5));
    }
    runner.kill().unwrap();
    runner.wait().unwrap();
    let partial = files_under(&site.root).len();
    assert!(partial < queued, "the runner finished before it was killed ({partial} files)");
    for file in files_under(&site.root).iter().filter(|f| f.ends_with(".html")) {
        let text = fs::read_to_string(site.root.join(file)).unwrap();
        assert!(text.trim_end().ends_with("</html>"), "torn file {file}");
    }

    site.run_tasks();
    let files = files_under(&site.root);
    assert_eq!(files.len(), queued, "files missing after the second run");
    assert!(files.iter().all(|f| !f.contains(".pressrun-tmp")), "temporary files left behind");
    assert!(site.ok(&["status"]).contains("Queue: 0 jobs"));
    assert_trees_equal(&site.root, &site.copy_in(&target));
}
