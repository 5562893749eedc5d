//! Tests of the MT parser on inline files.

use chrono::NaiveDateTime;

use super::parse;
use crate::import::source::{ImportBatch, ImportedDate, ImportedEntry, Position};
use crate::model::{CommentKind, EntryKind, Status, TextFilter};

fn local(text: &str) -> Option<ImportedDate> {
    let date = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
    Some(ImportedDate::Local(date))
}

fn only_entry(batch: &ImportBatch) -> &ImportedEntry {
    assert_eq!(batch.entries.len(), 1, "entries: {:#?}\nskipped: {:#?}", batch.entries, batch.skipped);
    &batch.entries[0]
}

const SIMPLE: &str = "\
AUTHOR: Foo Bar
TITLE: A dummy title
BASENAME: a_dummy_title
STATUS: Draft
ALLOW COMMENTS: 1
CONVERT BREAKS: markdown
PRIMARY CATEGORY: News
CATEGORY: Media
CATEGORY: News
DATE: 01/31/2002 03:31:05 PM
TAGS: \"Movable Type\",foo
-----
BODY:
This is the body.
-----
EXTENDED BODY:
More text.
-----
EXCERPT:
Short.
-----
KEYWORDS:
dummy, title
-----
--------
";

#[test]
fn parse_reads_every_header_field() {
    let batch = parse(SIMPLE.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.kind, EntryKind::Entry);
    assert_eq!(entry.author.as_deref(), Some("Foo Bar"));
    assert_eq!(entry.title, "A dummy title");
    assert_eq!(entry.basename.as_deref(), Some("a_dummy_title"));
    assert_eq!(entry.status, Status::Draft);
    assert!(entry.allow_comments);
    assert_eq!(entry.text_filter, TextFilter::Markdown);
    assert_eq!(entry.categories, vec![vec!["News".to_string()], vec!["Media".to_string()]]);
    assert_eq!(entry.date, local("2002-01-31 15:31:05"));
    assert_eq!(entry.tags, vec!["Movable Type", "foo"]);
    assert_eq!(entry.position, Position { line: 1, record: 1 });
    assert!(!entry.no_entry);
}

#[test]
fn parse_reads_every_section() {
    let batch = parse(SIMPLE.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.body, "This is the body.");
    assert_eq!(entry.extended, "More text.");
    assert_eq!(entry.excerpt, "Short.");
    assert_eq!(entry.keywords, "dummy, title");
    assert!(batch.skipped.is_empty());
    assert!(batch.warnings.is_empty());
}

#[test]
fn parse_lists_authors_once() {
    let file = "AUTHOR: Joe\nAUTHOR EMAIL: joe@example.com\nTITLE: a\n-----\n--------\n\
                AUTHOR: Joe\nTITLE: b\n-----\n--------\nAUTHOR: Ann\nTITLE: c\n-----\n--------\n";
    let batch = parse(file.as_bytes());

    assert_eq!(batch.entries.len(), 3);
    assert_eq!(batch.authors.len(), 2);
    assert_eq!(batch.authors[0].name, "Joe");
    assert_eq!(batch.authors[0].email, "joe@example.com");
    assert_eq!(batch.authors[1].name, "Ann");
    assert_eq!(batch.authors[1].email, "");
}

#[test]
fn parse_fills_defaults() {
    let batch = parse(b"AUTHOR: someone\n-----\nBODY:\ntext\n-----\n--------\n");
    let entry = only_entry(&batch);

    assert_eq!(entry.title, "");
    assert_eq!(entry.basename, None);
    assert_eq!(entry.date, None);
    assert_eq!(entry.status, Status::Published);
    assert_eq!(entry.text_filter, TextFilter::ConvertBreaks);
    assert!(!entry.allow_comments);
    assert!(entry.categories.is_empty());
    assert!(entry.tags.is_empty());
    assert_eq!(entry.extended, "");
}

#[test]
fn parse_keeps_basename_exactly() {
    let batch = parse(b"TITLE: x\nBASENAME: first_post\n-----\n--------\n");
    assert_eq!(only_entry(&batch).basename.as_deref(), Some("first_post"));
}

