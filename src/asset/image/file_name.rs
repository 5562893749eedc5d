//! File names for thumbnails.

/// Builds the thumbnail file name `<stem>-thumb-<width>x<height>.<ext>`, for example
/// `photo-thumb-120x80.jpg` for `photo.JPG`.
///
/// `original` is a file name. Anything up to its last `/` is dropped so the result is
/// always a bare name. The stem is the name without its last extension
/// (`archive.tar.gz` gives `archive.tar`) and is kept byte for byte. A name that starts
/// with its only dot (`.profile`) has no extension. An empty stem, `.` or `..` becomes
/// `image`. `ext` is given without the dot, and a leading dot is dropped. Characters of
/// `ext` other than ASCII letters and digits become `_` so it cannot add a path.
///
/// Two originals that differ only in extension and give the same output format, such as
/// `photo.jpg` and a JPEG named `photo.jpeg`, get the same name.
pub fn thumbnail_file_name(original: &str, width: u32, height: u32, ext: &str) -> String {
    let name = original.rsplit('/').next().unwrap_or(original);
    let stem = file_stem(name);
    let stem = if stem.is_empty() || stem == "." || stem == ".." { "image" } else { stem };

    let ext: String =
        ext.strip_prefix('.').unwrap_or(ext).chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();

    format!("{stem}-thumb-{width}x{height}.{ext}")
}

/// Returns the name without its last extension. A dot at the start does not begin one.
fn file_stem(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name != ".." => &name[..dot],
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_names() {
        assert_eq!(thumbnail_file_name("photo.jpg", 120, 80, "jpg"), "photo-thumb-120x80.jpg");
        assert_eq!(thumbnail_file_name("photo.JPG", 120, 80, "webp"), "photo-thumb-120x80.webp");
        assert_eq!(thumbnail_file_name("README", 1, 2, "png"), "README-thumb-1x2.png");
    }

    #[test]
    fn stem_kept_byte_for_byte() {
        assert_eq!(
            thumbnail_file_name("Ünïcode photo (1).tar.gz", 10, 20, "gif"),
            "Ünïcode photo (1).tar-thumb-10x20.gif"
        );
        assert_eq!(thumbnail_file_name("-rf.jpg", 1, 1, "jpg"), "-rf-thumb-1x1.jpg");
    }

    #[test]
    fn directories_dropped() {
        assert_eq!(thumbnail_file_name("a/b/../photo.png", 5, 5, "png"), "photo-thumb-5x5.png");
        assert_eq!(thumbnail_file_name("dir/", 5, 5, "png"), "image-thumb-5x5.png");
    }

    #[test]
    fn dot_names() {
        assert_eq!(thumbnail_file_name(".profile", 5, 5, "png"), ".profile-thumb-5x5.png");
        assert_eq!(thumbnail_file_name(".", 5, 5, "png"), "image-thumb-5x5.png");
        assert_eq!(thumbnail_file_name("..", 5, 5, "png"), "image-thumb-5x5.png");
        assert_eq!(thumbnail_file_name("", 5, 5, "png"), "image-thumb-5x5.png");
        assert_eq!(thumbnail_file_name("photo.", 5, 5, "png"), "photo-thumb-5x5.png");
    }

    #[test]
    fn extension_sanitised() {
        assert_eq!(thumbnail_file_name("a.jpg", 5, 5, ".jpg"), "a-thumb-5x5.jpg");
        assert_eq!(thumbnail_file_name("a.jpg", 5, 5, "x/../y"), "a-thumb-5x5.x____y");
    }
}
