//! Detection of JPEG files that end before their end-of-image marker.
//!
//! The `image` crate 0.25.9 (through zune-jpeg in non-strict mode) decodes a truncated
//! progressive JPEG without an error, and the missing part comes out as noise. A
//! thumbnail of such a file looks broken, so it is rejected instead.

const MARKER_PREFIX: u8 = 0xFF;
const STUFFED_ZERO: u8 = 0x00;
const START_OF_IMAGE: u8 = 0xD8;
const END_OF_IMAGE: u8 = 0xD9;
const TEMPORARY: u8 = 0x01;
const RESTART_FIRST: u8 = 0xD0;
const RESTART_LAST: u8 = 0xD7;

/// Checks that a JPEG stream reaches its end-of-image (EOI) marker.
///
/// Walks the marker segments from the start-of-image marker. It skips each segment by
/// its declared length, so markers inside EXIF thumbnails are never mistaken for the
/// main image's. Entropy-coded data after each start-of-scan is skipped up to the next
/// marker. Returns a message for the error when the data ends first.
///
/// A file that stops after its last scan without EOI is rejected too, because it cannot
/// be distinguished from a truncated one. Bytes after EOI are ignored.
pub(crate) fn check_jpeg_complete(bytes: &[u8]) -> Result<(), &'static str> {
    if !bytes.starts_with(&[MARKER_PREFIX, START_OF_IMAGE]) {
        return Err("missing start-of-image marker");
    }

    let truncated = "data ends before the end-of-image marker (the file is truncated)";
    let mut position = 2;
    loop {
        let (code, after_code) = next_marker(bytes, position).ok_or(truncated)?;
        if code == END_OF_IMAGE {
            return Ok(());
        }

        if code == TEMPORARY || (RESTART_FIRST..=RESTART_LAST).contains(&code) {
            position = after_code;
            continue;
        }

        let length_bytes = bytes.get(after_code..after_code + 2).ok_or(truncated)?;
        let length = usize::from(u16::from_be_bytes([length_bytes[0], length_bytes[1]]));
        if length < 2 {
            return Err("invalid marker segment length");
        }

        position = after_code + length;
        if position > bytes.len() {
            return Err(truncated);
        }
    }
}

/// Finds the next marker at or after `position` and returns its code and the position
/// after the code.
///
/// Skips bytes that are not markers: entropy-coded data, stuffed `FF 00` pairs and `FF`
/// fill bytes. Returns `None` when the data ends first.
fn next_marker(bytes: &[u8], mut position: usize) -> Option<(u8, usize)> {
    loop {
        let prefix = position + bytes.get(position..)?.iter().position(|&b| b == MARKER_PREFIX)?;

        let mut code_position = prefix + 1;
        while *bytes.get(code_position)? == MARKER_PREFIX {
            code_position += 1;
        }

        let code = bytes[code_position];
        if code != STUFFED_ZERO {
            return Some((code, code_position + 1));
        }
        position = code_position + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP1 segment whose payload contains an EOI marker, SOS with two bytes of
    /// entropy data including a stuffed `FF 00` and a restart marker.
    const PREFIX: &[u8] = &[
        0xFF, 0xD8, // SOI
        0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0xAA, 0xBB, // APP1, length 6, payload with FF D9
        0xFF, 0xDA, 0x00, 0x03, 0x01, // SOS, length 3
        0x12, 0xFF, 0x00, 0x34, // entropy data with a stuffed zero
        0xFF, 0xD0, 0x56, // RST0 and more entropy data
    ];

    #[test]
    fn complete_stream_accepted() {
        let mut bytes = PREFIX.to_vec();
        bytes.extend_from_slice(&[0xFF, 0xD9]);

        assert_eq!(check_jpeg_complete(&bytes), Ok(()));
    }

    #[test]
    fn trailing_bytes_after_end_ignored() {
        let mut bytes = PREFIX.to_vec();
        bytes.extend_from_slice(&[0xFF, 0xD9, 0x00, 0x11, 0x22]);

        assert_eq!(check_jpeg_complete(&bytes), Ok(()));
    }

    #[test]
    fn end_marker_inside_segment_ignored() {
        // Cut inside the entropy data: the FF D9 in the APP1 payload must not count.
        assert!(check_jpeg_complete(PREFIX).is_err());
    }

    #[test]
    fn every_prefix_rejected() {
        let mut bytes = PREFIX.to_vec();
        bytes.extend_from_slice(&[0xFF, 0xD9]);

        for end in 0..bytes.len() {
            assert!(check_jpeg_complete(&bytes[..end]).is_err(), "prefix of {end} bytes");
        }
    }

    #[test]
    fn fill_bytes_before_marker_skipped() {
        let mut bytes = PREFIX.to_vec();
        bytes.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xD9]);

        assert_eq!(check_jpeg_complete(&bytes), Ok(()));
    }

    #[test]
    fn zero_segment_length_rejected() {
        let bytes = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xD9];

        assert_eq!(check_jpeg_complete(&bytes), Err("invalid marker segment length"));
    }
}
