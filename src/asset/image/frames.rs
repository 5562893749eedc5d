//! Frame counts read from the container structure, without decoding any pixels.
//!
//! Each walker reads only block or chunk headers and skips payloads by their declared
//! length. It allocates nothing and stops at the first structural error.

use super::{ImageError, ImageFormat};

/// Counts the frames of an animation, or returns 1 for a still image.
///
/// For PNG the count is the `num_frames` field of the APNG `acTL` chunk. For WebP it is
/// the number of `ANMF` chunks. For GIF it is the number of images whose data is complete,
/// up to the trailer or to the first malformed block of a file cut short.
/// Returns an error for a GIF that contains no image at all.
pub(crate) fn count_frames(bytes: &[u8], format: ImageFormat) -> Result<u32, ImageError> {
    match format {
        ImageFormat::Jpeg => Ok(1),
        ImageFormat::Png => Ok(png_frame_count(bytes)),
        ImageFormat::WebP => Ok(webp_frame_count(bytes)),
        ImageFormat::Gif => match gif_frame_count(bytes) {
            0 => Err(ImageError::Corrupt { format, message: "the GIF contains no image".to_string() }),
            count => Ok(count),
        },
    }
}

fn read_u32_be(bytes: &[u8], position: usize) -> Option<u32> {
    let field = bytes.get(position..position.checked_add(4)?)?;
    Some(u32::from_be_bytes([field[0], field[1], field[2], field[3]]))
}

fn read_u32_le(bytes: &[u8], position: usize) -> Option<u32> {
    let field = bytes.get(position..position.checked_add(4)?)?;
    Some(u32::from_le_bytes([field[0], field[1], field[2], field[3]]))
}

/// Walks the chunks after the 8-byte signature until `acTL` or the first `IDAT`.
fn png_frame_count(bytes: &[u8]) -> u32 {
    let mut position = 8;
    while let (Some(length), Some(kind)) = (read_u32_be(bytes, position), bytes.get(position + 4..position + 8)) {
        if kind == b"acTL" {
            return read_u32_be(bytes, position + 8).unwrap_or(1).max(1);
        }
        if kind == b"IDAT" {
            break;
        }

        // Length field, type, data and CRC.
        position = position.saturating_add(12).saturating_add(length as usize);
    }
    1
}

/// Walks the RIFF chunks after the 12-byte `RIFF....WEBP` header and counts `ANMF`.
fn webp_frame_count(bytes: &[u8]) -> u32 {
    let mut frames = 0;
    let mut position = 12;
    while let (Some(kind), Some(size)) = (bytes.get(position..position + 4), read_u32_le(bytes, position + 4)) {
        if kind == b"ANMF" {
            frames += 1;
        }

        // Chunk payloads are padded to an even length.
        let padded = (size as usize).saturating_add(size as usize & 1);
        position = position.saturating_add(8).saturating_add(padded);
    }
    frames.max(1)
}

const GIF_EXTENSION: u8 = 0x21;
const GIF_IMAGE_DESCRIPTOR: u8 = 0x2C;
const GIF_TRAILER: u8 = 0x3B;
const GIF_HAS_COLOR_TABLE: u8 = 0x80;

/// Walks the blocks after the header and the global color table and counts the images
/// whose data sub-blocks are complete.
fn gif_frame_count(bytes: &[u8]) -> u32 {
    // Header (6 bytes) and logical screen descriptor (7 bytes).
    let Some(&screen_flags) = bytes.get(10) else {
        return 0;
    };
    let mut position = 13 + color_table_size(screen_flags);

    let mut frames = 0;
    loop {
        let is_image = match bytes.get(position) {
            Some(&GIF_EXTENSION) => {
                position += 2;
                false
            }
            Some(&GIF_IMAGE_DESCRIPTOR) => {
                let Some(&image_flags) = bytes.get(position + 9) else {
                    return frames;
                };
                // Descriptor (10 bytes), local color table, LZW minimum code size (1 byte).
                position += 10 + color_table_size(image_flags) + 1;
                true
            }
            Some(&GIF_TRAILER) => return frames,
            // A block type that is not defined, or the end of a file cut short.
            _ => return frames,
        };

        match skip_sub_blocks(bytes, position) {
            Some(next) => position = next,
            None => return frames,
        }
        if is_image {
            frames += 1;
        }
    }
}

