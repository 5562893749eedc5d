//! Uploaded assets: names, content sniffing, image inspection and thumbnails.
//!
//! Everything here except [`upload`] is pure: it takes bytes or records and
//! returns values, with no file system or store access, so the queue
//! decides where files go and when to retry.

pub mod image;
pub mod names;
pub mod sniff;
pub mod thumbnails;
pub mod upload;
