//! Code shared by the benchmarks: the generated site, running and measuring
//! programs, pressrun sites, file trees and the Markdown report.
//!
//! Each benchmark includes this module with `#[path = "common/mod.rs"]` and
//! uses only part of it.

pub mod content;
pub mod expected;
pub mod options;
pub mod process;
pub mod report;
pub mod site;
pub mod tree;
