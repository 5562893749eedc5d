//! pressrun: a publish queue for static sites that distributes every file to
//! several web servers with rsync.
//!
//! The data flows through one module per stage:
//! store → change → queue → publish (render and write) → sync (one rsync per
//! target).

pub mod asset;
pub mod basename;
pub mod import;
pub mod model;
