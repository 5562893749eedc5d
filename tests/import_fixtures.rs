//! Parses every real export file in the shared fixture folders and checks
//! concrete facts about each one.
//!
//! The fixtures live outside the repository. When a folder is absent, each
//! test prints why and returns without failing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, TimeZone, Utc};
use pressrun::basename;
use pressrun::import::wxr::WxrError;
use pressrun::import::{ImportBatch, ImportedDate, ImportedEntry, mt, wxr};
use pressrun::model::{CommentKind, EntryKind, Status, TextFilter};

const MT_DIR: &str = "mt-export";
const WXR_DIR: &str = "wxr";

/// A fixture folder under `PRESSRUN_FIXTURES`, or under `../shared/fixtures`
/// beside the repository.
fn fixture_folder(name: &str) -> std::path::PathBuf {
    let root = std::env::var_os("PRESSRUN_FIXTURES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    root.join(name)
}

/// Reads a fixture, or prints why it is skipped and returns `None` when the
/// fixture folder is absent.
fn read_fixture(dir: &str, name: &str) -> Option<Vec<u8>> {
    let dir = fixture_folder(dir);
    if !dir.is_dir() {
        println!("skipped: fixture folder {} is absent (set PRESSRUN_FIXTURES to its parent)", dir.display());
        return None;
    }
    let path = dir.join(name);
    Some(std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display())))
}

fn mt_fixture(name: &str) -> Option<ImportBatch> {
    read_fixture(MT_DIR, name).map(|bytes| mt::parse(&bytes))
}

fn wxr_fixture(name: &str) -> Option<Result<ImportBatch, WxrError>> {
    read_fixture(WXR_DIR, name).map(|bytes| wxr::parse(&bytes))
}

fn wxr_ok(name: &str) -> Option<ImportBatch> {
    wxr_fixture(name).map(|result| result.unwrap_or_else(|error| panic!("{name}: {error}")))
}

/// The numbers checked for every fixture.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    entries: usize,
    pages: usize,
    comments: usize,
    categories: usize,
    assets: usize,
    skipped: usize,
    authors: usize,
}

fn counts(batch: &ImportBatch) -> Counts {
    Counts {
        entries: batch.entries.len(),
        pages: batch.entries.iter().filter(|entry| entry.kind == EntryKind::Page).count(),
        comments: batch.entries.iter().map(|entry| entry.comments.len()).sum(),
        categories: batch.categories.len(),
        assets: batch.assets.len(),
        skipped: batch.skipped.len(),
        authors: batch.authors.len(),
    }
}

/// Builds [`Counts`] from a compact tuple:
/// (entries, pages, comments, categories, assets, skipped, authors).
fn expect(numbers: (usize, usize, usize, usize, usize, usize, usize)) -> Counts {
    let (entries, pages, comments, categories, assets, skipped, authors) = numbers;
    Counts { entries, pages, comments, categories, assets, skipped, authors }
}

fn titled<'a>(batch: &'a ImportBatch, title: &str) -> &'a ImportedEntry {
    batch.entries.iter().find(|entry| entry.title == title).unwrap_or_else(|| panic!("no entry titled {title:?}"))
}

fn local(text: &str) -> Option<ImportedDate> {
    Some(ImportedDate::Local(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()))
}

fn utc(text: &str) -> Option<ImportedDate> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
    Some(ImportedDate::Utc(Utc.from_utc_datetime(&naive)))
}

/// Lists an entry's category paths, each joined with ` > `.
fn labels(entry: &ImportedEntry) -> Vec<String> {
    entry.categories.iter().map(|path| path.join(" > ")).collect()
}

const MT_FILES: &[&str] = &[
    "aereal-mt__ok.txt",
    "dgibbs__MultiplePosts.txt",
    "dgibbs__PostWithComments.txt",
    "dgibbs__PostWithCommentsAndPings.txt",
    "dgibbs__PostWithPings.txt",
    "dgibbs__SimplePost.txt",
    "google-blog-converters__movabletype-sample2.txt",
    "koozie__typepad_multiple_posts.txt",
    "koozie__typepad_one_post.txt",
    "koozie__typepad_posts_yaml.txt",
    "movabletype__first_entry.txt",
    "movabletype__fourth_entry.txt",
    "movabletype__second_entry.txt",
    "movabletype__third_entry.txt",
    "sasazame__sample-mt.txt",
];

