//! End-to-end publishing through the real binary: import real exports,
//! queue, render, write, and sync to local and ssh targets.

mod support;

use std::fs;

use support::site::{TestSite, files_under, fixture, mt_entry};
use support::{ProcessWatch, SshServer, assert_trees_equal, serialize_test};

/// Imports every file in a fixture folder; returns the names that failed
/// (malformed files must fail with exit status 2 and import nothing).
fn import_folder(site: &TestSite, folder: &str, format: &str) -> Vec<String> {
    let Some(dir) = fixture(folder) else { return Vec::new() };
    let mut failed = Vec::new();
    let mut files: Vec<_> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    for file in files.iter().filter(|f| f.file_name().is_some_and(|n| n != "SOURCES.md")) {
        let before = site.ok(&["entry", "list"]).lines().count();
        let output = site.run(&["import", "--format", format, file.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() {
            assert!(stdout.contains("entries:"), "no counts for {file:?}:\n{stdout}");
            assert!(stdout.contains("skipped:"), "no counts for {file:?}:\n{stdout}");
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{file:?} failed without naming bad input: {stderr}");
            assert!(
                stderr.contains(file.file_name().unwrap().to_str().unwrap()),
                "error does not name the file: {stderr}"
            );
            let after = site.ok(&["entry", "list"]).lines().count();
            assert_eq!(before, after, "a failed import of {file:?} changed the entries");
            failed.push(file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    failed
}

#[test]
fn fixtures_reach_three_targets_byte_for_byte() {
    let _serial = serialize_test();
    if fixture("mt-export").is_none() {
        return;
    }
    let watch = ProcessWatch::start();
    let ssh = SshServer::new().expect("start sshd");
    let site = TestSite::new("");
    let (local_a, local_b, remote) = (site.path("www1"), site.path("www2"), site.path("www3"));
    ssh.grant_write(&remote).expect("hand the remote target to the ssh user");
    site.configure(&format!(
        "SyncTarget {}\nSyncTarget {}\nSyncTarget {}\nRsyncOptions {}\n",
        local_a.display(),
        local_b.display(),
        ssh.target(&remote),
        ssh.rsync_options()
    ));

    assert!(import_folder(&site, "mt-export", "mt").is_empty(), "an MT export failed to import");
    let failed = import_folder(&site, "wxr", "wxr");
    for malformed in ["wordpress-importer__malformed.xml", "wordpress-importer__malformed-simple.xml"] {
        assert!(failed.iter().any(|f| f == malformed), "{malformed} should fail; failed: {failed:?}");
    }
    for unsupported in ["wordpress-importer__invalid-version-tag.xml", "wordpress-importer__missing-version-tag.xml"] {
        assert!(failed.iter().any(|f| f == unsupported), "{unsupported} should fail; failed: {failed:?}");
    }

    site.ok(&["publish", "--all"]);
    let report = site.run_tasks();
    assert!(report.contains("files sent"), "{report}");
    let published = files_under(&site.root);
    assert!(published.len() > 200, "only {} files published", published.len());
    for target in [&local_a, &local_b, &remote] {
        assert_trees_equal(&site.root, &site.copy_in(target));
    }
    let status = site.ok(&["status"]);
    assert!(status.contains("Queue: 0 jobs"), "{status}");
    assert_eq!(status.matches("pending:      0 files").count(), 3, "{status}");
    drop(ssh);
    watch.assert_no_leftovers(std::time::Duration::from_secs(5));
}

#[test]
fn unpublish_and_delete_reach_every_target() {
    let site = TestSite::new("");
    let (www1, www2) = (site.path("www1"), site.path("www2"));
    site.configure(&format!("SyncTarget {}\nSyncTarget {}\n", www1.display(), www2.display()));
    let export = [
        mt_entry("Entry A", "a", "05/03/2024 10:00:00 AM", "News", "Alpha body."),
        mt_entry("Entry B", "b", "05/10/2024 10:00:00 AM", "News", "Bravo body."),
    ]
    .concat();
    site.import_mt(&export);
    site.run_tasks();
    for target in [&www1, &www2] {
        assert!(site.copy_in(target).join("2024/05/b.html").exists());
    }

    site.ok(&["entry", "unpublish", "b"]);
    site.run_tasks();
    assert!(!site.exists("2024/05/b.html"));
    for target in [&www1, &www2] {
        let copy = site.copy_in(target);
        assert!(!copy.join("2024/05/b.html").exists(), "b.html still on {}", target.display());
        let month = fs::read_to_string(copy.join("2024/05/index.html")).unwrap();
        assert!(month.contains("Entry A"), "monthly archive not re-rendered");
        assert!(!month.contains("Entry B"), "monthly archive not re-rendered");
        let category = fs::read_to_string(copy.join("news/index.html")).unwrap();
        assert!(!category.contains("Entry B"), "category archive still lists B");
        assert_trees_equal(&site.root, &copy);
    }

    site.ok(&["entry", "delete", "a"]);
    site.run_tasks();
    for target in [&www1, &www2] {
        let copy = site.copy_in(target);
        assert!(!copy.join("2024").exists(), "emptied archive folder left on {}", target.display());
        assert!(!copy.join("news").exists(), "emptied category folder left on {}", target.display());
        assert_trees_equal(&site.root, &copy);
    }
}

#[test]
fn reimport_updates_instead_of_duplicating() {
    let Some(file) = fixture("mt-export/dgibbs__MultiplePosts.txt") else { return };
    let site = TestSite::new("");
    let path = file.to_str().unwrap();
    let first = site.ok(&["import", "--format", "mt", path]);
    // The first record is marked NO ENTRY: as in Movable Type, it only adds
    // comments to an existing entry with its date, and there is none.
    assert!(first.contains("entries:    2 new"), "{first}");
    assert!(first.contains("NO ENTRY record matches no existing entry"), "{first}");
    site.run_tasks();
    let second = site.ok(&["import", "--format", "mt", path]);
    assert!(second.contains("entries:    0 new, 2 updated"), "{second}");
    assert!(second.contains("comments:   0 new"), "{second}");
    assert!(second.contains("queued:     0 files"), "{second}");
    assert_eq!(site.ok(&["entry", "list"]).lines().count(), 2);
}

#[test]
fn comments_from_two_exports_are_merged_and_published() {
    let site = TestSite::new("");
    let entry = "AUTHOR: t\nTITLE: Talk\nBASENAME: talk\nSTATUS: Publish\nDATE: 05/03/2024 10:00:00 AM\n-----\nBODY:\nHello\n-----\n";
    let first = format!("{entry}COMMENT:\nAUTHOR: Ann\nDATE: 05/04/2024 10:00:00 AM\nFirst!\n-----\n--------\n");
    let second = format!("{entry}COMMENT:\nAUTHOR: Bob\nDATE: 05/05/2024 10:00:00 AM\nSecond.\n-----\n--------\n");
    site.import_mt(&first);
    site.run_tasks();
    let report = site.import_mt(&second);
    assert!(report.contains("comments:   1 new"), "{report}");
    assert!(report.contains("queued:     1 file"), "only the entry page shows comments: {report}");
    site.run_tasks();
    let page = site.read("2024/05/talk.html").unwrap();
    assert!(page.contains("First!"), "comments were replaced, not merged:\n{page}");
    assert!(page.contains("Second."), "comments were replaced, not merged:\n{page}");
    let again = site.import_mt(&first);
    assert!(again.contains("comments:   0 new"), "{again}");
}

#[test]
fn drafts_stay_private_and_basenames_keep_underscores() {
    let (Some(yaml), Some(multiple)) =
        (fixture("mt-export/koozie__typepad_posts_yaml.txt"), fixture("mt-export/koozie__typepad_multiple_posts.txt"))
    else {
        return;
    };
    let site = TestSite::new("");
    let target = site.path("www1");
    site.configure(&format!("SiteURL http://blog.example.org/\nSyncTarget {}\n", target.display()));
    site.ok(&["import", "--format", "mt", yaml.to_str().unwrap()]);
    site.ok(&["import", "--format", "mt", multiple.to_str().unwrap()]);
    site.import_mt(&mt_entry("Early", "junk_faxes_2008", "01/05/2008 09:04:00 AM", "", "Padded."));
    site.run_tasks();

    let copy = site.copy_in(&target);
    for published in ["2003/11/midi_files.html", "2003/11/first_comment_s.html", "2008/01/junk_faxes_2008.html"] {
        assert!(copy.join(published).exists(), "{published} missing on the target");
    }
    // The old permalink from the export's UNIQUE URL resolves.
    assert!(copy.join("2003/01/home_wifi.html").exists());
    for draft in ["junk_faxes", "first_post"] {
        let leaked = files_under(&site.root).into_iter().find(|f| f.contains(draft) && !f.contains("2008"));
        assert_eq!(leaked, None, "draft {draft} produced a public file");
    }
    let drafts = site.ok(&["entry", "list", "--status", "draft"]);
    assert!(drafts.contains("junk_faxes"), "{drafts}");
    assert!(drafts.contains("first_post"), "{drafts}");
}

#[test]
fn saving_a_draft_never_removes_a_live_file() {
    let site = TestSite::new("");
    let target = site.path("www1");
    site.configure(&format!("SyncTarget {}\n", target.display()));
    site.import_mt(&mt_entry("Hello", "hello", "05/03/2024 10:00:00 AM", "", "Live page."));
    site.run_tasks();
    let live = site.read("2024/05/hello.html").expect("published");

    let draft = mt_entry("Draft hello", "hello", "05/20/2024 10:00:00 AM", "", "Not public.")
        .replace("STATUS: Publish", "STATUS: Draft");
    site.import_mt(&draft);
    site.import_mt(&draft.replace("Not public.", "Still not public."));
    site.run_tasks();
    assert_eq!(site.read("2024/05/hello.html").as_deref(), Some(live.as_str()));
    let copy = site.copy_in(&target).join("2024/05/hello.html");
    assert_eq!(fs::read_to_string(copy).unwrap(), live);
}

#[test]
fn percent_encoded_thai_slugs_get_one_file() {
    let site = TestSite::new("");
    let item = |id: u32, slug: &str| {
        format!(
            "<item><title>Hello {id}</title><guid isPermaLink=\"false\">http://x.test/?p={id}</guid>\
             <content:encoded><![CDATA[Body {id}]]></content:encoded><wp:post_id>{id}</wp:post_id>\
             <wp:post_date_gmt>2024-05-0{id} 10:00:00</wp:post_date_gmt><wp:post_name><![CDATA[{slug}]]></wp:post_name>\
             <wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"
        )
    };
    let lower = "%e0%b8%aa%e0%b8%a7%e0%b8%b1%e0%b8%aa%e0%b8%94%e0%b8%b5";
    let wxr = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:wp=\"http://wordpress.org/export/1.2/\">\
         <channel><title>t</title><wp:wxr_version>1.2</wp:wxr_version>{}{}</channel></rss>",
        item(1, lower),
        item(2, &lower.to_uppercase())
    );
    let file = site.dir.path().join("thai.xml");
    fs::write(&file, wxr).unwrap();
    site.ok(&["import", "--format", "wxr", file.to_str().unwrap()]);
    site.run_tasks();

    assert!(site.exists("2024/05/สวัสดี.html"));
    assert!(site.exists("2024/05/สวัสดี_1.html"), "the second variant is a duplicate basename");
    let index = site.read("index.html").unwrap();
    let encoded = "http://example.test/2024/05/%E0%B8%AA%E0%B8%A7%E0%B8%B1%E0%B8%AA%E0%B8%94%E0%B8%B5.html";
    assert!(index.contains(encoded), "link not percent-encoded once:\n{index}");
    assert!(!index.contains("%25"), "link encoded twice");
}

#[test]
fn archives_group_by_site_time_zone_not_host() {
    let export = [
        mt_entry("Halloween evening", "evening", "10/31/2020 07:30:00 PM", "", "Local evening."),
        mt_entry("Next morning", "morning", "11/01/2020 11:37:10 AM", "", "Next day."),
    ]
    .concat();
    let mut outputs = Vec::new();
    for host_zone in ["UTC", "Asia/Tokyo"] {
        let site = TestSite::new("TimeZone -05:00");
        site.import_mt(&export);
        let output = site.command(&["run-periodic-tasks"]).env("TZ", host_zone).output().unwrap();
        assert!(output.status.success());
        let october = site.read("2020/10/index.html").expect("October archive");
        let november = site.read("2020/11/index.html").expect("November archive");
        assert!(october.contains("Halloween evening"));
        assert!(!october.contains("Next morning"));
        assert!(november.contains("Next morning"));
        assert!(!november.contains("Halloween evening"));
        assert!(site.exists("2020/10/evening.html"));
        outputs.push((october, november, site.read("2020/10/evening.html").unwrap()));
    }
    assert_eq!(outputs[0], outputs[1], "output depends on the host's time zone");
}

#[test]
fn rewrite_with_same_size_and_time_still_reaches_targets() {
    let site = TestSite::new("");
    let target = site.path("www1");
    site.configure(&format!("SyncTarget {}\n", target.display()));
    let export = mt_entry("Same size", "same", "05/03/2024 10:00:00 AM", "", "alpha");
    site.import_mt(&export);
    site.run_tasks();
    let page = site.root.join("2024/05/same.html");
    let first_mtime = fs::metadata(&page).unwrap().modified().unwrap();

    site.import_mt(&export.replace("alpha", "omega"));
    site.ok(&["run-periodic-tasks", "--workers", "publish"]);
    // A rewrite in the same second looks unchanged to rsync's quick check.
    fs::File::options().write(true).open(&page).unwrap().set_modified(first_mtime).unwrap();
    site.ok(&["run-periodic-tasks", "--workers", "sync"]);
    let copy = fs::read_to_string(site.copy_in(&target).join("2024/05/same.html")).unwrap();
    assert!(copy.contains("omega"), "the target kept the old bytes");
}
