//! Tests of the WXR parser on inline documents.

use chrono::{NaiveDate, TimeZone, Utc};

use super::{WxrError, parse};
use crate::import::source::{ImportBatch, ImportedDate, ImportedEntry, Position};
use crate::model::{CommentKind, EntryKind, Status, TextFilter};

const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<wp:wxr_version>1.2</wp:wxr_version>
"#;

const FOOTER: &str = "</channel>\n</rss>\n";

/// Builds a WXR 1.2 document around channel content.
fn document(channel: &str) -> String {
    format!("{HEADER}{channel}{FOOTER}")
}

/// Builds an item with a post id, a type, a status and extra elements.
fn item(id: u32, post_type: &str, status: &str, extra: &str) -> String {
    format!(
        "<item>\n<title>Item {id}</title>\n<wp:post_id>{id}</wp:post_id>\n<wp:post_type>{post_type}</wp:post_type>\n\
         <wp:status>{status}</wp:status>\n{extra}\n</item>\n"
    )
}

fn parse_ok(text: &str) -> ImportBatch {
    match parse(text.as_bytes()) {
        Ok(batch) => batch,
        Err(error) => panic!("parse failed: {error}"),
    }
}

fn only_entry(batch: &ImportBatch) -> &ImportedEntry {
    assert_eq!(batch.entries.len(), 1, "entries: {:#?}\nskipped: {:#?}", batch.entries, batch.skipped);
    &batch.entries[0]
}

#[test]
fn parse_reads_a_post() {
    let extra = r#"<guid isPermaLink="false">http://example.org/?p=1</guid>
<dc:creator><![CDATA[admin]]></dc:creator>
<content:encoded><![CDATA[<p>Hello</p>]]></content:encoded>
<excerpt:encoded><![CDATA[Short]]></excerpt:encoded>
<wp:post_name>hello-world</wp:post_name>
<wp:comment_status>open</wp:comment_status>
<wp:post_date_gmt>2012-01-05 14:30:46</wp:post_date_gmt>"#;
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    let entry = only_entry(&batch);

    assert_eq!(entry.kind, EntryKind::Entry);
    assert_eq!(entry.title, "Item 1");
    assert_eq!(entry.source_key, "wxr:http://example.org/?p=1");
    assert_eq!(entry.author.as_deref(), Some("admin"));
    assert_eq!(entry.body, "<p>Hello</p>");
    assert_eq!(entry.excerpt, "Short");
    assert_eq!(entry.basename.as_deref(), Some("hello-world"));
    assert_eq!(entry.status, Status::Published);
    assert_eq!(entry.text_filter, TextFilter::ConvertBreaks);
    assert!(entry.allow_comments);
    assert_eq!(entry.date, Some(ImportedDate::Utc(Utc.with_ymd_and_hms(2012, 1, 5, 14, 30, 46).unwrap())));
    assert_eq!(entry.position, Position { line: 9, record: 1 });
}

#[test]
fn parse_accepts_supported_versions() {
    for version in ["1.0", "1.1", "1.2", " 1.2\n"] {
        let text = HEADER.replace(">1.2<", &format!(">{version}<")) + FOOTER;
        assert!(parse(text.as_bytes()).is_ok(), "{version:?}");
    }
}

#[test]
fn parse_rejects_bad_version() {
    for version in ["abc", "1.3", "2.0", ""] {
        let text = HEADER.replace(">1.2<", &format!(">{version}<")) + FOOTER;
        match parse(text.as_bytes()) {
            Err(WxrError::UnsupportedVersion { version: found }) => assert_eq!(found, version),
            other => panic!("{version:?}: {other:?}"),
        }
    }
}

#[test]
fn parse_rejects_missing_version() {
    let text = HEADER.replace("<wp:wxr_version>1.2</wp:wxr_version>", "") + FOOTER;
    let error = parse(text.as_bytes()).unwrap_err();

    assert!(matches!(error, WxrError::NotWxr { .. }), "{error:?}");
    assert!(error.to_string().starts_with("not a WXR file"), "{error}");
}

