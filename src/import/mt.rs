//! Parser for the Movable Type import/export text format.

use super::source::ImportBatch;

/// Parses a Movable Type export file.
pub fn parse(_bytes: &[u8]) -> ImportBatch {
    todo!()
}
