//! Basenames: the file names, without extension, that entries publish under.
//!
//! A basename may contain `/` to nest its file in folders: Hatena Blog
//! exports basenames such as `2025/06/16/120000`. [`normalize`] cleans a
//! basename that an import source gave, [`from_title`] makes one from a title
//! as Movable Type's `dirify` does, and [`unique`] appends `_1`, `_2`, … when
//! a basename is taken.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Maximum length of a basename in bytes. It leaves room under the 255-byte
/// file name limit of common file systems for an extension and a `_N` suffix.
pub const MAX_BYTES: usize = 200;

/// Maximum length of a basename made by [`from_title`], in characters. 30 is
/// the default `basename_limit` of a Movable Type blog.
pub const TITLE_MAX_CHARS: usize = 30;

/// The basename [`from_title`] returns when a title has no usable characters.
pub const FALLBACK: &str = "entry";

/// A basename that cannot name a file, with the value as the source gave it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BasenameError {
    #[error("invalid basename {raw:?}: it is empty after cleaning")]
    Empty { raw: String },
    #[error("invalid basename {raw:?}: it contains an empty folder name (`//`)")]
    EmptyPart { raw: String },
    #[error("invalid basename {raw:?}: {part:?} cannot be a folder or file name")]
    DotPart { raw: String, part: String },
}

/// Normalizes a basename from an import source into one that names a file.
///
/// The steps, in order:
/// - percent-decodes once (`%E0%B8%AA` and `%e0%b8%aa` alike), but only when
///   the decoded bytes are valid UTF-8; otherwise the raw value is kept;
/// - composes to Unicode NFC and trims white space;
/// - strips one trailing `.html` or `.htm` (any case), because pressrun adds
///   the extension itself and would otherwise publish `name.html.html`;
/// - strips leading and trailing `/`;
/// - replaces control characters, NUL included, with `_`;
/// - truncates to [`MAX_BYTES`] on a character boundary.
///
/// `/` separates folders. A leading `-` is kept because it is a legal file
/// name and pressrun never passes basenames on a command line.
///
/// # Errors
///
/// Returns a [`BasenameError`] naming `raw` when the result is empty, has an
/// empty part (`a//b`) or has a part that is `.` or `..`.
pub fn normalize(raw: &str) -> Result<String, BasenameError> {
    let decoded = percent_decode_once(raw);
    let composed: String = decoded.nfc().collect();

    let stem = strip_html_extension(composed.trim()).trim();
    let stem = stem.trim_matches('/');
    let cleaned = replace_control_chars(stem);

    let truncated = truncate_to_bytes(&cleaned, MAX_BYTES).trim_end_matches('/');
    check_parts(raw, truncated)?;
    Ok(truncated.to_string())
}

/// Makes a basename from a title, like Movable Type's `dirify`.
///
/// HTML tags and entities are removed and the text is lowercased. ASCII
/// letters and digits are kept. Latin letters with diacritics become their
/// base letter (`é` → `e`), and a few letters without a decomposition are
/// spelled out (`ß` → `ss`, `æ` → `ae`). Letters and digits of other scripts,
/// such as Japanese or Thai, are kept in NFC with their combining marks.
/// Apostrophes are dropped so that `Frank's` gives `franks`. Every other run
/// of spaces or punctuation becomes one `_`.
///
/// The result has no leading or trailing `_` and at most [`TITLE_MAX_CHARS`]
/// characters. A title without usable characters gives [`FALLBACK`].
pub fn from_title(title: &str) -> String {
    let without_tags = remove_tags(title);
    let text = remove_entities(&without_tags);
    let composed: String = text.nfc().collect();

    let mut slug = String::new();
    let mut separator_pending = false;
    for c in composed.chars() {
        let previous = if separator_pending { None } else { slug.chars().next_back() };
        match dirify_char(c, previous) {
            Dirified::Text(text) => {
                if separator_pending && !slug.is_empty() {
                    slug.push('_');
                }
                separator_pending = false;
                slug.push_str(&text);
            }
            Dirified::Separator => separator_pending = true,
            Dirified::Removed => {}
        }
    }

    let truncated: String = slug.chars().take(TITLE_MAX_CHARS).collect();
    let trimmed = truncated.trim_end_matches('_');
    if trimmed.is_empty() { FALLBACK.to_string() } else { trimmed.to_string() }
}

