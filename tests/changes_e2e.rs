//! A change queues exactly the files whose recorded inputs it touched.
//! Each test builds a small site, then checks the set that `--dry-run`
//! lists, and that the real change reaches the targets.

mod support;

use std::fs;
use std::time::Duration;

use support::assert_trees_equal;
use support::site::{TestSite, files_under};

/// A site with six entries over four months in two categories, and a main
/// index of two entries per page:
///
/// | page | entries |
/// |---|---|
/// | `index.html` | five (2024-04-10), four (2024-03-20) |
/// | `page/2/index.html` | three (2024-03-10), twob (2024-02-20) |
/// | `page/3/index.html` | two (2024-02-10), one (2024-01-10) |
fn small_site() -> (TestSite, std::path::PathBuf) {
    let site = TestSite::new("");
    let target = site.path("www");
    site.configure(&format!("SyncTarget {}\n", target.display()));
    site.ok(&["category", "new", "News"]);
    site.ok(&["category", "new", "Tech"]);
    site.ok(&["template", "edit", "main_index", "--page-size", "2"]);
    for (title, date, category) in [
        ("One", "2024-01-10 10:00", "News"),
        ("Two", "2024-02-10 10:00", "News"),
        ("Twob", "2024-02-20 10:00", "Tech"),
        ("Three", "2024-03-10 10:00", "Tech"),
        ("Four", "2024-03-20 10:00", "Tech"),
        ("Five", "2024-04-10 10:00", "News"),
    ] {
        let body = format!("Body of {title}.");
        site.ok(&["entry", "new", "--title", title, "--date", date, "--category", category, "--body", &body]);
    }
    site.run_tasks();
    (site, target)
}

