//! Parser for WordPress eXtended RSS (WXR) 1.0 to 1.2.
//!
//! A WXR file is an RSS 2.0 feed whose `<channel>` carries `wp:` elements:
//! `wp:wxr_version`, authors, categories, and one `<item>` per post, page or
//! attachment. The parser reads the whole document into a tree first (see
//! [`tree`]), so malformed XML rejects the file before anything is imported.

mod channel;
mod dates;
mod item;
mod tree;

use std::borrow::Cow;

use tree::{Element, Ns};

use super::source::ImportBatch;

/// The `wp:wxr_version` values this parser reads.
const SUPPORTED_VERSIONS: [&str; 3] = ["1.0", "1.1", "1.2"];

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Errors that make a whole WXR file unusable.
#[derive(Debug, thiserror::Error)]
pub enum WxrError {
    /// The file is XML but not a WordPress export.
    #[error("not a WXR file: {detail}")]
    NotWxr { detail: String },
    #[error("unsupported WXR version {version:?}: pressrun reads versions 1.0, 1.1 and 1.2")]
    UnsupportedVersion { version: String },
    /// The file is not well-formed XML. `offset` counts bytes from the start
    /// of the file, after any byte order mark.
    #[error("malformed XML at line {line} (byte offset {offset}): {message}")]
    Malformed { line: usize, offset: usize, message: String },
    #[error("invalid UTF-8 at line {line} (byte offset {offset}): save the file as UTF-8 or declare its encoding")]
    InvalidUtf8 { line: usize, offset: usize },
    #[error("unsupported encoding {encoding:?} in the XML declaration")]
    UnsupportedEncoding { encoding: String },
    #[error("the file is not valid {encoding} text, although its XML declaration names {encoding}")]
    InvalidText { encoding: String },
}

/// Parses a WXR file.
///
/// Posts and pages become entries, attachments become assets, and items of
/// any other post type go to [`ImportBatch::skipped`] with the reason. An
/// item whose data is unusable, such as an invalid date, is skipped with its
/// position while the other items are read. Channel categories become
/// [`ImportBatch::categories`] with their full label paths, and `wp:author`
/// records become [`ImportBatch::authors`].
///
/// # Errors
///
/// Returns a [`WxrError`], and imports nothing, when the file is not
/// well-formed XML, has no `<rss><channel>` with a `wp:wxr_version`, or has a
/// version other than 1.0, 1.1 or 1.2.
pub fn parse(bytes: &[u8]) -> Result<ImportBatch, WxrError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = decode(bytes)?;
    let document = tree::read_document(&text)?;

    let channel = find_channel(&document.root)?;
    check_version(channel)?;

    let mut batch = ImportBatch { warnings: document.warnings, ..ImportBatch::default() };
    batch.authors = channel::read_authors(channel, &mut batch.warnings);
    let categories = channel::CategoryTable::read(channel, &mut batch.warnings);
    item::read_items(channel, &categories, &mut batch);
    batch.categories = categories.into_imported();
    Ok(batch)
}

/// Decodes the file as UTF-8, or as the encoding its XML declaration names.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, WxrError> {
    let declared = declared_encoding(bytes);
    let encoding = match declared {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
            .ok_or_else(|| WxrError::UnsupportedEncoding { encoding: label.clone() })?,
    };

    // UTF-16 labels end up here too: the declaration was found as ASCII
    // bytes, so the file cannot be UTF-16 whatever it declares.
    if encoding.output_encoding() == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|error| {
            let offset = error.valid_up_to();
            let line = 1 + bytes[..offset].iter().filter(|&&byte| byte == b'\n').count();
            WxrError::InvalidUtf8 { line, offset }
        });
    }

    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(WxrError::InvalidText { encoding: encoding.name().to_string() });
    }
    Ok(text)
}

/// Reads `encoding="…"` from an XML declaration at the start of the file.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(256))?;
    let head = String::from_utf8_lossy(head);
    let declaration = head.strip_prefix("<?xml")?.split("?>").next()?;

    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|&c| c == '"' || c == '\'')?;
    let value = after[1..].split(quote).next()?;
    Some(value.to_string())
}

fn find_channel(root: &Element) -> Result<&Element, WxrError> {
    if root.ns != Ns::Rss || root.name != "rss" {
        return Err(WxrError::NotWxr { detail: format!("the root element is <{}>, not <rss>", root.name) });
    }
    root.child(Ns::Rss, "channel").ok_or_else(|| WxrError::NotWxr { detail: "<rss> has no <channel> element".into() })
}

fn check_version(channel: &Element) -> Result<(), WxrError> {
    let Some(version) = channel.child_text(Ns::Wp, "wxr_version") else {
        return Err(WxrError::NotWxr { detail: "the channel has no wp:wxr_version element".into() });
    };
    let version = version.trim();
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Err(WxrError::UnsupportedVersion { version: version.to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
