//! Parser for WordPress eXtended RSS (WXR) 1.0 to 1.2.

use super::source::ImportBatch;

/// Errors that make a whole WXR file unusable.
#[derive(Debug, thiserror::Error)]
pub enum WxrError {
    #[error("not a WXR file")]
    NotWxr,
}

/// Parses a WXR file.
pub fn parse(_bytes: &[u8]) -> Result<ImportBatch, WxrError> {
    todo!()
}