/// The files a command would queue, as `publish PATH`, `remove PATH` or
/// `move OLD -> NEW` lines.
fn would_queue(site: &TestSite, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--dry-run");
    let output = site.ok(&all);
    output
        .lines()
        .filter(|line| ["publish ", "remove ", "move "].iter().any(|p| line.starts_with(p)))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn publish(paths: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> =
        paths.iter().map(|p| if p.contains(' ') { p.to_string() } else { format!("publish {p}") }).collect();
    lines.sort();
    lines
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

#[test]
fn body_edit_queues_its_page_and_the_lists_showing_the_body() {
    let (site, _) = small_site();
    let queued = would_queue(&site, &["entry", "edit", "two", "--body", "New body."]);
    // The monthly archive shows an excerpt made from the body; the category
    // archive shows titles only, and the neighbours show titles only.
    assert_eq!(sorted(queued), publish(&["2024/02/two.html", "2024/02/index.html", "page/3/index.html", "atom.xml"]));
}

#[test]
fn title_edit_queues_every_page_showing_the_title() {
    let (site, _) = small_site();
    let queued = would_queue(&site, &["entry", "edit", "two", "--title", "Deux"]);
    let expected = [
        "2024/02/two.html",
        "2024/01/one.html",
        "2024/02/twob.html",
        "2024/02/index.html",
        "news/index.html",
        "page/3/index.html",
        "atom.xml",
    ];
    assert_eq!(sorted(queued), publish(&expected));
}

#[test]
fn date_change_moves_the_entry_between_months() {
    let (site, target) = small_site();
    let args = ["entry", "edit", "two", "--date", "2024-03-15 10:00"];
    let expected = [
        "move 2024/02/two.html -> 2024/03/two.html",
        "2024/01/one.html",
        "2024/02/twob.html",
        "2024/03/three.html",
        "2024/03/four.html",
        "2024/02/index.html",
        "2024/03/index.html",
        "archives.html",
        "news/index.html",
        "page/2/index.html",
        "page/3/index.html",
        "atom.xml",
    ];
    assert_eq!(sorted(would_queue(&site, &args)), publish(&expected));

    site.ok(&args);
    site.run_tasks();
    let copy = site.copy_in(&target);
    assert!(!copy.join("2024/02/two.html").exists(), "old file left on the target");
    assert!(copy.join("2024/03/two.html").exists());
    let three = fs::read_to_string(copy.join("2024/03/three.html")).unwrap();
    assert!(three.contains("rel=\"next\" href=\"http://example.test/2024/03/two.html\""), "neighbour not updated");
    assert_trees_equal(&site.root, &copy);
}

#[test]
fn category_change_moves_the_entry_between_category_archives() {
    let (site, target) = small_site();
    let args = ["entry", "edit", "two", "--category", "Tech"];
    let expected = ["2024/02/two.html", "news/index.html", "tech/index.html", "archives.html", "atom.xml"];
    assert_eq!(sorted(would_queue(&site, &args)), publish(&expected));
    site.ok(&args);
    site.run_tasks();
    let tech = fs::read_to_string(site.copy_in(&target).join("tech/index.html")).unwrap();
    assert!(tech.contains(">Two<"));
    assert_trees_equal(&site.root, &site.copy_in(&target));
}

#[test]
fn unpublishing_queues_removal_and_the_pages_that_listed_it() {
    let (site, _) = small_site();
    let expected = [
        "remove 2024/02/two.html",
        "2024/01/one.html",
        "2024/02/twob.html",
        "2024/02/index.html",
        "news/index.html",
        "archives.html",
        "page/3/index.html",
        "atom.xml",
    ];
    assert_eq!(sorted(would_queue(&site, &["entry", "unpublish", "two"])), publish(&expected));
}

#[test]
fn template_edit_queues_its_files_and_the_templates_including_it() {
    let (site, _) = small_site();
    let source = site.dir.path().join("summary.html");
    fs::write(&source, site.ok(&["template", "show", "entry_summary"]) + "<!-- changed -->\n").unwrap();
    let queued = would_queue(&site, &["template", "edit", "entry_summary", "--from", source.to_str().unwrap()]);
    assert_eq!(sorted(queued), publish(&["index.html", "page/2/index.html", "page/3/index.html"]));

    let layout = site.dir.path().join("layout.html");
    fs::write(&layout, site.ok(&["template", "show", "layout"]).replace("<body>", "<body class=\"x\">")).unwrap();
    let queued = would_queue(&site, &["template", "edit", "layout", "--from", layout.to_str().unwrap()]);
    let html: Vec<String> = files_under(&site.root).into_iter().filter(|f| f.ends_with(".html")).collect();
    let expected: Vec<&str> = html.iter().map(String::as_str).collect();
    assert_eq!(sorted(queued), publish(&expected));
}

#[test]
fn dry_run_changes_nothing() {
    let (site, _) = small_site();
    would_queue(&site, &["entry", "edit", "two", "--title", "Deux", "--date", "2024-06-01 10:00"]);
    would_queue(&site, &["entry", "delete", "one"]);
    let listing = site.ok(&["entry", "list"]);
    assert!(listing.contains("two  Two"), "{listing}");
    assert!(listing.contains("one  One"), "{listing}");
    assert!(site.ok(&["status"]).contains("Queue: 0 jobs"));
}

#[test]
fn renaming_twice_before_the_queue_runs_leaves_only_the_last_name() {
    let (site, target) = small_site();
    site.ok(&["entry", "edit", "two", "--basename", "second"]);
    site.ok(&["entry", "edit", "second", "--basename", "third"]);
    let report = site.run_tasks();
    assert!(!report.contains("failed"), "{report}");
    let copy = site.copy_in(&target);
    assert!(copy.join("2024/02/third.html").exists());
    assert!(!copy.join("2024/02/two.html").exists(), "the first name is still on the target");
    assert!(!copy.join("2024/02/second.html").exists());
    let one = fs::read_to_string(copy.join("2024/01/one.html")).unwrap();
    assert!(one.contains("2024/02/third.html"), "the neighbour links to an old name");
    assert_trees_equal(&site.root, &copy);
}

#[test]
fn scheduled_entry_is_published_when_its_time_comes() {
    let (site, target) = small_site();
    let zone: chrono::FixedOffset = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
    site.configure("TimeZone -05:00\n");
    site.ok(&["publish", "--all"]);
    site.run_tasks();
    let due = (chrono::Utc::now() + chrono::Duration::seconds(3)).with_timezone(&zone);
    let date = due.format("%Y-%m-%d %H:%M:%S").to_string();
    site.ok(&["entry", "new", "--title", "Later", "--basename", "later", "--date", &date, "--status", "scheduled"]);
    site.run_tasks();
    let path = format!("{}/later.html", due.format("%Y/%m"));
    assert!(!site.exists(&path), "published before its time");

    std::thread::sleep(Duration::from_secs(4));
    site.run_tasks();
    assert!(site.copy_in(&target).join(&path).exists(), "not published after its time");
    let index = fs::read_to_string(site.copy_in(&target).join("index.html")).unwrap();
    assert!(index.contains("Later"), "the index does not list the scheduled entry");
    assert!(site.ok(&["entry", "list", "--status", "published"]).contains("later"));
}

#[test]
fn late_evening_entry_lands_on_its_own_day_whatever_the_host_zone() {
    let mut pages = Vec::new();
    for host_zone in ["UTC", "Asia/Tokyo"] {
        let site = TestSite::new("TimeZone -05:00");
        site.ok(&["template", "map", "date_archive", "--archive-type", "daily", "--pattern", "%y/%m/%d/%i"]);
        site.ok(&["entry", "new", "--title", "Evening", "--date", "2020-10-26 19:30"]);
        site.ok(&["entry", "new", "--title", "Morning", "--date", "2020-10-27 11:37:10"]);
        let output = site.command(&["run-periodic-tasks"]).env("TZ", host_zone).output().unwrap();
        assert!(output.status.success());
        let evening = site.read("2020/10/26/index.html").expect("day archive of the 26th");
        let morning = site.read("2020/10/27/index.html").expect("day archive of the 27th");
        assert!(evening.contains("Evening"));
        assert!(!evening.contains("Morning"));
        assert!(morning.contains("Morning"));
        assert!(!morning.contains("Evening"));
        pages.push((evening, morning));
    }
    assert_eq!(pages[0], pages[1], "the pages depend on the host's time zone");
}

#[test]
fn manual_template_publishes_only_on_request() {
    let (site, _) = small_site();
    site.ok(&["template", "edit", "feed", "--publish-type", "manual"]);
    let queued = would_queue(&site, &["entry", "edit", "two", "--body", "Changed."]);
    assert!(!queued.iter().any(|line| line.ends_with("atom.xml")), "a manual template was queued: {queued:?}");
    site.ok(&["entry", "edit", "two", "--body", "Changed."]);
    site.run_tasks();
    assert!(!site.read("atom.xml").unwrap().contains("Changed."));
    site.ok(&["publish", "--template", "feed"]);
    site.run_tasks();
    assert!(site.read("atom.xml").unwrap().contains("Changed."));
}

#[test]
fn disabled_template_publishes_nothing_and_keeps_old_files() {
    let (site, _) = small_site();
    site.ok(&["template", "edit", "feed", "--publish-type", "disabled"]);
    site.ok(&["entry", "edit", "two", "--body", "Changed."]);
    site.ok(&["publish", "--all"]);
    site.run_tasks();
    let feed = site.read("atom.xml").expect("the old feed stays");
    assert!(!feed.contains("Changed."));
}

#[test]
fn scheduled_template_waits_for_its_interval() {
    let (site, _) = small_site();
    site.ok(&["template", "edit", "feed", "--publish-type", "scheduled", "--interval", "3600"]);
    site.ok(&["entry", "edit", "two", "--body", "Changed."]);
    let report = site.run_tasks();
    assert!(report.contains("1 postponed"), "{report}");
    assert!(!site.read("atom.xml").unwrap().contains("Changed."));
    assert!(site.ok(&["status"]).contains("Queue: 1 job "));
}

#[test]
fn publishing_an_unchanged_site_writes_and_sends_nothing() {
    let (site, _) = small_site();
    site.ok(&["publish", "--all"]);
    let report = site.run_tasks();
    assert!(report.contains(" 0 written"), "{report}");
    assert!(report.lines().any(|l| l.starts_with("sync ") && l.ends_with("up to date")), "{report}");
}

#[test]
fn entry_fields_can_come_from_an_export_file() {
    let (site, _) = small_site();
    let file = site.dir.path().join("entry.txt");
    fs::write(
        &file,
        "TITLE: From a file\nBASENAME: from_file\nSTATUS: Publish\nCATEGORY: Tech\nDATE: 05/01/2024 08:00:00 AM\n-----\nBODY:\nWritten elsewhere.\n-----\n--------\n",
    )
    .unwrap();
    site.ok(&["entry", "new", "--from", file.to_str().unwrap()]);
    site.run_tasks();
    let page = site.read("2024/05/from_file.html").expect("published from the file");
    assert!(page.contains("Written elsewhere."));
    assert!(page.contains(">Tech<"));
}

#[test]
fn new_page_is_published_and_listed() {
    let (site, _) = small_site();
    let queued = would_queue(&site, &["page", "new", "--title", "About", "--basename", "about", "--body", "Hello."]);
    assert!(queued.contains(&"publish about.html".to_string()), "{queued:?}");
    // The sidebar of index and archive pages lists pages; entry pages do not.
    assert!(queued.contains(&"publish index.html".to_string()));
    assert!(!queued.iter().any(|line| line.contains("/two.html")), "{queued:?}");
    site.ok(&["page", "new", "--title", "About", "--basename", "about", "--body", "Hello."]);
    site.run_tasks();
    assert!(site.read("about.html").unwrap().contains("Hello."));
}

#[test]
fn taken_basename_is_rejected_with_its_owner() {
    let (site, _) = small_site();
    let output = site.run(&["entry", "edit", "two", "--basename", "one"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("\"one\" is used by entry"), "{stderr}");
}

#[test]
fn template_that_fails_to_render_is_rejected() {
    let (site, _) = small_site();
    let broken = site.dir.path().join("broken.html");
    fs::write(&broken, "{{ entry.title|no_such_filter }}").unwrap();
    let output = site.run(&["template", "edit", "entry", "--from", broken.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no_such_filter"), "{stderr}");
    assert!(stderr.contains("not saved"), "{stderr}");
    assert!(!site.ok(&["template", "show", "entry"]).contains("no_such_filter"));
}

#[test]
fn archive_pattern_leaving_the_site_root_is_rejected() {
    let (site, _) = small_site();
    for pattern in ["../%y/%i", "/abs/%i", "%y/%q"] {
        let output = site.run(&["template", "map", "date_archive", "--archive-type", "daily", "--pattern", pattern]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{pattern}: {stderr}");
        assert!(stderr.contains(pattern), "{pattern}: {stderr}");
    }
}

#[test]
fn import_in_the_wrong_format_is_rejected() {
    let site = TestSite::new("");
    let xml = site.dir.path().join("export.xml");
    fs::write(&xml, "<?xml version=\"1.0\"?><rss></rss>").unwrap();
    let output = site.run(&["import", "--format", "mt", xml.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--format wxr"));
    let text = site.dir.path().join("export.txt");
    fs::write(&text, "TITLE: x\n-----\nBODY:\ny\n-----\n--------\n").unwrap();
    let output = site.run(&["import", "--format", "wxr", text.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--format mt"));
}

#[test]
fn status_lists_a_target_before_its_first_sync() {
    let site = TestSite::new("");
    let target = site.path("www");
    site.configure(&format!("SyncTarget {}\n", target.display()));
    let status = site.ok(&["status"]);
    assert!(status.contains(&target.display().to_string()), "{status}");
    assert!(status.contains("full copy"), "{status}");
}
