//! `pressrun verify`: compares targets with the site root.

use std::process::ExitCode;

use clap::Args;

use super::{InputError, Site};
use crate::runner::worker_id;
use crate::sync::{SyncOptions, Syncer};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check only this target (as written in SyncTarget); repeatable.
    #[arg(long = "target", value_name = "TARGET")]
    targets: Vec<String>,
    /// Queue what is needed to fix the differences; the next
    /// run-periodic-tasks sends missing and different files and deletes
    /// extra ones, including files put on the target by hand.
    #[arg(long)]
    repair: bool,
}

/// Lists at most this many paths of each kind per target.
const SHOWN: usize = 50;

pub fn run(site: &Site, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let targets: Vec<_> = site
        .config
        .targets
        .iter()
        .filter(|target| args.targets.is_empty() || args.targets.contains(&target.name))
        .collect();
    if let Some(unknown) = args.targets.iter().find(|name| !site.config.targets.iter().any(|t| &t.name == *name)) {
        return Err(InputError(format!("{unknown:?} is not a SyncTarget in {}", site.config.path.display())).into());
    }
    if targets.is_empty() {
        return Err(InputError(format!("no SyncTarget in {}", site.config.path.display())).into());
    }

    let options = SyncOptions { worker: worker_id(), daemon: false, retry_now: true, progress: false };
    let syncer = Syncer::new(&site.config, &site.store, options);
    let mut clean = true;
    for target in targets {
        let drift = match syncer.verify(target) {
            Ok(drift) => drift,
            Err(error) => {
                eprintln!("{}: {}", target.name, crate::error_chain(&error));
                clean = false;
                continue;
            }
        };
        if drift.is_empty() {
            println!("{}: in sync", target.name);
            continue;
        }
        println!(
            "{}: {} missing, {} different, {} extra",
            target.name,
            drift.missing.len(),
            drift.different.len(),
            drift.extra.len()
        );
        for (label, paths) in [("missing", &drift.missing), ("different", &drift.different), ("extra", &drift.extra)] {
            for path in paths.iter().take(SHOWN) {
                println!("  {label:<9} {path:?}");
            }
            if paths.len() > SHOWN {
                println!("  … and {} more {label}", paths.len() - SHOWN);
            }
        }
        if args.repair {
            let queued = syncer.repair(target, &drift)?;
            println!("  queued {queued} repairs; run `pressrun run-periodic-tasks` to apply them");
        } else {
            clean = false;
        }
    }
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
