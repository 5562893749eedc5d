//! Uploaded assets: content sniffing, image inspection and thumbnails.
//!
//! Every function here is pure. It takes the uploaded bytes and returns values, with no
//! file system or network access, so the queue decides where files go and when to retry.

pub mod image;
pub mod sniff;
