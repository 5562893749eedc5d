//! A full rebuild of more than 25,000 files reaches two targets: no file
//! name goes on a command line, so nothing hits "argument list too long",
//! and every file arrives.

mod support;

use support::assert_trees_equal;
use support::site::{TestSite, files_under, mt_entry};

/// An export of `count` short entries, one every nine hours, in eight
/// categories.
fn entries(count: usize) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    (0..count)
        .map(|i| {
            let date = start + chrono::Duration::hours(9 * i as i64);
            let category = format!("Topic {}", i % 8);
            mt_entry(
                &format!("Entry {i}"),
                &format!("e{i}"),
                &date.format("%m/%d/%Y %I:%M:%S %p").to_string(),
                &category,
                "Short.",
            )
        })
        .collect()
}

#[test]
fn rebuild_of_25000_files_reaches_every_target() {
    let site = TestSite::new("");
    let (www1, www2) = (site.path("www1"), site.path("www2"));
    site.configure(&format!("SyncTarget {}\nSyncTarget {}\n", www1.display(), www2.display()));
    for (archive_type, pattern) in
        [("daily", "%y/%m/%d/%i"), ("weekly", "%y/%m/%d-week/%i"), ("individual", "%y/%m/%d/%b/%i")]
    {
        site.ok(&[
            "template",
            "map",
            if archive_type == "individual" { "entry" } else { "date_archive" },
            "--archive-type",
            archive_type,
            "--pattern",
            pattern,
        ]);
    }
    site.import_mt(&entries(10_000));
    site.ok(&["publish", "--all"]);
    let report = site.run_tasks();
    assert!(!report.contains("FAILED"), "{report}");

    let published = files_under(&site.root);
    assert!(published.len() >= 25_000, "only {} files", published.len());
    for target in [&www1, &www2] {
        assert_trees_equal(&site.root, &site.copy_in(target));
    }
}