/// Lists a fixture folder without `SOURCES.md`.
fn list(dir: &str) -> Option<BTreeSet<String>> {
    let dir = fixture_folder(dir);
    if !dir.is_dir() {
        println!("skipped: fixture folder {} is absent (set PRESSRUN_FIXTURES to its parent)", dir.display());
        return None;
    }
    let names = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path: &PathBuf| path.file_name().is_some_and(|name| name != "SOURCES.md"))
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    Some(names)
}

#[test]
fn mt_folder_has_only_checked_files() {
    let Some(names) = list(MT_DIR) else { return };
    let checked: BTreeSet<String> = MT_FILES.iter().map(|name| name.to_string()).collect();
    assert_eq!(names, checked, "a fixture was added or removed: give it a test below");
}

#[test]
fn mt_every_file_parses_cleanly() {
    for name in MT_FILES {
        let Some(batch) = mt_fixture(name) else {
            return;
        };
        assert!(!batch.entries.is_empty(), "{name}");
        assert!(batch.skipped.is_empty(), "{name}: {:?}", batch.skipped);
        assert!(batch.warnings.is_empty(), "{name}: {:?}", batch.warnings);
        for entry in &batch.entries {
            assert!(entry.source_key.starts_with("mt:"), "{name}");
            if let Some(raw) = &entry.basename {
                assert!(basename::normalize(raw).is_ok(), "{name}: {raw:?}");
            }
        }
    }
}

#[test]
fn mt_aereal_keeps_duplicate_basenames() {
    let Some(batch) = mt_fixture("aereal-mt__ok.txt") else {
        return;
    };
    assert_eq!(counts(&batch), expect((2, 0, 3, 0, 0, 0, 1)));

    let first = &batch.entries[0];
    let second = &batch.entries[1];
    assert_eq!(first.basename.as_deref(), Some("filename"));
    assert_eq!(second.basename.as_deref(), Some("filename"));
    assert_ne!(first.source_key, second.source_key);
    assert_eq!(second.title, "2件目の記事");
    assert_eq!(first.date, local("2007-08-08 15:00:00"));
    assert_eq!(first.text_filter, TextFilter::None);
    assert_eq!(labels(first), vec!["News", "Product"]);
    assert_eq!(first.tags, vec!["Movable Type", "foo", "bar"]);
}

#[test]
fn mt_aereal_reads_comment_dates_and_urls() {
    let Some(batch) = mt_fixture("aereal-mt__ok.txt") else {
        return;
    };
    let comments = &batch.entries[0].comments;

    assert_eq!(comments[0].author, "Foo");
    assert_eq!(comments[0].date, local("2002-01-31 15:47:06"));
    assert_eq!(comments[1].date, local("2002-02-01 04:02:07"));
    assert_eq!(comments[1].email, "me@bar.com");
    assert_eq!(comments[1].ip, "205.66.1.32");
    assert!(comments[1].body.starts_with("これは2番目の"), "{}", comments[1].body);

    let third = &batch.entries[1].comments[0];
    assert_eq!(third.url, "http://www.quux.com/");
    assert_eq!(third.date, local("2002-01-31 16:23:01"));
    assert!(batch.entries[1].excerpt.starts_with("この記事は"), "{}", batch.entries[1].excerpt);
    assert_eq!(batch.entries[1].extended, "");
}

#[test]
fn mt_dgibbs_multiple_posts() {
    let Some(batch) = mt_fixture("dgibbs__MultiplePosts.txt") else {
        return;
    };
    assert_eq!(counts(&batch), expect((3, 0, 4, 0, 0, 0, 3)));

    let first = titled(&batch, "Foo post title");
    assert_eq!(first.author.as_deref(), Some("Joe Bloggs"));
    assert_eq!(batch.authors[0].email, "joe@bloggs.com");
    assert_eq!(labels(first), vec!["Foo primary category", "Foo category", "Bar category", "Foo bar category"]);
    assert_eq!(first.tags, vec!["Foo bar", "Foo", "Bar"]);
    assert!(first.no_entry);
    assert_eq!(first.date, local("2020-01-01 09:50:00"));
    assert_eq!(first.keywords, "Foo keywords");

    let second = titled(&batch, "Here is a 2nd entry");
    assert_eq!(second.basename.as_deref(), Some("here-is-a-second-entry"));
    assert_eq!(second.date, local("2019-01-30 03:30:00"));
    assert_eq!(second.status, Status::Published);
    assert_eq!(titled(&batch, "Here is a 3rd entry").excerpt, "Third post excerpt");
}