fn color_table_size(flags: u8) -> usize {
    if flags & GIF_HAS_COLOR_TABLE == 0 {
        return 0;
    }
    3 << ((flags & 0x07) + 1)
}

/// Skips a sequence of data sub-blocks (length byte, data) ending with a zero length.
/// Returns the position after the terminator, or `None` when the data ends first.
fn skip_sub_blocks(bytes: &[u8], mut position: usize) -> Option<usize> {
    loop {
        let length = usize::from(*bytes.get(position)?);
        position += 1;
        if length == 0 {
            return Some(position);
        }
        position += length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a chunk with a zeroed CRC, which the walker does not check.
    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        chunk.extend_from_slice(&[0; 4]);
        chunk
    }

    fn png_with_chunks(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(b"IHDR", &[0; 13]));
        chunks.iter().for_each(|chunk| png.extend(chunk));
        png.extend(png_chunk(b"IDAT", &[0; 4]));
        png
    }

    #[test]
    fn apng_frame_count_from_actl() {
        let actl = png_chunk(b"acTL", &[0, 0, 0, 5, 0, 0, 0, 0]);
        let png = png_with_chunks(&[png_chunk(b"tEXt", b"a\0b"), actl]);

        assert_eq!(count_frames(&png, ImageFormat::Png).unwrap(), 5);
    }

    #[test]
    fn png_without_actl_is_still() {
        assert_eq!(png_frame_count(&png_with_chunks(&[])), 1);
    }

    #[test]
    fn png_actl_after_idat_ignored() {
        let mut png = png_with_chunks(&[]);
        png.extend(png_chunk(b"acTL", &[0, 0, 0, 5, 0, 0, 0, 0]));

        assert_eq!(png_frame_count(&png), 1);
    }

    fn riff_chunk(kind: &[u8; 4], size: u32) -> Vec<u8> {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&size.to_le_bytes());
        chunk.resize(8 + size as usize + (size as usize & 1), 0);
        chunk
    }

    #[test]
    fn webp_counts_anmf_with_padding() {
        let mut webp = b"RIFF\0\0\0\0WEBP".to_vec();
        webp.extend(riff_chunk(b"VP8X", 10));
        webp.extend(riff_chunk(b"ANIM", 6));
        webp.extend(riff_chunk(b"ANMF", 17));
        webp.extend(riff_chunk(b"ANMF", 3));
        webp.extend(riff_chunk(b"ANMF", 8));

        assert_eq!(webp_frame_count(&webp), 3);
    }

    #[test]
    fn webp_without_anmf_is_still() {
        let mut webp = b"RIFF\0\0\0\0WEBP".to_vec();
        webp.extend(riff_chunk(b"VP8 ", 9));

        assert_eq!(webp_frame_count(&webp), 1);
    }

    /// Builds a GIF with a 4-colour global table, then for each frame a graphic control
    /// extension and an image descriptor with a 2-colour local table.
    fn gif_with_frames(frames: usize) -> Vec<u8> {
        let mut gif = b"GIF89a\x02\x00\x02\x00\x81\x00\x00".to_vec();
        gif.extend_from_slice(&[0; 12]);
        for _ in 0..frames {
            gif.extend_from_slice(&[0x21, 0xF9, 4, 0, 0, 0, 0, 0]);
            gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0x80]);
            gif.extend_from_slice(&[0; 6]);
            gif.extend_from_slice(&[2, 2, 0x4C, 0x01, 0]);
        }
        gif.push(0x3B);
        gif
    }

    #[test]
    fn gif_counts_image_descriptors() {
        assert_eq!(count_frames(&gif_with_frames(1), ImageFormat::Gif).unwrap(), 1);
        assert_eq!(count_frames(&gif_with_frames(3), ImageFormat::Gif).unwrap(), 3);
    }

    #[test]
    fn gif_cut_short_counts_complete_frames() {
        let gif = gif_with_frames(3);

        // Cut inside the third frame's image data.
        assert_eq!(gif_frame_count(&gif[..gif.len() - 3]), 2);
    }

    #[test]
    fn gif_without_image_is_corrupt() {
        let result = count_frames(&gif_with_frames(0), ImageFormat::Gif);

        assert!(matches!(result, Err(ImageError::Corrupt { .. })), "got {result:?}");
    }
}
