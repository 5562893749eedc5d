//! pressrun: a publish queue for static sites that distributes every file to
//! several web servers with rsync.
//!
//! The data flows through one module per stage:
//! store → change → queue → publish (render and write) → sync (one rsync per
//! target).

pub mod basename;
pub mod import;
pub mod model;
pub mod config;
pub mod site_root;
pub mod store;
pub mod sync;
pub mod time;
pub mod archive;
pub mod change;
pub mod plan;
pub mod render;
pub mod snapshot;
pub mod blob;
pub mod publish;
pub mod cli;
pub mod runner;