#[test]
fn mt_dgibbs_single_posts() {
    let cases = [
        ("dgibbs__PostWithComments.txt", 2, 0),
        ("dgibbs__PostWithCommentsAndPings.txt", 2, 2),
        ("dgibbs__PostWithPings.txt", 0, 2),
        ("dgibbs__SimplePost.txt", 0, 0),
    ];
    for (name, comments, pings) in cases {
        let Some(batch) = mt_fixture(name) else {
            return;
        };
        let entry = &batch.entries[0];
        let kinds = |kind| entry.comments.iter().filter(|comment| comment.kind == kind).count();

        assert_eq!(batch.entries.len(), 1, "{name}");
        assert_eq!(kinds(CommentKind::Comment), comments, "{name}");
        assert_eq!(kinds(CommentKind::Trackback), pings, "{name}");
        assert_eq!(entry.body, "<p>Foo body text</p>", "{name}");
        assert_eq!(entry.extended, "<p>Foo extended body</p>", "{name}");
        assert_eq!(entry.text_filter, TextFilter::None, "{name}");
        assert_eq!(entry.basename.as_deref(), Some("foo-post-basename"), "{name}");
    }
}

#[test]
fn mt_dgibbs_reads_pings() {
    let Some(batch) = mt_fixture("dgibbs__PostWithCommentsAndPings.txt") else {
        return;
    };
    let ping = &batch.entries[0].comments[2];

    assert_eq!(ping.kind, CommentKind::Trackback);
    assert_eq!(ping.title, "Foo ping 1");
    assert_eq!(ping.author, "Foo blog name 1");
    assert_eq!(ping.url, "http://example.com/ping/foo");
    assert_eq!(ping.body, "Ping 1 excerpt text");
    assert_eq!(ping.date, local("2020-01-02 09:50:00"));
}

#[test]
fn mt_google_sample_reads_spaced_comment_key() {
    let Some(batch) = mt_fixture("google-blog-converters__movabletype-sample2.txt") else {
        return;
    };
    assert_eq!(counts(&batch), expect((1, 0, 3, 0, 0, 0, 1)));

    let entry = &batch.entries[0];
    assert_eq!(entry.basename.as_deref(), Some("my_first_post"));
    assert_eq!(entry.tags, vec!["first", "goodtag"]);
    assert_eq!(entry.keywords, "keyword, post");
    assert_eq!(labels(entry), vec!["New", "published"]);
    assert_eq!(entry.comments[0].body, "This is the first comment.");
    assert_eq!(entry.comments[0].url, "");
    assert_eq!(entry.comments[2].author, "JJ");
    assert_eq!(entry.comments[2].date, local("2008-11-13 15:06:35"));
}

#[test]
fn mt_typepad_multiple_posts() {
    let Some(batch) = mt_fixture("koozie__typepad_multiple_posts.txt") else {
        return;
    };
    assert_eq!(counts(&batch), expect((2, 0, 6, 0, 0, 0, 2)));

    let first = &batch.entries[0];
    assert_eq!(first.basename.as_deref(), Some("first_post"));
    assert_eq!(first.status, Status::Draft);
    assert_eq!(first.date, local("2003-05-29 01:02:06"));
    assert_eq!(first.text_filter, TextFilter::ConvertBreaks);
    assert!(first.body.ends_with("  </p>\n\n<p>Jerry</p>"), "{:?}", first.body);

    let second = &batch.entries[1];
    assert_eq!(second.basename.as_deref(), Some("home_wifi"));
    assert_eq!(second.status, Status::Published);
    assert_eq!(second.comments[0].author, "Fred Mike Jones");
    assert_eq!(second.comments[3].date, local("2003-08-12 12:07:13"));
}

#[test]
fn mt_typepad_keeps_junk_faxes_basename() {
    let Some(batch) = mt_fixture("koozie__typepad_posts_yaml.txt") else {
        return;
    };
    assert_eq!(counts(&batch), expect((3, 0, 0, 0, 0, 0, 2)));

    let junk = titled(&batch, "Junk Faxes: Redux");
    assert_eq!(junk.basename.as_deref(), Some("junk_faxes"));
    assert_eq!(junk.status, Status::Draft);
    assert_eq!(titled(&batch, "All about Frank's \"MIDI\" Files").status, Status::Published);

    let spam = &batch.entries[2];
    assert_eq!(spam.basename.as_deref(), Some("first_comment_s"));
    assert!(spam.body.contains("\nURL: http://www.karmicdebtconsolidation[dot]com/\n"), "{:?}", spam.body);
    assert!(spam.body.ends_with("<p>Marvelous<br />\n\n"), "{:?}", spam.body);
}

