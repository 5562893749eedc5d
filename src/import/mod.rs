//! Importers for Movable Type export files and WordPress WXR files.

mod keys;
pub mod mt;
pub mod source;
pub mod wxr;

pub use source::*;
