//! Importers for Movable Type export files and WordPress WXR files.

pub mod apply;
mod keys;
pub mod mt;
pub mod source;
pub mod wxr;

pub use apply::ImportReport;
pub use source::*;