#[test]
fn parse_reads_crlf_file() {
    let file = SIMPLE.replace('\n', "\r\n");
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.title, "A dummy title");
    assert_eq!(entry.body, "This is the body.");
    assert_eq!(entry.keywords, "dummy, title");
    assert!(!entry.body.contains('\r'));
}

#[test]
fn parse_reads_lone_cr_file() {
    let file = "TITLE: Old Mac\r-----\rBODY:\rline one\rline two\r-----\r--------\r";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.title, "Old Mac");
    assert_eq!(entry.body, "line one\nline two");
}

#[test]
fn parse_skips_utf8_bom() {
    let file = format!("\u{feff}{SIMPLE}");
    let batch = parse(file.as_bytes());
    assert_eq!(only_entry(&batch).author.as_deref(), Some("Foo Bar"));
}

#[test]
fn parse_reads_windows_1252_entry() {
    let file: &[u8] = b"TITLE: Caf\xe9\n-----\nBODY:\nna\xefve \x93quoted\x94\n-----\n--------\n\
                        TITLE: Plain\n-----\nBODY:\ncaf\xc3\xa9\n-----\n--------\n";
    let batch = parse(file);

    assert_eq!(batch.entries.len(), 2);
    assert_eq!(batch.entries[0].title, "Caf\u{e9}");
    assert_eq!(batch.entries[0].body, "na\u{ef}ve \u{201c}quoted\u{201d}");
    assert_eq!(batch.entries[1].body, "caf\u{e9}");

    assert_eq!(batch.warnings.len(), 1);
    assert_eq!(batch.warnings[0].position, Position { line: 1, record: 1 });
    assert!(batch.warnings[0].reason.contains("Windows-1252"), "{}", batch.warnings[0].reason);
    assert!(batch.warnings[0].reason.contains("line 1"), "{}", batch.warnings[0].reason);
}

#[test]
fn parse_keeps_dash_line_in_body() {
    let file = "TITLE: Dashes\n-----\nBODY:\nabove\n-----\nbelow\n-----\nEXCERPT:\nsummary\n-----\n--------\n";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.body, "above\n-----\nbelow");
    assert_eq!(entry.excerpt, "summary");
}

#[test]
fn parse_keeps_entry_separator_in_body() {
    let file = "TITLE: Rule\n-----\nBODY:\nabove\n--------\nNot a header line\n-----\n--------\n\
                TITLE: Next\n-----\n--------\n";
    let batch = parse(file.as_bytes());

    assert_eq!(batch.entries.len(), 2);
    assert_eq!(batch.entries[0].body, "above\n--------\nNot a header line");
    assert_eq!(batch.entries[1].title, "Next");
    assert_eq!(batch.entries[1].position, Position { line: 9, record: 2 });
}

#[test]
fn parse_splits_at_separator_before_header() {
    let file = "TITLE: One\n-----\nBODY:\nfirst\n--------\n\nTITLE: Two\n-----\nBODY:\nsecond\n";
    let batch = parse(file.as_bytes());

    assert_eq!(batch.entries.len(), 2);
    assert_eq!(batch.entries[0].body, "first");
    assert_eq!(batch.entries[1].body, "second");
}

#[test]
fn parse_skips_bad_date_and_continues() {
    let file = "TITLE: Broken\nDATE: 31/01/2002 25:00:00\n-----\nBODY:\nx\n-----\n--------\n\
                TITLE: Fine\nDATE: 01/31/2002 03:31:05 AM\n-----\nBODY:\ny\n-----\n--------\n";
    let batch = parse(file.as_bytes());

    assert_eq!(batch.skipped.len(), 1);
    assert_eq!(batch.skipped[0].position, Position { line: 1, record: 1 });
    assert!(batch.skipped[0].reason.contains("31/01/2002 25:00:00"), "{}", batch.skipped[0].reason);

    let entry = only_entry(&batch);
    assert_eq!(entry.title, "Fine");
    assert_eq!(entry.date, local("2002-01-31 03:31:05"));
    assert_eq!(entry.position, Position { line: 8, record: 2 });
}

