//! Text filters that turn an entry's stored text into HTML, and helpers for
//! plain-text excerpts.

use pulldown_cmark::{Options, Parser, html};

use crate::model::TextFilter;

/// Block-level tags that "convert line breaks" leaves unwrapped when a
/// paragraph starts with one.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "div",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "iframe",
    "ol",
    "p",
    "pre",
    "script",
    "section",
    "style",
    "table",
    "ul",
    "!--",
];

/// Applies a text filter.
pub fn to_html(text: &str, filter: TextFilter) -> String {
    match filter {
        TextFilter::None => text.to_string(),
        TextFilter::ConvertBreaks => convert_breaks(text),
        TextFilter::Markdown => markdown(text),
    }
}

/// Movable Type's "convert line breaks": blank lines separate paragraphs,
/// each wrapped in `<p>` unless it starts with a block-level tag, and
/// single line breaks inside a paragraph become `<br />`.
pub fn convert_breaks(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in normalized.split('\n') {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(paragraph_html(&current));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(paragraph_html(&current));
    }
    paragraphs.join("\n\n")
}

fn paragraph_html(lines: &[&str]) -> String {
    let first = lines[0].trim_start().to_ascii_lowercase();
    let starts_block = first.strip_prefix('<').is_some_and(|rest| {
        BLOCK_TAGS.iter().any(|tag| {
            rest.strip_prefix(tag)
                .is_some_and(|after| tag == &"!--" || after.starts_with(['>', ' ', '/', '\t']) || after.is_empty())
        })
    });
    if starts_block { lines.join("\n") } else { format!("<p>{}</p>", lines.join("<br />\n")) }
}

/// CommonMark with tables, strikethrough and footnotes. HTML in the source
/// is passed through, as the site's own authors wrote it.
pub fn markdown(text: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(text, options));
    out
}

/// Removes HTML tags and decodes the common entities, for excerpts and feeds.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The first `words` words of the text of `html`, with `...` when cut.
pub fn first_words(html: &str, words: usize) -> String {
    let text = strip_tags(html);
    let all: Vec<&str> = text.split_whitespace().collect();
    if all.len() <= words { all.join(" ") } else { format!("{}...", all[..words].join(" ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_breaks_wraps_paragraphs() {
        let html = convert_breaks("one\ntwo\r\n\r\n<div>block</div>\n\n\nthree");
        assert_eq!(html, "<p>one<br />\ntwo</p>\n\n<div>block</div>\n\n<p>three</p>");
    }

    #[test]
    fn convert_breaks_does_not_mistake_inline_tags() {
        assert_eq!(convert_breaks("<a href=x>link</a>"), "<p><a href=x>link</a></p>");
        assert_eq!(convert_breaks("<pre>x\ny</pre>"), "<pre>x\ny</pre>");
    }

    #[test]
    fn markdown_renders_tables() {
        let html = markdown("| a |\n|---|\n| b |\n");
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn excerpts_cut_on_words() {
        assert_eq!(first_words("<p>one <b>two</b> three</p>", 2), "one two...");
        assert_eq!(first_words("a &amp; b", 5), "a & b");
    }
}