#[test]
fn mt_typepad_one_post() {
    let Some(batch) = mt_fixture("koozie__typepad_one_post.txt") else {
        return;
    };
    assert_eq!(counts(&batch), expect((1, 0, 1, 0, 0, 0, 1)));
    assert_eq!(batch.entries[0].comments[0].body, "Easy, ain't it? :)\nlaters");
}

#[test]
fn mt_official_test_entries() {
    let names = [
        ("movabletype__first_entry.txt", "First Entry", "first_entry"),
        ("movabletype__second_entry.txt", "Second Entry", "second_entry"),
        ("movabletype__third_entry.txt", "Third Entry", "third_entry"),
        ("movabletype__fourth_entry.txt", "Fourth Entry", "fourth_entry"),
    ];
    let mut keys = BTreeSet::new();
    for (name, title, basename) in names {
        let Some(batch) = mt_fixture(name) else {
            return;
        };
        let entry = &batch.entries[0];

        assert_eq!(counts(&batch), expect((1, 0, 0, 0, 0, 0, 1)), "{name}");
        assert_eq!(entry.title, title);
        assert_eq!(entry.basename.as_deref(), Some(basename));
        assert_eq!(entry.date, local("2014-11-13 22:10:52"), "{name}");
        assert_eq!(entry.extended, "", "{name}");
        assert_eq!(entry.excerpt, "", "{name}");
        keys.insert(entry.source_key.clone());
    }
    assert_eq!(keys.len(), 4);
}

#[test]
fn mt_hatena_keeps_slash_basename() {
    let Some(batch) = mt_fixture("sasazame__sample-mt.txt") else {
        return;
    };
    assert_eq!(counts(&batch), expect((2, 0, 0, 0, 0, 0, 1)));

    let first = &batch.entries[0];
    assert_eq!(first.basename.as_deref(), Some("2025/06/16/120000"));
    assert_eq!(basename::normalize("2025/06/16/120000").unwrap(), "2025/06/16/120000");
    assert_eq!(first.date, local("2025-06-16 12:00:00"));
    assert_eq!(first.text_filter, TextFilter::None);
    assert_eq!(labels(first), vec!["料理"]);
    assert!(first.title.starts_with("自分で買ったことない野菜"), "{}", first.title);
    assert!(!first.extended.is_empty());

    let second = &batch.entries[1];
    assert_eq!(second.basename.as_deref(), Some("2025/06/15/184506"));
    assert_eq!(second.date, local("2025-06-15 18:45:06"));
}

const WXR_FILES: &[&str] = &[
    "google-blog-converters__wordpress-sample.wxr",
    "google-blog-converters__wordpress-sample2.wxr",
    "google-blog-converters__wordpress.1.xml",
    "google-blog-converters__wordpress.2.xml",
    "pelican__wordpressexport.xml",
    "theme-test-data__64-block-test-data.xml",
    "theme-test-data__theme-preview.xml",
    "theme-test-data__themeunittestdata.wordpress.xml",
    "wordpress-importer-e2e__wxr-base-url-rewriting.xml",
    "wordpress-importer-e2e__wxr-comprehensive.xml",
    "wordpress-importer-e2e__wxr-css-urls.xml",
    "wordpress-importer-e2e__wxr-simple.xml",
    "wordpress-importer__authors-multiline.xml",
    "wordpress-importer__backslashes.xml",
    "wordpress-importer__blank-lines.xml",
    "wordpress-importer__cdata-edge.xml",
    "wordpress-importer__chunked-meta.xml",
    "wordpress-importer__crazy-cdata-escaped.xml",
    "wordpress-importer__crazy-cdata.xml",
    "wordpress-importer__invalid-version-tag.xml",
    "wordpress-importer__large-authors.xml",
    "wordpress-importer__malformed-simple.xml",
    "wordpress-importer__malformed.xml",
    "wordpress-importer__missing-tags.xml",
    "wordpress-importer__missing-version-tag.xml",
    "wordpress-importer__multiple-cdata.xml",
    "wordpress-importer__namespace-edge-cases.xml",
    "wordpress-importer__post-content-blank-lines.xml",
    "wordpress-importer__slashes.xml",
    "wordpress-importer__small-export.xml",
    "wordpress-importer__term-formats.xml",
    "wordpress-importer__term-meta.xml",
    "wordpress-importer__test-serialized-comment-meta.xml",
    "wordpress-importer__test-serialized-postmeta-no-cdata.xml",
    "wordpress-importer__test-serialized-postmeta-with-cdata.xml",
    "wordpress-importer__test-serialized-term-meta.xml",
    "wordpress-importer__test-utw-post-meta-import.xml",
    "wordpress-importer__theme-unit-test-data.xml",
    "wordpress-importer__valid-wxr-1.0.xml",
    "wordpress-importer__valid-wxr-1.1.xml",
    "wordpress-importer__wxr-flat-attachment-different-site.xml",
    "wordpress-importer__wxr-flat-attachment-same-site.xml",
    "wordpress-importer__wxr-simple.xml",
    "wordpress-importer__wxr-with-sub-data.xml",
];

