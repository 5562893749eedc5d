//! Counting and comparing the files of output directories.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Lists every regular file under `root`, by path relative to `root`, with its
/// size in bytes. Symbolic links are not followed.
pub fn list_files(root: &Path) -> anyhow::Result<BTreeMap<PathBuf, u64>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for item in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let item = item?;
            let kind = item.file_type()?;
            if kind.is_dir() {
                pending.push(item.path());
            } else if kind.is_file() {
                let relative = item.path().strip_prefix(root)?.to_path_buf();
                files.insert(relative, item.metadata()?.len());
            }
        }
    }
    Ok(files)
}

pub fn count_files(root: &Path) -> anyhow::Result<usize> {
    Ok(list_files(root)?.len())
}

/// Total size in bytes of the files under `root`.
pub fn total_bytes(root: &Path) -> anyhow::Result<u64> {
    Ok(list_files(root)?.values().sum())
}

/// Fails unless `copy` has the same file paths as `original` and every
/// file has the same bytes.
pub fn compare_trees(original: &Path, copy: &Path) -> anyhow::Result<()> {
    let expected = list_files(original)?;
    let found = list_files(copy)?;
    let missing: Vec<&PathBuf> = expected.keys().filter(|path| !found.contains_key(*path)).collect();
    let extra: Vec<&PathBuf> = found.keys().filter(|path| !expected.contains_key(*path)).collect();
    if !missing.is_empty() || !extra.is_empty() {
        bail!(
            "{} differs from {}: {} files missing (first: {:?}), {} extra (first: {:?})",
            copy.display(),
            original.display(),
            missing.len(),
            missing.first(),
            extra.len(),
            extra.first()
        );
    }
    for path in expected.keys() {
        let (a, b) = (original.join(path), copy.join(path));
        if fs::read(&a)? != fs::read(&b)? {
            bail!("{} differs from {}", b.display(), a.display());
        }
    }
    Ok(())
}