/// Returns `base` when it is not taken, or else the first of `base_1`,
/// `base_2`, … that is not, as Movable Type numbers duplicate basenames.
///
/// The stem is shortened on a character boundary when the suffix would make
/// the result longer than [`MAX_BYTES`].
pub fn unique(base: &str, mut taken: impl FnMut(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }

    for number in 1_u64.. {
        let suffix = format!("_{number}");
        let stem = truncate_to_bytes(base, MAX_BYTES.saturating_sub(suffix.len()));
        let candidate = format!("{stem}{suffix}");
        if !taken(&candidate) {
            return candidate;
        }
    }
    unreachable!("every u64 suffix of {base:?} is taken")
}

fn percent_decode_once(raw: &str) -> Cow<'_, str> {
    if !raw.contains('%') {
        return Cow::Borrowed(raw);
    }
    percent_decode_str(raw).decode_utf8().unwrap_or(Cow::Borrowed(raw))
}

fn strip_html_extension(text: &str) -> &str {
    for extension in [".html", ".htm"] {
        let Some(split) = text.len().checked_sub(extension.len()) else {
            continue;
        };
        let suffix_matches = text.get(split..).is_some_and(|suffix| suffix.eq_ignore_ascii_case(extension));
        if suffix_matches {
            return &text[..split];
        }
    }
    text
}

fn replace_control_chars(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '_' } else { c }).collect()
}

/// Returns the longest prefix of `text` that fits in `max` bytes and ends on a
/// character boundary.
fn truncate_to_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn check_parts(raw: &str, basename: &str) -> Result<(), BasenameError> {
    if basename.is_empty() {
        return Err(BasenameError::Empty { raw: raw.to_string() });
    }
    for part in basename.split('/') {
        if part.is_empty() {
            return Err(BasenameError::EmptyPart { raw: raw.to_string() });
        }
        if part == "." || part == ".." {
            return Err(BasenameError::DotPart { raw: raw.to_string(), part: part.to_string() });
        }
    }
    Ok(())
}

/// Removes everything from `<` to the next `>`, as Movable Type's
/// `remove_html` does. A `<` without a closing `>` is kept.
fn remove_tags(text: &str) -> Cow<'_, str> {
    if !text.contains('<') {
        return Cow::Borrowed(text);
    }
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        output.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                output.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    output.push_str(rest);
    Cow::Owned(output)
}

/// Removes `&name;` and `&#123;` entities: an `&`, then characters without
/// white space, then `;`.
fn remove_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        output.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let name_end = after.find(|c: char| c == ';' || c.is_whitespace() || c == '&');
        match name_end {
            Some(end) if end > 0 && after[end..].starts_with(';') => rest = &after[end + 1..],
            _ => {
                output.push('&');
                rest = after;
            }
        }
    }
    output.push_str(rest);
    Cow::Owned(output)
}

/// The output of one title character in a basename.
enum Dirified {
    Text(Cow<'static, str>),
    Separator,
    Removed,
}

/// Maps one title character; `previous` is the last character written, or
/// `None` at the start or after a separator.
fn dirify_char(c: char, previous: Option<char>) -> Dirified {
    if c.is_ascii_alphanumeric() {
        return Dirified::Text(Cow::Owned(c.to_ascii_lowercase().to_string()));
    }
    if c == '\'' || c == '\u{2019}' {
        return Dirified::Removed;
    }
    if let Some(spelled) = spell_out_latin(c) {
        return Dirified::Text(Cow::Borrowed(spelled));
    }
    if let Some(base) = ascii_base_letter(c) {
        return Dirified::Text(Cow::Owned(base.to_ascii_lowercase().to_string()));
    }
    if is_combining_mark(c) {
        // A mark stays with a non-Latin letter before it, as Thai vowel and
        // tone marks do. After an ASCII letter or a separator it is dropped.
        return if previous.is_some_and(|letter| !letter.is_ascii()) {
            Dirified::Text(Cow::Owned(c.to_string()))
        } else {
            Dirified::Removed
        };
    }
    if c.is_alphanumeric() {
        return Dirified::Text(Cow::Owned(c.to_lowercase().collect()));
    }
    Dirified::Separator
}

/// Latin letters that have no canonical decomposition into an ASCII letter.
fn spell_out_latin(c: char) -> Option<&'static str> {
    let spelled = match c {
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ł' | 'Ł' => "l",
        'ı' => "i",
        _ => return None,
    };
    Some(spelled)
}

