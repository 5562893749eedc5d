//! Names and paths of uploaded files under the site root.
//!
//! An upload keeps its name byte for byte where that is safe: spaces,
//! wildcard characters, backticks, `%`, a leading `-`, a newline and either
//! Unicode normalization form all stay, since pressrun never passes a name
//! through a shell, a command line or a filter pattern. What changes: a
//! name that is not valid UTF-8 has each invalid byte replaced by `_`, a
//! leading `.` becomes `_` (no hidden files such as `.htaccess` on the web
//! servers), and a name ending in pressrun's temporary-file suffix gets `_`
//! appended. A taken name gets a numbered suffix before its extension.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::site_root::{RelPath, RelPathError, TEMP_SUFFIX};

/// The folder uploads go to when none is given.
pub const DEFAULT_FOLDER: &str = "assets";

/// Makes a file name safe to publish; see the module documentation.
pub fn safe_name(raw: &OsStr) -> String {
    let bytes = raw.as_bytes();
    let mut name = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        name.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            name.push('_');
        }
    }
    let mut name: String = name.chars().map(|c| if c == '/' || c == '\0' { '_' } else { c }).collect();
    if name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    if name.ends_with(TEMP_SUFFIX) {
        name.push('_');
    }
    if name.is_empty() { "upload".to_string() } else { name }
}

/// Checks an upload folder: a relative path whose parts are not hidden.
pub fn folder(raw: &str) -> Result<String, RelPathError> {
    let trimmed = raw.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let rel = RelPath::new(trimmed)?;
    if rel.as_str().split('/').any(|part| part.starts_with('.')) {
        return Err(RelPathError::BadPart(rel.to_string()));
    }
    Ok(rel.to_string())
}

/// Joins a folder and a name.
pub fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() { name.to_string() } else { format!("{folder}/{name}") }
}

/// `path`, or the first of `stem_1.ext`, `stem_2.ext`, … that is not taken.
pub fn unique_path(path: &str, mut taken: impl FnMut(&str) -> bool) -> String {
    if !taken(path) {
        return path.to_string();
    }
    let (dir, name) = path.rsplit_once('/').map_or(("", path), |(dir, name)| (dir, name));
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    (1u64..)
        .map(|n| join(dir, &format!("{stem}_{n}{extension}")))
        .find(|candidate| !taken(candidate))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_survive() {
        for name in [
            "photo[1].jpg",
            "a*b.png",
            "what?.gif",
            "back`tick.jpg",
            "100%.png",
            "two  spaces.jpg",
            "-dash-first.jpg",
            "line\nbreak.jpg",
            "cafe\u{301}.jpg",
        ] {
            assert_eq!(safe_name(OsStr::new(name)), name);
        }
    }

    #[test]
    fn unsafe_names_change() {
        assert_eq!(safe_name(OsStr::new(".htaccess")), "_htaccess");
        assert_eq!(safe_name(OsStr::from_bytes(b"caf\xe9.jpg")), "caf_.jpg");
        assert_eq!(safe_name(OsStr::new("x.pressrun-tmp")), "x.pressrun-tmp_");
    }

    #[test]
    fn folders_stay_inside() {
        assert_eq!(folder("/img/2024/").unwrap(), "img/2024");
        assert!(folder("../etc").is_err());
        assert!(folder("a/.git").is_err());
    }

    #[test]
    fn taken_paths_get_numbers() {
        let taken = ["assets/a.jpg", "assets/a_1.jpg"];
        assert_eq!(unique_path("assets/a.jpg", |p| taken.contains(&p)), "assets/a_2.jpg");
        assert_eq!(unique_path("README", |p| p == "README"), "README_1");
    }
}
