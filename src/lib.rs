//! pressrun: a publish queue for static sites that distributes every file to
//! several web servers with rsync.
//!
//! Data flows through one module per stage:
//!
//! | stage | module | owns |
//! |---|---|---|
//! | content | [`store`], [`model`], [`import`] | entries, pages, categories, templates, assets |
//! | change | [`change`], [`plan`], [`snapshot`] | which files exist, which a change affects |
//! | queue | [`store`] (`QueueTx`) | one publish job per file, claimed with a lease |
//! | publish | [`publish`], [`render`], [`site_root`] | rendering and atomic writes under the site root |
//! | sync | [`sync`] | pending paths per target, one rsync per batch and target |
//!
//! [`runner`] drives publish and sync for `run-periodic-tasks`; [`cli`] is
//! the command line.

pub mod archive;
pub mod asset;
pub mod basename;
pub mod blob;
pub mod change;
pub mod cli;
pub mod config;
pub mod import;
pub mod model;
pub mod plan;
pub mod publish;
pub mod render;
pub mod runner;
pub mod site_root;
pub mod snapshot;
pub mod store;
pub mod sync;
pub mod time;

/// An error and all its causes on one line, `outer: inner: innermost`, for
/// messages that are stored or printed without `anyhow`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