#[test]
fn wxr_folder_has_only_checked_files() {
    let Some(names) = list(WXR_DIR) else { return };
    let checked: BTreeSet<String> = WXR_FILES.iter().map(|name| name.to_string()).collect();
    assert_eq!(names, checked, "a fixture was added or removed: give it a test below");
}

#[test]
fn wxr_counts_per_file() {
    // (entries, pages, comments, categories, assets, skipped, authors)
    let cases = [
        ("google-blog-converters__wordpress-sample.wxr", (4, 1, 2, 4, 1, 0, 0)),
        ("google-blog-converters__wordpress-sample2.wxr", (10, 0, 3, 6, 1, 0, 0)),
        ("google-blog-converters__wordpress.1.xml", (6, 2, 3, 2, 4, 0, 0)),
        ("google-blog-converters__wordpress.2.xml", (4, 1, 2, 4, 1, 0, 0)),
        ("pelican__wordpressexport.xml", (13, 2, 4, 4, 4, 3, 2)),
        ("theme-test-data__64-block-test-data.xml", (62, 1, 2, 7, 9, 1, 2)),
        ("theme-test-data__theme-preview.xml", (7, 0, 2, 0, 0, 0, 0)),
        ("theme-test-data__themeunittestdata.wordpress.xml", (79, 21, 33, 68, 37, 70, 2)),
        ("wordpress-importer-e2e__wxr-base-url-rewriting.xml", (1, 0, 0, 0, 0, 0, 1)),
        ("wordpress-importer-e2e__wxr-comprehensive.xml", (2, 1, 1, 2, 0, 0, 2)),
        ("wordpress-importer-e2e__wxr-css-urls.xml", (1, 0, 0, 1, 0, 0, 1)),
        ("wordpress-importer-e2e__wxr-simple.xml", (1, 0, 0, 0, 0, 0, 1)),
        ("wordpress-importer__authors-multiline.xml", (1, 0, 0, 0, 0, 0, 3)),
        ("wordpress-importer__backslashes.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__blank-lines.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__cdata-edge.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__chunked-meta.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__crazy-cdata-escaped.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__crazy-cdata.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__large-authors.xml", (0, 0, 0, 0, 0, 0, 300)),
        ("wordpress-importer__missing-tags.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__multiple-cdata.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__namespace-edge-cases.xml", (5, 0, 0, 2, 0, 1, 2)),
        ("wordpress-importer__post-content-blank-lines.xml", (1, 0, 0, 0, 0, 0, 1)),
        ("wordpress-importer__slashes.xml", (1, 0, 1, 1, 0, 0, 1)),
        ("wordpress-importer__small-export.xml", (11, 5, 1, 30, 0, 0, 3)),
        ("wordpress-importer__term-formats.xml", (0, 0, 0, 2, 0, 0, 0)),
        ("wordpress-importer__term-meta.xml", (0, 0, 0, 1, 0, 0, 0)),
        ("wordpress-importer__test-serialized-comment-meta.xml", (1, 0, 1, 0, 0, 0, 0)),
        ("wordpress-importer__test-serialized-postmeta-no-cdata.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__test-serialized-postmeta-with-cdata.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__test-serialized-term-meta.xml", (1, 0, 0, 1, 0, 0, 0)),
        ("wordpress-importer__test-utw-post-meta-import.xml", (1, 0, 0, 0, 0, 0, 0)),
        ("wordpress-importer__theme-unit-test-data.xml", (79, 21, 33, 68, 37, 70, 2)),
        ("wordpress-importer__valid-wxr-1.0.xml", (6, 3, 1, 5, 0, 0, 0)),
        ("wordpress-importer__valid-wxr-1.1.xml", (2, 1, 1, 1, 0, 0, 1)),
        ("wordpress-importer__wxr-flat-attachment-different-site.xml", (1, 0, 0, 0, 1, 0, 1)),
        ("wordpress-importer__wxr-flat-attachment-same-site.xml", (1, 0, 0, 0, 1, 0, 1)),
        ("wordpress-importer__wxr-simple.xml", (1, 0, 0, 0, 0, 0, 1)),
        ("wordpress-importer__wxr-with-sub-data.xml", (1, 0, 1, 0, 0, 0, 0)),
    ];
    for (name, numbers) in cases {
        let Some(batch) = wxr_ok(name) else { return };
        assert_eq!(counts(&batch), expect(numbers), "{name}");
    }
}

