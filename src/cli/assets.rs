//! `pressrun upload` and `pressrun asset …`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::edit::find_entry;
use super::{InputError, Site};
use crate::asset::image::Limits;
use crate::asset::upload::{self, Destination, Stored, UploadError};
use crate::blob::BlobStore;
use crate::change::{self, ChangeSet};
use crate::model::EntryKind;
use crate::time::now;

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Folder under the site root to put the files in.
    #[arg(long, value_name = "PATH", default_value = crate::asset::names::DEFAULT_FOLDER)]
    folder: String,
    /// Attach the files to this entry (id or basename).
    #[arg(long, value_name = "ENTRY")]
    entry: Option<String>,
    /// Give an existing asset (id or path) these bytes, as for a record
    /// imported with only its old URL; takes one FILE.
    #[arg(long, value_name = "ASSET")]
    replace: Option<String>,
    /// The files to upload.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn upload(site: &Site, args: UploadArgs) -> anyhow::Result<ExitCode> {
    if args.replace.is_some() && args.files.len() != 1 {
        return Err(InputError("--replace takes exactly one file".to_string()).into());
    }
    let limits =
        Limits { max_bytes: site.config.assets.max_upload_bytes, max_pixels: site.config.assets.max_image_pixels };
    let mut prepared = Vec::new();
    for file in &args.files {
        prepared.push(upload::prepare(file, &limits).map_err(input_or_system)?);
    }
    for warning in prepared.iter().filter_map(|p| p.warning.as_ref()) {
        eprintln!("warning: {warning}");
    }

    let blobs = BlobStore::new(&site.config.assets.store_dir);
    let settings = site.settings();
    let (results, queued) = site.store.write(|tx| -> anyhow::Result<_> {
        let entry = match &args.entry {
            Some(key) => Some(find_entry(tx, key, EntryKind::Entry)?.id),
            None => None,
        };
        let destination = Destination { folder: Some(args.folder.clone()), replace: args.replace.clone(), entry };
        let mut changes = ChangeSet::default();
        let now = now();
        let mut results = Vec::new();
        for file in &prepared {
            let stored = upload::store(tx, &blobs, file, &destination, &mut changes, now).map_err(input_or_system)?;
            results.push((file.source.clone(), stored));
        }
        let queued = change::commit(tx, &settings, &changes, now).context("cannot queue the upload")?;
        Ok((results, queued.files.len()))
    })?;

    for (source, stored) in results {
        match stored {
            Stored::New { path, .. } => println!("{} -> {path:?}", source.display()),
            Stored::Replaced { path, .. } => println!("{} -> {path:?} (replaced)", source.display()),
            Stored::Unchanged { path, .. } => println!("{} -> {path:?} (unchanged)", source.display()),
        }
    }
    println!("{} queued", super::count(queued as i64, "file"));
    Ok(ExitCode::SUCCESS)
}

/// Keeps input problems (too large, a decompression bomb, a bad folder)
/// apart from system errors, for the exit status.
fn input_or_system(error: UploadError) -> anyhow::Error {
    if error.is_input() { InputError(crate::error_chain(&error)).into() } else { error.into() }
}

#[derive(Debug, Subcommand)]
pub enum AssetCommand {
    /// List assets: id, size, dimensions and path.
    List,
    /// Delete an asset; its file and thumbnails are removed from the site
    /// root and every target, and pages that showed it are published again.
    Delete {
        /// Asset id or path under the site root.
        asset: String,
    },
}

pub fn asset(site: &Site, command: AssetCommand) -> anyhow::Result<ExitCode> {
    match command {
        AssetCommand::List => {
            for asset in site.store.read(|tx| tx.assets())? {
                let size = match (asset.width, asset.height) {
                    (Some(w), Some(h)) => format!("{w}x{h}"),
                    _ => "-".to_string(),
                };
                let missing = if asset.hash.is_none() { "  (no file yet)" } else { "" };
                println!("{:>6}  {:>10}  {size:>11}  {:?}{missing}", asset.id, asset.size, asset.path);
            }
        }
        AssetCommand::Delete { asset } => {
            let settings = site.settings();
            let (found, queued) = site.store.write(|tx| -> anyhow::Result<_> {
                let found = upload::find_asset(tx, &asset).map_err(input_or_system)?;
                let mut changes = ChangeSet::default();
                upload::touch_asset(&mut changes, &found);
                tx.delete_asset(found.id)?;
                Ok((found.clone(), change::commit(tx, &settings, &changes, now())?.files.len()))
            })?;
            println!("deleted asset {} ({:?})", found.id, found.path);
            println!("{} queued", super::count(queued as i64, "file"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
