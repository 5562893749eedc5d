//! MIME type detection from file content (magic bytes), never from the file name.

use super::image::ImageFormat;

/// The MIME type for content that matches no known signature.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// How many leading bytes the SVG check reads. The XML declaration, comments and a
/// DOCTYPE must end within them for `<svg` to be found.
const SVG_SNIFF_LENGTH: usize = 4096;

/// Returns the MIME type of `bytes`, judged from the content alone.
///
/// JPEG, PNG, GIF and WebP are recognised by the `image` crate's signatures, so the
/// result agrees with [`ImageFormat::from_content`]. SVG is recognised when its root
/// element is `<svg` (see [`is_svg`]). Everything else goes through the `infer` crate
/// (0.22), which recognises PDF, ZIP, MP4, WebM, MP3, AVIF, HEIF and many more. Unknown
/// content, including plain text, gives [`OCTET_STREAM`].
pub fn sniff_mime(bytes: &[u8]) -> &'static str {
    if let Some(format) = ImageFormat::from_content(bytes) {
        return format.mime();
    }
    if is_svg(bytes) {
        return "image/svg+xml";
    }
    infer::get(bytes).map_or(OCTET_STREAM, |kind| kind.mime_type())
}

/// Returns whether the content is an SVG document in UTF-8 or ASCII.
///
/// Skips a byte order mark, whitespace, the XML declaration and other processing
/// instructions, comments and a DOCTYPE. The first element must then be `svg`, and all
/// of this must fit in the first [`SVG_SNIFF_LENGTH`] bytes. UTF-16 files and an `svg`
/// element with a namespace prefix are not recognised.
pub fn is_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SVG_SNIFF_LENGTH)];
    let mut rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);

    loop {
        rest = rest.trim_ascii_start();
        let skipped = if rest.starts_with(b"<?") {
            skip_past(rest, b"?>")
        } else if rest.starts_with(b"<!--") {
            skip_past(rest, b"-->")
        } else if rest.starts_with(b"<!") {
            skip_doctype(rest)
        } else {
            return is_svg_start_tag(rest);
        };

        match skipped {
            Some(after) => rest = after,
            None => return false,
        }
    }
}

fn is_svg_start_tag(text: &[u8]) -> bool {
    let Some(after_name) = text.strip_prefix(b"<svg") else {
        return false;
    };
    matches!(after_name.first(), Some(b'>' | b'/') | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// Returns the text after the first occurrence of `end`.
fn skip_past<'a>(text: &'a [u8], end: &[u8]) -> Option<&'a [u8]> {
    let start = text.windows(end.len()).position(|window| window == end)?;
    Some(&text[start + end.len()..])
}

/// Skips a DOCTYPE, including an internal subset in square brackets.
fn skip_doctype(text: &[u8]) -> Option<&[u8]> {
    let close = text.iter().position(|&b| b == b'>')?;
    match text.iter().position(|&b| b == b'[') {
        Some(open) if open < close => skip_past(skip_past(&text[open..], b"]")?, b">"),
        _ => Some(&text[close + 1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_by_signature() {
        assert_eq!(sniff_mime(b"\xFF\xD8\xFF\xE0rest"), "image/jpeg");
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\nrest"), "image/png");
        assert_eq!(sniff_mime(b"GIF89a rest"), "image/gif");
        assert_eq!(sniff_mime(b"RIFF\x10\0\0\0WEBPVP8 "), "image/webp");
    }

    #[test]
    fn other_files_through_infer() {
        assert_eq!(sniff_mime(b"%PDF-1.7\n%rest"), "application/pdf");
        assert_eq!(sniff_mime(b"PK\x03\x04\x14\0\0\0\x08\0"), "application/zip");
        assert_eq!(sniff_mime(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"), "video/mp4");
    }

    #[test]
    fn unknown_content_is_octet_stream() {
        assert_eq!(sniff_mime(b""), OCTET_STREAM);
        assert_eq!(sniff_mime(b"just some text"), OCTET_STREAM);
    }

    #[test]
    fn svg_plain_root() {
        assert_eq!(sniff_mime(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
        assert!(is_svg(b"\xEF\xBB\xBF\n  <svg>"));
    }

    #[test]
    fn svg_after_prolog() {
        let document = b"<?xml version=\"1.0\"?>\n<!-- drawn by hand -->\n\
            <!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\" [ <!ENTITY a \"b>\"> ]>\n\
            <svg width=\"10\">";

        assert!(is_svg(document));
    }

    #[test]
    fn svg_lookalikes_rejected() {
        assert!(!is_svg(b"<svgfoo>"));
        assert!(!is_svg(b"<html><svg></svg></html>"));
        assert!(!is_svg(b"<!-- unterminated <svg>"));
        assert!(!is_svg(b"<?xml version=\"1.0\"?><feed>"));
    }
}