#[test]
fn parse_skips_bad_status() {
    let batch = parse(b"TITLE: x\nSTATUS: Pending\n-----\n--------\nTITLE: y\n-----\n--------\n");

    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].reason.contains("\"Pending\""), "{}", batch.skipped[0].reason);
    assert_eq!(only_entry(&batch).title, "y");
}

#[test]
fn parse_skips_entry_without_header() {
    let file = "BODY:\norphan text\n-----\n--------\nTITLE: kept\n-----\n--------\n";
    let batch = parse(file.as_bytes());

    assert_eq!(batch.skipped.len(), 1);
    assert_eq!(batch.skipped[0].position, Position { line: 1, record: 1 });
    assert!(batch.skipped[0].reason.contains("no header"), "{}", batch.skipped[0].reason);
    assert_eq!(only_entry(&batch).title, "kept");
}

#[test]
fn parse_maps_statuses() {
    let cases = [
        ("Publish", Status::Published),
        ("draft", Status::Draft),
        ("Review", Status::Draft),
        ("Unpublish", Status::Draft),
        ("FUTURE", Status::Scheduled),
    ];
    for (value, expected) in cases {
        let file = format!("TITLE: x\nSTATUS: {value}\n-----\n--------\n");
        let batch = parse(file.as_bytes());
        assert_eq!(only_entry(&batch).status, expected, "{value}");
    }
}

#[test]
fn parse_reads_12_hour_dates() {
    let cases = [
        ("01/01/2020 12:00:00 AM", "2020-01-01 00:00:00"),
        ("01/01/2020 12:15:00 PM", "2020-01-01 12:15:00"),
        ("01/01/2020 11:59:59 PM", "2020-01-01 23:59:59"),
        ("01/01/2020 23:00:00", "2020-01-01 23:00:00"),
    ];
    for (value, expected) in cases {
        let file = format!("TITLE: x\nDATE: {value}\n-----\n--------\n");
        let batch = parse(file.as_bytes());
        assert_eq!(only_entry(&batch).date, local(expected), "{value}");
    }
}

#[test]
fn parse_trims_header_values() {
    let file = "TITLE: Spaced title   \nBASENAME:  spaced  \nUNIQUE URL: http://x/ \n-----\n--------\n";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.title, "Spaced title");
    assert_eq!(entry.basename.as_deref(), Some("spaced"));
}

#[test]
fn parse_allows_blank_lines_in_header() {
    let file = "TITLE: Gaps\n\nCATEGORY: One\n\n\nDATE: 05/29/2003 01:02:06 AM\n-----\n--------\n";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.categories, vec![vec!["One".to_string()]]);
    assert_eq!(entry.date, local("2003-05-29 01:02:06"));
}

#[test]
fn parse_ignores_unknown_keys() {
    let file = "TITLE: x\nCF50_BASENAME: custom\nIMAGE: http://img/\n-----\n--------\n";
    let batch = parse(file.as_bytes());

    assert_eq!(only_entry(&batch).title, "x");
    assert!(batch.warnings.is_empty());
}

#[test]
fn parse_keeps_body_text_exactly() {
    let file = "TITLE: x\n-----\nBODY:\n  indented  \n\n<p>trailing space </p>\n\n-----\n--------\n";
    let batch = parse(file.as_bytes());

    assert_eq!(only_entry(&batch).body, "  indented  \n\n<p>trailing space </p>\n");
}

#[test]
fn parse_ignores_extra_empty_section() {
    let file = "TITLE: x\n-----\nBODY:\n<p>b</p>\n-----\nKEYWORDS:\n\n-----\n\n\n-----\n--------\n\n";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.body, "<p>b</p>");
    assert_eq!(entry.keywords, "");
}

#[test]
fn parse_keeps_categories_with_slash() {
    let file = "TITLE: x\nCATEGORY: TV/Movies\nCATEGORY: TV/Movies\n-----\n--------\n";
    let batch = parse(file.as_bytes());
    assert_eq!(only_entry(&batch).categories, vec![vec!["TV/Movies".to_string()]]);
}