#[test]
fn parse_rejects_other_root() {
    let error = parse(b"<feed><entry/></feed>").unwrap_err();
    assert!(matches!(error, WxrError::NotWxr { .. }), "{error:?}");
    assert!(error.to_string().contains("<feed>"), "{error}");
}

#[test]
fn parse_rejects_truncated_document() {
    let text = format!("{HEADER}<item>\n<title>Broken</title>\n");
    match parse(text.as_bytes()) {
        Err(WxrError::Malformed { line, offset, message }) => {
            assert_eq!(offset, text.len());
            assert_eq!(line, 11);
            assert!(message.contains("<item>"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_rejects_mismatched_tags() {
    let text = format!("{HEADER}<item><title>x</item></channel></rss>");
    match parse(text.as_bytes()) {
        Err(WxrError::Malformed { line, message, .. }) => {
            assert_eq!(line, 9);
            assert!(message.contains("title"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_rejects_empty_input() {
    assert!(matches!(parse(b""), Err(WxrError::Malformed { .. })));
}

#[test]
fn parse_rejects_invalid_utf8() {
    let text = document(&item(1, "post", "publish", "<content:encoded>caf\u{e9}</content:encoded>"));
    let bytes = text.replace('\u{e9}', "\u{0}").into_bytes();
    let bytes: Vec<u8> = bytes.into_iter().map(|byte| if byte == 0 { 0xE9 } else { byte }).collect();

    match parse(&bytes) {
        Err(WxrError::InvalidUtf8 { line, .. }) => assert_eq!(line, 14),
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_decodes_declared_latin1() {
    let text = document(&item(1, "post", "publish", "<content:encoded>caf\u{0}</content:encoded>"))
        .replace("UTF-8", "ISO-8859-1");
    let bytes: Vec<u8> = text.into_bytes().into_iter().map(|byte| if byte == 0 { 0xE9 } else { byte }).collect();

    let batch = parse(&bytes).unwrap();
    assert_eq!(only_entry(&batch).body, "caf\u{e9}");
}

#[test]
fn parse_skips_byte_order_mark() {
    let text = format!("\u{feff}{}", document(&item(1, "post", "publish", "")));
    assert_eq!(parse_ok(&text).entries.len(), 1);
}

#[test]
fn parse_reads_undeclared_excerpt_prefix() {
    let text = document(&item(1, "post", "publish", "<excerpt:encoded>Old excerpt</excerpt:encoded>"))
        .replace("xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\"", "");
    let batch = parse_ok(&text);

    assert_eq!(only_entry(&batch).excerpt, "Old excerpt");
    assert_eq!(batch.warnings.len(), 1);
    assert!(batch.warnings[0].reason.contains("`excerpt`"), "{}", batch.warnings[0].reason);
    assert_eq!(batch.warnings[0].position.record, 1);
}

#[test]
fn parse_matches_namespace_uri_not_prefix() {
    let extra = r#"<wp:post_name xmlns:wp="http://example.com/fake/">fake</wp:post_name>
<x:post_name xmlns:x="http://wordpress.org/export/1.1/">real</x:post_name>"#;
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    assert_eq!(only_entry(&batch).basename.as_deref(), Some("real"));
}

#[test]
fn parse_accepts_https_namespace() {
    let text = document(&item(1, "post", "publish", ""))
        .replace("http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.2/");
    assert_eq!(parse_ok(&text).entries.len(), 1);
}

#[test]
fn parse_concatenates_cdata_sections() {
    let extra = "<content:encoded>\n<![CDATA[one]]><![CDATA[two]]> &amp; <![CDATA[three]]>\n</content:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    assert_eq!(only_entry(&batch).body, "onetwo & three");
}

#[test]
fn parse_recovers_unescaped_cdata_end() {
    let extra = "<content:encoded><![CDATA[Nested <![CDATA[ tags ]]> :)]]></content:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));

    assert_eq!(only_entry(&batch).body, "Nested <![CDATA[ tags ]]> :)");
    assert_eq!(batch.warnings.len(), 1);
    assert!(batch.warnings[0].reason.contains("<content:encoded>"), "{}", batch.warnings[0].reason);
}

#[test]
fn parse_rejects_cdata_end_in_plain_text() {
    let extra = "<content:encoded>plain ]]> text</content:encoded>";
    let error = parse(document(&item(1, "post", "publish", extra)).as_bytes()).unwrap_err();
    assert!(matches!(error, WxrError::Malformed { .. }), "{error:?}");
}

#[test]
fn parse_resolves_references() {
    let extra = "<content:encoded>a &lt;b&gt; &#8217;c&#x2019; &quot;d&apos;</content:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    assert_eq!(only_entry(&batch).body, "a <b> \u{2019}c\u{2019} \"d'");
}

#[test]
fn parse_keeps_undefined_entity() {
    let extra = "<content:encoded>a&nbsp;b</content:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));

    assert_eq!(only_entry(&batch).body, "a&nbsp;b");
    assert_eq!(batch.warnings.len(), 1);
    assert!(batch.warnings[0].reason.contains("&nbsp;"), "{}", batch.warnings[0].reason);
}

#[test]
fn parse_keeps_content_exactly() {
    let extra =
        "<content:encoded><![CDATA[C:\\path \\\"quoted\\\" 'single'\r\n\r\n  second paragraph  ]]></content:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    assert_eq!(only_entry(&batch).body, "C:\\path \\\"quoted\\\" 'single'\n\n  second paragraph  ");
}

#[test]
fn parse_maps_statuses() {
    let cases = [
        ("publish", Status::Published),
        ("future", Status::Scheduled),
        ("draft", Status::Draft),
        ("pending", Status::Draft),
        ("private", Status::Draft),
        ("auto-draft", Status::Draft),
    ];
    for (status, expected) in cases {
        let batch = parse_ok(&document(&item(1, "post", status, "")));
        assert_eq!(only_entry(&batch).status, expected, "{status}");
        assert!(batch.warnings.is_empty(), "{status}");
    }
}

#[test]
fn parse_warns_on_unknown_status() {
    let batch = parse_ok(&document(&item(1, "post", "inherit", "")));
    assert_eq!(only_entry(&batch).status, Status::Draft);
    assert!(batch.warnings[0].reason.contains("\"inherit\""), "{}", batch.warnings[0].reason);

    let text = document(&item(1, "post", "", "")).replace("<wp:status></wp:status>", "");
    let batch = parse_ok(&text);
    assert_eq!(only_entry(&batch).status, Status::Draft);
    assert!(batch.warnings[0].reason.contains("no wp:status"), "{}", batch.warnings[0].reason);
}

#[test]
fn parse_skips_trash() {
    let channel = item(1, "post", "trash", "") + &item(2, "post", "publish", "");
    let batch = parse_ok(&document(&channel));

    assert_eq!(batch.skipped.len(), 1);
    assert_eq!(batch.skipped[0].position.record, 1);
    assert!(batch.skipped[0].reason.contains("trash"), "{}", batch.skipped[0].reason);
    assert_eq!(only_entry(&batch).title, "Item 2");
}

#[test]
fn parse_makes_protected_post_a_draft() {
    let batch = parse_ok(&document(&item(1, "post", "publish", "<wp:post_password>secret</wp:post_password>")));

    assert_eq!(only_entry(&batch).status, Status::Draft);
    assert_eq!(batch.warnings.len(), 1);
    assert!(batch.warnings[0].reason.contains("password"), "{}", batch.warnings[0].reason);
}

#[test]
fn parse_reads_old_draft_type() {
    let batch = parse_ok(&document(&item(1, "draft", "publish", "")));
    let entry = only_entry(&batch);

    assert_eq!(entry.kind, EntryKind::Entry);
    assert_eq!(entry.status, Status::Draft);
}

#[test]
fn parse_reads_pages_and_parents() {
    let parent = item(10, "page", "publish", "<guid>http://example.org/?page_id=10</guid>");
    let child = item(11, "page", "publish", "<wp:post_parent>10</wp:post_parent>");
    let orphan = item(12, "page", "publish", "<wp:post_parent>99</wp:post_parent>");
    let post = item(13, "post", "publish", "<wp:post_parent>10</wp:post_parent>");
    let batch = parse_ok(&document(&(parent + &child + &orphan + &post)));

    assert_eq!(batch.entries.len(), 4);
    assert_eq!(batch.entries[0].kind, EntryKind::Page);
    assert_eq!(batch.entries[0].parent_key, None);
    assert_eq!(batch.entries[1].source_key, "wxr-id:11");
    assert_eq!(batch.entries[1].parent_key.as_deref(), Some("wxr:http://example.org/?page_id=10"));
    assert_eq!(batch.entries[2].parent_key.as_deref(), Some("wxr-id:99"));
    assert_eq!(batch.entries[3].parent_key, None);
}

#[test]
fn parse_reads_attachments_as_assets() {
    let post = item(1, "post", "publish", "");
    let attachment = item(
        2,
        "attachment",
        "inherit",
        "<wp:post_parent>1</wp:post_parent>\n<wp:attachment_url>http://example.org/a.jpg</wp:attachment_url>",
    );
    let missing_url = item(3, "attachment", "inherit", "");
    let batch = parse_ok(&document(&(post + &attachment + &missing_url)));

    assert_eq!(batch.entries.len(), 1);
    assert_eq!(batch.assets.len(), 1);
    assert_eq!(batch.assets[0].url, "http://example.org/a.jpg");
    assert_eq!(batch.assets[0].title, "Item 2");
    assert_eq!(batch.assets[0].source_key, "wxr-id:2");
    assert_eq!(batch.assets[0].parent_key.as_deref(), Some("wxr-id:1"));
    assert_eq!(batch.assets[0].position.record, 2);
    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].reason.contains("attachment_url"), "{}", batch.skipped[0].reason);
}

#[test]
fn parse_skips_other_post_types() {
    let channel = item(1, "nav_menu_item", "publish", "") + &item(2, "revision", "inherit", "");
    let batch = parse_ok(&document(&channel));

    assert!(batch.entries.is_empty());
    assert_eq!(batch.skipped.len(), 2);
    assert!(batch.skipped[0].reason.contains("\"nav_menu_item\""), "{}", batch.skipped[0].reason);
    assert!(batch.skipped[1].reason.contains("\"revision\""), "{}", batch.skipped[1].reason);
}

#[test]
fn parse_defaults_missing_fields() {
    let batch = parse_ok(&document("<item><wp:post_id>7</wp:post_id><wp:status>publish</wp:status></item>"));
    let entry = only_entry(&batch);

    assert_eq!(entry.kind, EntryKind::Entry);
    assert_eq!(entry.title, "");
    assert_eq!(entry.body, "");
    assert_eq!(entry.basename, None);
    assert_eq!(entry.date, None);
    assert_eq!(entry.author, None);
    assert!(!entry.allow_comments);
}

#[test]
fn parse_skips_item_without_key() {
    let batch = parse_ok(&document("<item><title>Anonymous</title></item>"));
    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].reason.contains("guid"), "{}", batch.skipped[0].reason);
}

#[test]
fn parse_skips_bad_date_and_continues() {
    let bad = item(1, "post", "publish", "<wp:post_date_gmt>2012-13-45 99:00:00</wp:post_date_gmt>");
    let good = item(2, "post", "publish", "<wp:post_date>2012-01-05 09:30:46</wp:post_date>");
    let batch = parse_ok(&document(&(bad + &good)));

    assert_eq!(batch.skipped.len(), 1);
    assert_eq!(batch.skipped[0].position, Position { line: 9, record: 1 });
    assert!(batch.skipped[0].reason.contains("2012-13-45 99:00:00"), "{}", batch.skipped[0].reason);

    let expected = NaiveDate::from_ymd_opt(2012, 1, 5).unwrap().and_hms_opt(9, 30, 46).unwrap();
    assert_eq!(only_entry(&batch).date, Some(ImportedDate::Local(expected)));
}

const CATEGORIES: &str = r#"<wp:category><wp:category_nicename>news</wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[News]]></wp:cat_name><wp:category_description>All news</wp:category_description></wp:category>
<wp:category><wp:category_nicename>local</wp:category_nicename><wp:category_parent>news</wp:category_parent><wp:cat_name><![CDATA[Local]]></wp:cat_name></wp:category>
<wp:term><wp:term_taxonomy>category</wp:term_taxonomy><wp:term_slug>local</wp:term_slug><wp:term_name>Duplicate</wp:term_name></wp:term>
<wp:term><wp:term_taxonomy>category</wp:term_taxonomy><wp:term_slug>sport</wp:term_slug><wp:term_name>Sport</wp:term_name><wp:term_parent>local</wp:term_parent></wp:term>
<wp:term><wp:term_taxonomy>post_tag</wp:term_taxonomy><wp:term_slug>tagged</wp:term_slug><wp:term_name>Tagged</wp:term_name></wp:term>
"#;

#[test]
fn parse_resolves_category_paths() {
    let batch = parse_ok(&document(CATEGORIES));
    let paths: Vec<Vec<String>> = batch.categories.iter().map(|category| category.path.clone()).collect();

    assert_eq!(paths, vec![vec!["News"], vec!["News", "Local"], vec!["News", "Local", "Sport"]]);
    assert_eq!(batch.categories[0].basename.as_deref(), Some("news"));
    assert_eq!(batch.categories[0].description, "All news");
    assert!(batch.warnings.is_empty());
}

#[test]
fn parse_reads_item_categories_and_tags() {
    let extra = r#"<category><![CDATA[Local]]></category>
<category domain="category" nicename="local"><![CDATA[Local]]></category>
<category domain="category" nicename="unknown"><![CDATA[Elsewhere]]></category>
<category domain="post_tag" nicename="t"><![CDATA[Tag One]]></category>
<category domain="tag"><![CDATA[Tag One]]></category>
<category domain="post_format" nicename="post-format-aside"><![CDATA[Aside]]></category>"#;
    let batch = parse_ok(&document(&(CATEGORIES.to_string() + &item(1, "post", "publish", extra))));
    let entry = only_entry(&batch);

    assert_eq!(entry.categories, vec![vec!["News".to_string(), "Local".to_string()], vec!["Elsewhere".to_string()]]);
    assert_eq!(entry.tags, vec!["Tag One"]);
}

#[test]
fn parse_warns_on_missing_and_looping_parents() {
    let channel = r#"<wp:category><wp:category_nicename>a</wp:category_nicename><wp:category_parent>gone</wp:category_parent><wp:cat_name>A</wp:cat_name></wp:category>
<wp:category><wp:category_nicename>b</wp:category_nicename><wp:category_parent>c</wp:category_parent><wp:cat_name>B</wp:cat_name></wp:category>
<wp:category><wp:category_nicename>c</wp:category_nicename><wp:category_parent>b</wp:category_parent><wp:cat_name>C</wp:cat_name></wp:category>
"#;
    let batch = parse_ok(&document(channel));

    assert_eq!(batch.categories[0].path, vec!["A"]);
    assert_eq!(batch.categories[1].path, vec!["C", "B"]);
    assert_eq!(batch.categories[2].path, vec!["B", "C"]);
    assert_eq!(batch.warnings.len(), 3, "{:#?}", batch.warnings);
    assert!(batch.warnings[0].reason.contains("\"gone\""), "{}", batch.warnings[0].reason);
    assert_eq!(batch.warnings[0].position, Position { line: 9, record: 0 });
}

#[test]
fn parse_reads_authors() {
    let channel = "<wp:author><wp:author_login>alice\n</wp:author_login><wp:author_email> a@example.com </wp:author_email>\
                   <wp:author_display_name><![CDATA[Alice A.]]></wp:author_display_name></wp:author>\n\
                   <wp:author><wp:author_login>bob</wp:author_login></wp:author>\n\
                   <wp:author><wp:author_login>alice</wp:author_login></wp:author>\n\
                   <wp:author><wp:author_email>nobody@example.com</wp:author_email></wp:author>\n";
    let batch = parse_ok(&document(channel));

    assert_eq!(batch.authors.len(), 2);
    assert_eq!(batch.authors[0].name, "alice");
    assert_eq!(batch.authors[0].display_name, "Alice A.");
    assert_eq!(batch.authors[0].email, "a@example.com");
    assert_eq!(batch.authors[1].display_name, "bob");
    assert_eq!(batch.warnings.len(), 1);
}

#[test]
fn parse_reads_comments() {
    let extra = r#"<wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_author><![CDATA[Ann]]></wp:comment_author>
<wp:comment_author_email>ann@example.com</wp:comment_author_email><wp:comment_author_url>http://ann.example/</wp:comment_author_url>
<wp:comment_author_IP>10.0.0.1</wp:comment_author_IP><wp:comment_date>2012-01-05 09:00:00</wp:comment_date>
<wp:comment_date_gmt>2012-01-05 14:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[Nice

post]]></wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type><wp:comment_parent>0</wp:comment_parent></wp:comment>
<wp:comment><wp:comment_id>6</wp:comment_id><wp:comment_approved>spam</wp:comment_approved><wp:comment_type>pingback</wp:comment_type>
<wp:comment_parent>5</wp:comment_parent><wp:comment_date>2012-01-06 10:00:00</wp:comment_date></wp:comment>
<wp:comment><wp:comment_id>7</wp:comment_id><wp:comment_type>trackback</wp:comment_type><wp:comment_approved>0</wp:comment_approved></wp:comment>
<wp:comment><wp:comment_id>8</wp:comment_id><wp:comment_type>review</wp:comment_type></wp:comment>"#;
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    let comments = &only_entry(&batch).comments;
    assert_eq!(comments.len(), 3);

    assert_eq!(comments[0].kind, CommentKind::Comment);
    assert_eq!(comments[0].author, "Ann");
    assert_eq!(comments[0].email, "ann@example.com");
    assert_eq!(comments[0].url, "http://ann.example/");
    assert_eq!(comments[0].ip, "10.0.0.1");
    assert_eq!(comments[0].body, "Nice\n\npost");
    assert!(comments[0].approved);
    assert_eq!(comments[0].date, Some(ImportedDate::Utc(Utc.with_ymd_and_hms(2012, 1, 5, 14, 0, 0).unwrap())));
    assert_eq!(comments[0].source_key.as_deref(), Some("5"));
    assert_eq!(comments[0].parent_key, None);

    assert_eq!(comments[1].kind, CommentKind::Pingback);
    assert!(!comments[1].approved);
    assert_eq!(comments[1].parent_key.as_deref(), Some("5"));
    assert!(matches!(comments[1].date, Some(ImportedDate::Local(_))));

    assert_eq!(comments[2].kind, CommentKind::Trackback);
    assert_eq!(comments[2].date, None);

    assert_eq!(batch.warnings.len(), 1);
    assert!(batch.warnings[0].reason.contains("\"review\""), "{}", batch.warnings[0].reason);
}

#[test]
fn parse_uses_html_for_block_content() {
    let extra =
        "<content:encoded><![CDATA[<!-- wp:paragraph -->\n<p>Block</p>\n<!-- /wp:paragraph -->]]></content:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    assert_eq!(only_entry(&batch).text_filter, TextFilter::None);
}

#[test]
fn parse_numbers_repeated_guids() {
    let channel = item(1, "post", "publish", "<guid>same</guid>") + &item(2, "post", "publish", "<guid>same</guid>");
    let batch = parse_ok(&document(&channel));

    assert_eq!(batch.entries[0].source_key, "wxr:same");
    assert_eq!(batch.entries[1].source_key, "wxr:same:2");
}

#[test]
fn parse_drops_cdata_indentation() {
    let extra = "<content:encoded>\n    <![CDATA[first]]> <![CDATA[second]]>\n  </content:encoded>\n\
                 <excerpt:encoded>  spaced text  </excerpt:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    let entry = only_entry(&batch);

    assert_eq!(entry.body, "first second");
    assert_eq!(entry.excerpt, "  spaced text  ");
}

#[test]
fn parse_keeps_space_references() {
    let extra = "<content:encoded>&#32;<![CDATA[x]]>&#10;</content:encoded>";
    let batch = parse_ok(&document(&item(1, "post", "publish", extra)));
    assert_eq!(only_entry(&batch).body, " x\n");
}
