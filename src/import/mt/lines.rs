//! Lines of an MT export file, and the separator lines that split it into
//! entries and sections.
//!
//! Movable Type splits on every `--------` and `-----` line, so an entry whose
//! body contains such a line falls apart. Here a separator line counts only
//! when the lines after it fit a separator, and otherwise it is body text.

use std::borrow::Cow;

use super::Line;
use crate::import::source::{Position, Skipped};

const ENTRY_SEPARATOR: &[u8] = b"--------";
const SECTION_SEPARATOR: &[u8] = b"-----";

/// Header keys that mark the start of an entry after a `--------` line.
const ENTRY_HEADER_KEYS: &[&str] = &[
    "AUTHOR",
    "AUTHOR EMAIL",
    "TITLE",
    "BASENAME",
    "STATUS",
    "ALLOW COMMENTS",
    "ALLOW PINGS",
    "CONVERT BREAKS",
    "PRIMARY CATEGORY",
    "CATEGORY",
    "DATE",
    "TAGS",
    "NO ENTRY",
    "UNIQUE URL",
];

/// A multi-line section of an entry, named by the key line that starts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SectionKey {
    Body,
    ExtendedBody,
    Excerpt,
    Keywords,
    Comment,
    Ping,
}

/// One line of the file as bytes, without its line ending.
#[derive(Clone, Copy, Debug)]
pub(super) struct RawLine<'a> {
    /// 1-based line number.
    pub number: usize,
    pub bytes: &'a [u8],
}

impl AsRef<[u8]> for RawLine<'_> {
    fn as_ref(&self) -> &[u8] {
        self.bytes
    }
}

/// Splits bytes into lines at `\r\n`, `\n` or a lone `\r`. A line ending at
/// the end of the input does not start another, empty line.
pub(super) fn split_lines(bytes: &[u8]) -> Vec<RawLine<'_>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut index = 0;

    while index < bytes.len() {
        let ending_length = match bytes[index] {
            b'\n' => 1,
            b'\r' if bytes.get(index + 1) == Some(&b'\n') => 2,
            b'\r' => 1,
            _ => {
                index += 1;
                continue;
            }
        };
        lines.push(RawLine { number: lines.len() + 1, bytes: &bytes[start..index] });
        index += ending_length;
        start = index;
    }

    if start < bytes.len() {
        lines.push(RawLine { number: lines.len() + 1, bytes: &bytes[start..] });
    }
    lines
}

/// Splits the lines of a file into entries at each `--------` line that
/// [`is_entry_separator`] accepts. Leading blank lines are dropped from each
/// entry, and entries made only of blank lines are left out.
pub(super) fn split_entries<'a>(lines: &'a [RawLine<'a>]) -> Vec<&'a [RawLine<'a>]> {
    let mut entries = Vec::new();
    let mut start = 0;

    for index in 0..lines.len() {
        if is_entry_separator(lines, index) {
            entries.push(&lines[start..index]);
            start = index + 1;
        }
    }
    entries.push(&lines[start..]);

    entries
        .into_iter()
        .map(|entry| {
            let first = entry.iter().position(|line| !is_blank(line.bytes));
            &entry[first.unwrap_or(entry.len())..]
        })
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// Decodes an entry's lines as UTF-8, or as Windows-1252 when any line is not
/// valid UTF-8. In that case a warning names the first invalid line.
pub(super) fn decode_entry(entry: &[RawLine], position: Position, warnings: &mut Vec<Skipped>) -> Vec<Line> {
    let invalid = entry.iter().find(|line| std::str::from_utf8(line.bytes).is_err());

    if let Some(invalid) = invalid {
        warnings.push(Skipped {
            position,
            reason: format!(
                "entry is not valid UTF-8 (first invalid byte on line {}); read as Windows-1252",
                invalid.number
            ),
        });
    }

    entry
        .iter()
        .map(|line| {
            let text = match (invalid, std::str::from_utf8(line.bytes)) {
                (None, Ok(text)) => Cow::Borrowed(text),
                _ => encoding_rs::WINDOWS_1252.decode_without_bom_handling(line.bytes).0,
            };
            Line { number: line.number, text: text.into_owned() }
        })
        .collect()
}

/// Checks whether the `--------` line at `index` ends an entry: it does when only
/// blank lines follow it, or when the next non-blank line is a header line
/// with a known key, such as `TITLE: …`.
pub(super) fn is_entry_separator<T: AsRef<[u8]>>(lines: &[T], index: usize) -> bool {
    if lines[index].as_ref() != ENTRY_SEPARATOR {
        return false;
    }
    match next_non_blank(lines, index + 1) {
        None => true,
        Some(next) => is_entry_header_line(lines[next].as_ref()),
    }
}

/// Checks whether the `-----` line at `index` ends a section: it does when the next
/// non-blank line is a section key line such as `BODY:`, another `-----` line
/// that itself ends a section, or the end of the entry.
pub(super) fn is_section_separator<T: AsRef<[u8]>>(lines: &[T], index: usize) -> bool {
    let mut index = index;
    loop {
        if lines[index].as_ref() != SECTION_SEPARATOR {
            return false;
        }
        match next_non_blank(lines, index + 1) {
            None => return true,
            Some(next) if section_key(lines[next].as_ref()).is_some() => return true,
            Some(next) => index = next,
        }
    }
}

/// Reads a section key line: the key, a colon and nothing but trailing white
/// space (`COMMENT: ` is a key line).
pub(super) fn section_key(line: &[u8]) -> Option<SectionKey> {
    let key = match line.trim_ascii_end() {
        b"BODY:" => SectionKey::Body,
        b"EXTENDED BODY:" => SectionKey::ExtendedBody,
        b"EXCERPT:" => SectionKey::Excerpt,
        b"KEYWORDS:" => SectionKey::Keywords,
        b"COMMENT:" => SectionKey::Comment,
        b"PING:" => SectionKey::Ping,
        _ => return None,
    };
    Some(key)
}

/// Splits a `KEY: value` line into its trimmed key and value. Returns `None`
/// when the line has no colon or the key is empty.
pub(super) fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let key = key.trim();
    (!key.is_empty()).then_some((key, value.trim()))
}

pub(super) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn is_entry_header_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&byte| byte == b':') else {
        return false;
    };
    let key = line[..colon].trim_ascii();
    ENTRY_HEADER_KEYS.iter().any(|known| known.as_bytes() == key)
}