#[test]
fn parse_reads_comments() {
    let file = "TITLE: x\n-----\nBODY:\nb\n-----\n\nCOMMENT: \nAUTHOR: Fred Jones \nEMAIL: f@example.com\n\
                IP: 10.0.0.1\nURL: <a href=\"http://f.example/\">http://f.example/</a>\n\
                DATE: 08/10/2003 02:54:44 PM\nFirst line. \n\nSecond line.\n-----\n--------\n";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);
    assert_eq!(entry.comments.len(), 1);

    let comment = &entry.comments[0];
    assert_eq!(comment.kind, CommentKind::Comment);
    assert_eq!(comment.author, "Fred Jones");
    assert_eq!(comment.email, "f@example.com");
    assert_eq!(comment.ip, "10.0.0.1");
    assert_eq!(comment.url, "http://f.example/");
    assert_eq!(comment.date, local("2003-08-10 14:54:44"));
    assert_eq!(comment.body, "First line. \n\nSecond line.");
    assert!(comment.approved);
}

#[test]
fn parse_reads_pings_as_trackbacks() {
    let file = "TITLE: x\n-----\nPING:\nTITLE: Their post\nURL: http://them/\nIP: 1.2.3.4\n\
                BLOG NAME: Their blog\nDATE: 01/02/2020 09:50:00 AM\nPing excerpt\n-----\n--------\n";
    let batch = parse(file.as_bytes());
    let ping = &only_entry(&batch).comments[0];

    assert_eq!(ping.kind, CommentKind::Trackback);
    assert_eq!(ping.title, "Their post");
    assert_eq!(ping.author, "Their blog");
    assert_eq!(ping.url, "http://them/");
    assert_eq!(ping.ip, "1.2.3.4");
    assert_eq!(ping.date, local("2020-01-02 09:50:00"));
    assert_eq!(ping.body, "Ping excerpt");
}

#[test]
fn parse_warns_on_bad_comment_date() {
    let file = "TITLE: x\n-----\nCOMMENT:\nAUTHOR: a\nDATE: someday\ntext\n-----\n--------\n";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.comments[0].date, None);
    assert_eq!(entry.comments[0].body, "text");
    assert_eq!(batch.warnings.len(), 1);
    assert!(batch.warnings[0].reason.contains("\"someday\""), "{}", batch.warnings[0].reason);
}

#[test]
fn parse_reads_no_entry_flag() {
    let batch = parse(b"TITLE: x\nNO ENTRY: 1\n-----\n--------\n");
    assert!(only_entry(&batch).no_entry);
}

#[test]
fn source_key_is_stable_and_unique() {
    let file = "AUTHOR: a\nTITLE: same\n-----\n--------\nAUTHOR: a\nTITLE: same\n-----\n--------\n\
                AUTHOR: a\nTITLE: other\n-----\n--------\n";
    let first = parse(file.as_bytes());
    let second = parse(file.as_bytes());
    let keys: Vec<&str> = first.entries.iter().map(|entry| entry.source_key.as_str()).collect();

    assert!(keys[0].starts_with("mt:"));
    assert_eq!(keys[1], format!("{}:2", keys[0]));
    assert_ne!(keys[2], keys[0]);
    assert_eq!(second.entries[0].source_key, keys[0]);
    assert_eq!(second.entries[2].source_key, keys[2]);
}

#[test]
fn parse_reads_empty_input() {
    for file in [&b""[..], b"\n\n", b"\xEF\xBB\xBF", b"--------\n"] {
        let batch = parse(file);
        assert!(batch.entries.is_empty(), "{file:?}");
        assert!(batch.skipped.is_empty(), "{file:?}");
    }
}

#[test]
fn parse_reads_body_without_separator_before_it() {
    let file =
        "TITLE: Straight\nDATE: 01/31/2002 03:31:05 PM\nBODY:\nbody text\n-----\nEXCERPT:\nshort\n-----\n--------\n";
    let batch = parse(file.as_bytes());
    let entry = only_entry(&batch);

    assert_eq!(entry.title, "Straight");
    assert_eq!(entry.body, "body text");
    assert_eq!(entry.excerpt, "short");
}