#[test]
fn wxr_rejects_bad_versions() {
    let Some(invalid) = wxr_fixture("wordpress-importer__invalid-version-tag.xml") else {
        return;
    };
    match invalid {
        Err(WxrError::UnsupportedVersion { version }) => assert_eq!(version, "abc"),
        other => panic!("{other:?}"),
    }

    let Some(missing) = wxr_fixture("wordpress-importer__missing-version-tag.xml") else {
        return;
    };
    let error = missing.unwrap_err();
    assert!(matches!(error, WxrError::NotWxr { .. }), "{error:?}");
    assert!(error.to_string().contains("not a WXR file"), "{error}");
}

#[test]
fn wxr_rejects_malformed_files() {
    let cases = [("wordpress-importer__malformed-simple.xml", 14), ("wordpress-importer__malformed.xml", 90)];
    for (name, expected_line) in cases {
        let Some(result) = wxr_fixture(name) else {
            return;
        };
        match result {
            Err(WxrError::Malformed { line, offset, message }) => {
                assert_eq!(line, expected_line, "{name}: {message}");
                assert!(offset > 0, "{name}");
                assert!(!message.is_empty(), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn wxr_sample2_reads_undeclared_prefix() {
    let Some(batch) = wxr_ok("google-blog-converters__wordpress-sample2.wxr") else {
        return;
    };

    let drafts = batch.entries.iter().filter(|entry| entry.status == Status::Draft).count();
    assert_eq!(drafts, 6);
    assert_eq!(titled(&batch, "Four Generations").status, Status::Draft);
    assert_eq!(batch.warnings.len(), 1);
    assert_eq!(batch.warnings[0].position.line, 62);
    assert!(batch.warnings[0].reason.contains("`excerpt`"), "{}", batch.warnings[0].reason);

    let slug = batch
        .entries
        .iter()
        .filter_map(|entry| entry.basename.as_deref())
        .find(|slug| slug.starts_with("it%e2"))
        .expect("percent-encoded slug");
    assert_eq!(basename::normalize(slug).unwrap(), "it\u{2019}s-a-hard-life");
}

#[test]
fn wxr_matches_namespaces_by_uri() {
    let Some(batch) = wxr_ok("wordpress-importer__namespace-edge-cases.xml") else {
        return;
    };

    let authors: Vec<&str> = batch.authors.iter().map(|author| author.name.as_str()).collect();
    assert_eq!(authors, vec!["real_user", "version_conflict"]);

    let keys: Vec<&str> = batch.entries.iter().map(|entry| entry.source_key.as_str()).collect();
    assert_eq!(keys, vec!["wxr-id:1", "wxr-id:2", "wxr-id:3", "wxr-id:4", "wxr-id:6"]);
    assert_eq!(titled(&batch, "No Prefix").body, "Testing default namespace");

    assert_eq!(batch.skipped.len(), 1);
    assert_eq!(batch.skipped[0].position.record, 5);

    let categories: Vec<&str> = batch.categories.iter().map(|category| category.path[0].as_str()).collect();
    assert_eq!(categories, vec!["Old Version", "New Version"]);
}

#[test]
fn wxr_cdata_variants() {
    let cases = [
        ("wordpress-importer__multiple-cdata.xml", "line oneline twoline three", 0),
        ("wordpress-importer__cdata-edge.xml", "ends with sequence ]] >", 0),
        ("wordpress-importer__crazy-cdata-escaped.xml", "Content with nested <![CDATA[ tags ]]> :)", 0),
        // Unescaped `]]>` from old WordPress exporters is recovered with a
        // warning for each affected element (the body and two post meta).
        ("wordpress-importer__crazy-cdata.xml", "Content with nested <![CDATA[ tags ]]> :)", 3),
    ];
    for (name, body, warnings) in cases {
        let Some(batch) = wxr_ok(name) else { return };
        assert_eq!(batch.entries[0].body, body, "{name}");
        assert_eq!(batch.warnings.len(), warnings, "{name}: {:?}", batch.warnings);
    }
}

#[test]
fn wxr_keeps_backslashes_and_blank_lines() {
    let Some(batch) = wxr_ok("wordpress-importer__backslashes.xml") else {
        return;
    };
    assert_eq!(batch.entries[0].body, "C:\\xampp\\htdocs\\wp-content");

    let Some(batch) = wxr_ok("wordpress-importer__blank-lines.xml") else {
        return;
    };
    assert_eq!(batch.entries[0].body, "first paragraph\n\nsecond paragraph");

    let Some(batch) = wxr_ok("wordpress-importer__post-content-blank-lines.xml") else {
        return;
    };
    assert!(batch.entries[0].body.contains("blank line).\n\nAnd more lines"), "{:?}", batch.entries[0].body);

    let Some(batch) = wxr_ok("wordpress-importer__slashes.xml") else {
        return;
    };
    let entry = &batch.entries[0];
    assert_eq!(entry.body, "Slashes aren\\'t \\\"cool\\\"");
    assert_eq!(entry.comments[0].body, "\\o/ \u{af}\\_(\u{30c4})_/\u{af}");
}

#[test]
fn wxr_theme_unit_test_statuses() {
    for name in ["theme-test-data__themeunittestdata.wordpress.xml", "wordpress-importer__theme-unit-test-data.xml"] {
        let Some(batch) = wxr_ok(name) else { return };

        let scheduled = titled(&batch, "Scheduled");
        assert_eq!(scheduled.status, Status::Scheduled, "{name}");
        assert_eq!(scheduled.date, utc("2030-01-01 19:00:18"), "{name}");
        assert_eq!(titled(&batch, "Draft").status, Status::Draft, "{name}");

        let protected = titled(&batch, "Template: Password Protected (the password is \"enter\")");
        assert_eq!(protected.status, Status::Draft, "{name}");
        let warning = batch
            .warnings
            .iter()
            .find(|warning| warning.position == protected.position)
            .unwrap_or_else(|| panic!("{name}: no warning for the protected post"));
        assert!(warning.reason.contains("password"), "{name}: {}", warning.reason);

        let skipped_menu_items =
            batch.skipped.iter().filter(|skipped| skipped.reason.contains("nav_menu_item")).count();
        assert_eq!(skipped_menu_items, 70, "{name}");
    }
}

#[test]
fn wxr_theme_unit_test_structure() {
    let Some(batch) = wxr_ok("theme-test-data__themeunittestdata.wordpress.xml") else {
        return;
    };

    let child_pages = batch.entries.iter().filter(|entry| entry.parent_key.is_some()).count();
    assert_eq!(child_pages, 13);
    for entry in batch.entries.iter().filter(|entry| entry.parent_key.is_some()) {
        let parent = entry.parent_key.as_deref().unwrap();
        assert!(batch.entries.iter().any(|other| other.source_key == parent), "{}: {parent}", entry.title);
    }

    let empty_titles = batch.entries.iter().filter(|entry| entry.title.is_empty()).count();
    assert_eq!(empty_titles, 1);

    let deepest = batch.categories.iter().map(|category| category.path.len()).max();
    assert_eq!(deepest, Some(3));
    assert!(batch.categories.iter().any(|category| category.path == ["Parent", "Child 1", "Child 2"]));

    let comment_kinds =
        |kind| batch.entries.iter().flat_map(|entry| &entry.comments).filter(|c| c.kind == kind).count();
    assert_eq!(comment_kinds(CommentKind::Comment), 29);
    assert_eq!(comment_kinds(CommentKind::Pingback), 2);
    assert_eq!(comment_kinds(CommentKind::Trackback), 2);
}

#[test]
fn wxr_block_content_is_html() {
    let Some(batch) = wxr_ok("theme-test-data__64-block-test-data.xml") else {
        return;
    };

    let blocks = batch.entries.iter().filter(|entry| entry.text_filter == TextFilter::None).count();
    assert!(blocks > 50, "{blocks} of {} entries use blocks", batch.entries.len());
    assert!(batch.skipped[0].reason.contains("\"wp_navigation\""), "{}", batch.skipped[0].reason);
}

#[test]
fn wxr_pelican_skips_custom_types() {
    let Some(batch) = wxr_ok("pelican__wordpressexport.xml") else {
        return;
    };

    let reasons: Vec<&str> = batch.skipped.iter().map(|skipped| skipped.reason.as_str()).collect();
    assert!(reasons[0].contains("\"custom1\""), "{}", reasons[0]);
    assert!(reasons[2].contains("\"custom2\""), "{}", reasons[2]);

    let drafts = batch.entries.iter().filter(|entry| entry.status == Status::Draft).count();
    assert_eq!(drafts, 4);
    let pingbacks = batch.entries.iter().flat_map(|entry| &entry.comments).filter(|c| c.kind == CommentKind::Pingback);
    assert_eq!(pingbacks.count(), 1);
}

#[test]
fn wxr_small_export_facts() {
    let Some(batch) = wxr_ok("wordpress-importer__small-export.xml") else {
        return;
    };

    assert_eq!(titled(&batch, "Draft Page").status, Status::Draft);
    assert_eq!(titled(&batch, "Private Post").status, Status::Draft);
    assert_eq!(titled(&batch, "Hello world!").status, Status::Published);
    assert_eq!(titled(&batch, "Child Page").kind, EntryKind::Page);
    assert!(titled(&batch, "Child Page").parent_key.is_some());

    let published = batch.entries.iter().filter(|entry| entry.status == Status::Published).count();
    assert_eq!(published, 9);
    let names: Vec<&str> = batch.authors.iter().map(|author| author.name.as_str()).collect();
    assert_eq!(names.len(), 3);
}

#[test]
fn wxr_authors_are_trimmed() {
    let Some(batch) = wxr_ok("wordpress-importer__authors-multiline.xml") else {
        return;
    };
    let names: Vec<&str> = batch.authors.iter().map(|author| author.name.as_str()).collect();
    assert_eq!(names, vec!["alice", "bob", "carol"]);
    assert_eq!(batch.authors[0].email, "alice@example.com");
}

#[test]
fn wxr_missing_tags_get_defaults() {
    let Some(batch) = wxr_ok("wordpress-importer__missing-tags.xml") else {
        return;
    };
    let entry = &batch.entries[0];

    assert_eq!(entry.title, "No Author Post");
    assert_eq!(entry.author, None);
    assert_eq!(entry.date, None);
    assert_eq!(entry.basename, None);
    assert_eq!(entry.body, "text");
}

#[test]
fn wxr_attachments_become_assets() {
    for name in [
        "wordpress-importer__wxr-flat-attachment-different-site.xml",
        "wordpress-importer__wxr-flat-attachment-same-site.xml",
    ] {
        let Some(batch) = wxr_ok(name) else { return };
        assert_eq!(batch.assets[0].url, "https://wpthemetestdata.files.wordpress.com/2008/06/canola2.jpg", "{name}");
    }
}

#[test]
fn wxr_sub_data_keeps_nesting() {
    let Some(batch) = wxr_ok("wordpress-importer__wxr-with-sub-data.xml") else {
        return;
    };
    let entry = &batch.entries[0];

    assert_eq!(entry.source_key, "wxr-id:101");
    assert_eq!(entry.author.as_deref(), Some("admin"));
    assert_eq!(labels(entry), vec!["Test Category"]);
    assert_eq!(entry.comments[0].author, "Commenter");
    assert_eq!(entry.comments[0].body, "This is a comment with meta.");
    assert_eq!(entry.comments[0].source_key.as_deref(), Some("201"));
}

#[test]
fn wxr_term_records_become_categories() {
    let Some(batch) = wxr_ok("wordpress-importer__term-meta.xml") else {
        return;
    };
    assert_eq!(batch.categories[0].path, vec!["News"]);
    assert_eq!(batch.categories[0].basename.as_deref(), Some("news"));
}

#[test]
fn wxr_version_1_0_dates() {
    let Some(batch) = wxr_ok("wordpress-importer__valid-wxr-1.0.xml") else {
        return;
    };
    assert!(batch.entries.iter().all(|entry| matches!(entry.date, Some(ImportedDate::Utc(_)))));

    let Some(batch) = wxr_ok("pelican__wordpressexport.xml") else {
        return;
    };
    let local_dates = batch.entries.iter().filter(|entry| matches!(entry.date, Some(ImportedDate::Local(_))));
    assert_eq!(local_dates.count(), 8, "posts with a zero GMT date use the local date");
}