fn next_non_blank<T: AsRef<[u8]>>(lines: &[T], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&index| !is_blank(lines[index].as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(lines: &'a [RawLine<'a>]) -> Vec<&'a [u8]> {
        lines.iter().map(|line| line.bytes).collect()
    }

    #[test]
    fn split_lines_handles_every_ending() {
        let lines = split_lines(b"a\r\nb\rc\nd");
        assert_eq!(texts(&lines), vec![&b"a"[..], b"b", b"c", b"d"]);
        assert_eq!(lines[3].number, 4);
    }

    #[test]
    fn split_lines_keeps_blank_lines() {
        let lines = split_lines(b"a\r\n\r\n\rb\n");
        assert_eq!(texts(&lines), vec![&b"a"[..], b"", b"", b"b"]);
    }

    #[test]
    fn entry_separator_needs_header_after() {
        let lines = split_lines(b"--------\nTITLE: Next\n--------\nnot a header\n--------\n\n\n");
        assert!(is_entry_separator(&lines, 0));
        assert!(!is_entry_separator(&lines, 2));
        assert!(is_entry_separator(&lines, 4));
    }

    #[test]
    fn entry_separator_skips_blank_lines() {
        let lines = split_lines(b"--------\n\n  \nAUTHOR: x\n");
        assert!(is_entry_separator(&lines, 0));
    }

    #[test]
    fn entry_separator_rejects_unknown_key() {
        let lines = split_lines(b"--------\nNote: this is prose\n");
        assert!(!is_entry_separator(&lines, 0));
    }

    #[test]
    fn section_separator_needs_key_after() {
        let lines = split_lines(b"-----\nBODY:\n-----\ntext\n-----\n\nCOMMENT: \n");
        assert!(is_section_separator(&lines, 0));
        assert!(!is_section_separator(&lines, 2));
        assert!(is_section_separator(&lines, 4));
    }

    #[test]
    fn section_separator_follows_chain() {
        let lines = split_lines(b"-----\n\n\n-----\n");
        assert!(is_section_separator(&lines, 0));

        let lines = split_lines(b"-----\n-----\nprose\n");
        assert!(!is_section_separator(&lines, 0));
    }

    #[test]
    fn section_separator_at_end_of_entry() {
        let lines = split_lines(b"-----\n   \n");
        assert!(is_section_separator(&lines, 0));
    }

    #[test]
    fn split_entries_drops_blank_entries() {
        let lines = split_lines(b"\nTITLE: a\n--------\n\nTITLE: b\n--------\n\n");
        let entries = split_entries(&lines);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0][0].number, 2);
        assert_eq!(entries[1][0].number, 5);
    }

    #[test]
    fn split_key_value_trims() {
        assert_eq!(split_key_value("TITLE:  A title  "), Some(("TITLE", "A title")));
        assert_eq!(split_key_value("URL: http://x/"), Some(("URL", "http://x/")));
        assert_eq!(split_key_value("no colon"), None);
        assert_eq!(split_key_value(": value"), None);
    }
}
