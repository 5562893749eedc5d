//! Byte-for-byte comparison of two directory trees.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{Result, io_failed};

/// The maximum number of differences that `assert_trees_equal` lists in its panic message.
const MAX_LISTED_DIFFERENCES: usize = 50;

/// What a path in a tree is, with the data that the comparison looks at.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Directory,
    File(Vec<u8>),
    Symlink(PathBuf),
    /// A FIFO, socket or device, compared by kind only.
    Other,
}

impl Entry {
    fn kind(&self) -> &'static str {
        match self {
            Entry::Directory => "directory",
            Entry::File(_) => "file",
            Entry::Symlink(_) => "symlink",
            Entry::Other => "special file",
        }
    }
}

/// One way in which the actual tree differs from the expected one. Paths are relative to the
/// tree roots. `Display` prints them with Rust's debug escapes, so line breaks and bytes that
/// are not UTF-8 stay visible.
#[derive(Debug, PartialEq, Eq)]
pub enum TreeDifference {
    /// The path exists only in the expected tree.
    Missing { path: PathBuf, kind: &'static str },
    /// The path exists only in the actual tree.
    Extra { path: PathBuf, kind: &'static str },
    /// The path is, for example, a file in one tree and a directory in the other.
    KindDiffers { path: PathBuf, expected: &'static str, actual: &'static str },
    /// Both are files whose bytes differ, first at byte offset `first_difference`.
    ContentDiffers { path: PathBuf, expected_len: usize, actual_len: usize, first_difference: usize },
    /// Both are symlinks that point at different targets.
    LinkTargetDiffers { path: PathBuf, expected: PathBuf, actual: PathBuf },
}

impl fmt::Display for TreeDifference {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreeDifference::Missing { path, kind } => write!(formatter, "missing {kind} {path:?}"),
            TreeDifference::Extra { path, kind } => write!(formatter, "extra {kind} {path:?}"),
            TreeDifference::KindDiffers { path, expected, actual } => {
                write!(formatter, "{path:?} is a {actual}, expected a {expected}")
            }
            TreeDifference::ContentDiffers { path, expected_len, actual_len, first_difference } => write!(
                formatter,
                "{path:?} differs from byte {first_difference} (expected {expected_len} bytes, found {actual_len})"
            ),
            TreeDifference::LinkTargetDiffers { path, expected, actual } => {
                write!(formatter, "symlink {path:?} points to {actual:?}, expected {expected:?}")
            }
        }
    }
}

/// Compares the trees under `expected` and `actual`: which paths exist, what kind each is, the
/// bytes of files and the targets of symlinks (not followed). Permissions, owners and times are
/// ignored. Returns the differences sorted by path; an empty list means the trees are equal.
pub fn compare_trees(expected: &Path, actual: &Path) -> Result<Vec<TreeDifference>> {
    let expected_entries = read_tree(expected)?;
    let mut actual_entries = read_tree(actual)?;
    let mut differences = Vec::new();

    for (path, expected_entry) in expected_entries {
        let Some(actual_entry) = actual_entries.remove(&path) else {
            differences.push(TreeDifference::Missing { kind: expected_entry.kind(), path });
            continue;
        };
        if let Some(difference) = compare_entries(path, expected_entry, actual_entry) {
            differences.push(difference);
        }
    }

    for (path, actual_entry) in actual_entries {
        differences.push(TreeDifference::Extra { kind: actual_entry.kind(), path });
    }
    differences.sort_by(|a, b| difference_path(a).cmp(difference_path(b)));
    Ok(differences)
}

fn compare_entries(path: PathBuf, expected: Entry, actual: Entry) -> Option<TreeDifference> {
    match (expected, actual) {
        (Entry::File(expected), Entry::File(actual)) if expected != actual => {
            let first_difference =
                expected.iter().zip(&actual).position(|(a, b)| a != b).unwrap_or(expected.len().min(actual.len()));
            Some(TreeDifference::ContentDiffers {
                path,
                expected_len: expected.len(),
                actual_len: actual.len(),
                first_difference,
            })
        }
        (Entry::Symlink(expected), Entry::Symlink(actual)) if expected != actual => {
            Some(TreeDifference::LinkTargetDiffers { path, expected, actual })
        }
        (expected, actual) if expected.kind() != actual.kind() => {
            Some(TreeDifference::KindDiffers { path, expected: expected.kind(), actual: actual.kind() })
        }
        _ => None,
    }
}

fn difference_path(difference: &TreeDifference) -> &Path {
    match difference {
        TreeDifference::Missing { path, .. }
        | TreeDifference::Extra { path, .. }
        | TreeDifference::KindDiffers { path, .. }
        | TreeDifference::ContentDiffers { path, .. }
        | TreeDifference::LinkTargetDiffers { path, .. } => path,
    }
}

/// Panics unless the trees under `expected` and `actual` are equal as `compare_trees` defines
/// it. The message lists up to 50 missing, extra and different paths.
pub fn assert_trees_equal(expected: &Path, actual: &Path) {
    let differences = match compare_trees(expected, actual) {
        Ok(differences) => differences,
        Err(error) => panic!("could not compare {} with {}: {error}", expected.display(), actual.display()),
    };
    if differences.is_empty() {
        return;
    }

    let mut message =
        format!("{} differs from {} in {} paths:\n", actual.display(), expected.display(), differences.len());
    for difference in differences.iter().take(MAX_LISTED_DIFFERENCES) {
        message.push_str(&format!("  {difference}\n"));
    }
    if differences.len() > MAX_LISTED_DIFFERENCES {
        message.push_str(&format!("  ... and {} more\n", differences.len() - MAX_LISTED_DIFFERENCES));
    }
    panic!("{message}");
}

/// Reads every path under `root` (not `root` itself), keyed by its path relative to `root`.
fn read_tree(root: &Path) -> Result<BTreeMap<PathBuf, Entry>> {
    let metadata = fs::metadata(root).map_err(|error| io_failed("read the metadata of", root, error))?;
    if !metadata.is_dir() {
        return Err(io_failed("compare", root, std::io::Error::other("not a directory")));
    }

    let mut entries = BTreeMap::new();
    read_directory(root, Path::new(""), &mut entries)?;
    Ok(entries)
}

fn read_directory(root: &Path, relative: &Path, entries: &mut BTreeMap<PathBuf, Entry>) -> Result<()> {
    let directory = root.join(relative);
    let listing = fs::read_dir(&directory).map_err(|error| io_failed("list", &directory, error))?;

    for item in listing {
        let item = item.map_err(|error| io_failed("list", &directory, error))?;
        let path = item.path();
        let relative_path = relative.join(item.file_name());
        let file_type = item.file_type().map_err(|error| io_failed("read the type of", &path, error))?;

        let entry = if file_type.is_dir() {
            read_directory(root, &relative_path, entries)?;
            Entry::Directory
        } else if file_type.is_symlink() {
            Entry::Symlink(fs::read_link(&path).map_err(|error| io_failed("read the symlink", &path, error))?)
        } else if file_type.is_file() {
            Entry::File(fs::read(&path).map_err(|error| io_failed("read", &path, error))?)
        } else {
            Entry::Other
        };
        entries.insert(relative_path, entry);
    }
    Ok(())
}