/// Finds the ASCII letter that a character decomposes to, when the rest of
/// its canonical decomposition is combining marks (`é` → `e`, `Å` → `A`).
fn ascii_base_letter(c: char) -> Option<char> {
    if c.is_ascii() {
        return None;
    }
    let mut parts = Vec::new();
    decompose_canonical(c, |part| parts.push(part));

    let (&base, marks) = parts.split_first()?;
    let only_marks = !marks.is_empty() && marks.iter().all(|&mark| is_combining_mark(mark));
    (base.is_ascii_alphabetic() && only_marks).then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THAI: &str = "สวัสดี";

    #[test]
    fn normalize_keeps_plain_basename() {
        assert_eq!(normalize("first_post").unwrap(), "first_post");
        assert_eq!(normalize("here-is-a-second-entry").unwrap(), "here-is-a-second-entry");
    }

    #[test]
    fn normalize_keeps_underscores_and_leading_dash() {
        assert_eq!(normalize("junk_faxes").unwrap(), "junk_faxes");
        assert_eq!(normalize("-draft").unwrap(), "-draft");
    }

    #[test]
    fn normalize_decodes_thai_in_either_hex_case() {
        let lower = "%e0%b8%aa%e0%b8%a7%e0%b8%b1%e0%b8%aa%e0%b8%94%e0%b8%b5";
        let upper = "%E0%B8%AA%E0%B8%A7%E0%B8%B1%E0%B8%AA%E0%B8%94%E0%B8%B5";
        assert_eq!(normalize(lower).unwrap(), THAI);
        assert_eq!(normalize(upper).unwrap(), THAI);
    }

    #[test]
    fn normalize_decodes_only_once() {
        assert_eq!(normalize("100%2525").unwrap(), "100%25");
    }

    #[test]
    fn normalize_keeps_raw_when_decoding_is_not_utf8() {
        assert_eq!(normalize("caf%E9").unwrap(), "caf%E9");
        assert_eq!(normalize("50%off").unwrap(), "50%off");
    }

    #[test]
    fn normalize_composes_nfd_input() {
        let decomposed = "cafe\u{301}";
        let normalized = normalize(decomposed).unwrap();
        assert_eq!(normalized, "caf\u{e9}");
        assert_eq!(normalized.chars().count(), 4);
    }

    #[test]
    fn normalize_keeps_nested_folders() {
        assert_eq!(normalize("2025/06/16/120000").unwrap(), "2025/06/16/120000");
        assert_eq!(normalize("/2025/06/16/120000/").unwrap(), "2025/06/16/120000");
    }

    #[test]
    fn normalize_strips_html_extension() {
        assert_eq!(normalize("first_post.html").unwrap(), "first_post");
        assert_eq!(normalize("archive/Index.HTM").unwrap(), "archive/Index");
        assert_eq!(normalize("notes.txt").unwrap(), "notes.txt");
    }

    #[test]
    fn normalize_trims_white_space() {
        assert_eq!(normalize("  spaced out \t").unwrap(), "spaced out");
        assert_eq!(normalize("trailing newline\n").unwrap(), "trailing newline");
    }

    #[test]
    fn normalize_replaces_control_characters() {
        assert_eq!(normalize("line\nbreak").unwrap(), "line_break");
        assert_eq!(normalize("nul\0byte").unwrap(), "nul_byte");
        assert_eq!(normalize("tab%09inside").unwrap(), "tab_inside");
    }

    #[test]
    fn normalize_rejects_dot_parts() {
        let error = normalize("../etc/passwd").unwrap_err();
        assert_eq!(error, BasenameError::DotPart { raw: "../etc/passwd".into(), part: "..".into() });
        assert!(error.to_string().contains("../etc/passwd"));
        assert!(matches!(normalize("a/./b"), Err(BasenameError::DotPart { .. })));
        assert!(matches!(normalize(".."), Err(BasenameError::DotPart { .. })));
    }

    #[test]
    fn normalize_rejects_empty_parts() {
        assert_eq!(normalize("a//b"), Err(BasenameError::EmptyPart { raw: "a//b".into() }));
    }

    #[test]
    fn normalize_rejects_empty_result() {
        for raw in ["", "   ", "/", ".html", "%20"] {
            assert_eq!(normalize(raw), Err(BasenameError::Empty { raw: raw.into() }), "{raw:?}");
        }
    }

    #[test]
    fn normalize_truncates_300_bytes_on_char_boundary() {
        let raw = "あ".repeat(100);
        assert_eq!(raw.len(), 300);

        let normalized = normalize(&raw).unwrap();
        assert!(normalized.len() <= MAX_BYTES);
        assert_eq!(normalized.len(), 198);
        assert_eq!(normalized, "あ".repeat(66));
    }

    #[test]
    fn normalize_truncates_ascii_to_max() {
        let normalized = normalize(&"a".repeat(300)).unwrap();
        assert_eq!(normalized.len(), MAX_BYTES);
    }

    #[test]
    fn from_title_lowercases_and_joins_words() {
        assert_eq!(from_title("First Post"), "first_post");
        assert_eq!(from_title("Home Wi-Fi"), "home_wi_fi");
        assert_eq!(from_title("  Hello,   World!  "), "hello_world");
    }

    #[test]
    fn from_title_drops_apostrophes() {
        assert_eq!(from_title("All about Frank's Files"), "all_about_franks_files");
        assert_eq!(from_title("Don\u{2019}t panic"), "dont_panic");
    }

    #[test]
    fn from_title_strips_tags_and_entities() {
        assert_eq!(from_title("<b>Bold</b> &amp; <i>brave</i>"), "bold_brave");
        assert_eq!(from_title("H<sub>2</sub>O"), "h2o");
        assert_eq!(from_title("Tom &#38; Jerry"), "tom_jerry");
        assert_eq!(from_title("a < b"), "a_b");
    }

    #[test]
    fn from_title_transliterates_latin() {
        assert_eq!(from_title("Café Crème"), "cafe_creme");
        assert_eq!(from_title("Straße"), "strasse");
        assert_eq!(from_title("Ærøskøbing"), "aeroskobing");
        assert_eq!(from_title("Ñandú"), "nandu");
    }

    #[test]
    fn from_title_keeps_japanese() {
        assert_eq!(from_title("今週のまとめ 2025年"), "今週のまとめ_2025年");
    }

    #[test]
    fn from_title_keeps_thai_marks() {
        assert_eq!(from_title(THAI), THAI);
        assert_eq!(from_title("สวัสดี ครับ"), "สวัสดี_ครับ");
    }

    #[test]
    fn from_title_composes_nfd_input() {
        let decomposed = "ค\u{0E48}ะ and e\u{301}t\u{301}e\u{301}";
        assert_eq!(from_title(decomposed), "ค\u{0E48}ะ_and_ete");
    }

    #[test]
    fn from_title_truncates_to_30_chars() {
        let title = "Comment Spam: Here it comes again, Sue's List of Crazy Items";
        let basename = from_title(title);
        assert_eq!(basename, "comment_spam_here_it_comes_aga");
        assert_eq!(basename.chars().count(), TITLE_MAX_CHARS);
    }

    #[test]
    fn from_title_trims_separator_after_truncation() {
        let basename = from_title("abcdefghijklmnopqrstuvwxyz123 and more");
        assert_eq!(basename, "abcdefghijklmnopqrstuvwxyz123");
    }

    #[test]
    fn from_title_falls_back_to_entry() {
        assert_eq!(from_title(""), FALLBACK);
        assert_eq!(from_title("!!! ???"), FALLBACK);
        assert_eq!(from_title("<br />"), FALLBACK);
    }

    #[test]
    fn from_title_replaces_newline() {
        assert_eq!(from_title("two\nlines"), "two_lines");
    }

    #[test]
    fn unique_returns_base_when_free() {
        assert_eq!(unique("post", |_| false), "post");
    }

    #[test]
    fn unique_numbers_like_movable_type() {
        let taken = ["post", "post_1", "post_2"];
        assert_eq!(unique("post", |name| taken.contains(&name)), "post_3");
        assert_eq!(unique("post", |name| name == "post"), "post_1");
    }

    #[test]
    fn unique_keeps_result_within_max_bytes() {
        let base = "é".repeat(100);
        let result = unique(&base, |name| name == base);
        assert!(result.len() <= MAX_BYTES);
        assert!(result.ends_with("_1"));
        assert_eq!(result, format!("{}_1", "é".repeat(99)));
    }
}
