//! Targets: the web front ends that every published file is distributed to.
//!
//! A target is written as rsync writes a destination: `host:/path`,
//! `user@host:/path`, `rsync://host/module/path`, `host::module/path` or an
//! absolute local path. Relative paths are rejected because rsync would
//! resolve them against a working or login directory that nobody chose.

use std::fmt;
use std::path::PathBuf;

/// One configured sync target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The destination exactly as configured; it names the target in the
    /// store, in `status` and in logs.
    pub name: String,
    pub kind: TargetKind,
}

/// How rsync reaches a target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// A directory on this machine.
    Local { path: PathBuf },
    /// A remote shell (ssh) destination.
    RemoteShell { user: Option<String>, host: String, path: String },
    /// An rsync daemon; remote-shell options must never reach it.
    Daemon,
}

/// Why a `SyncTarget` value is not a usable destination.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("target is empty")]
    Empty,
    #[error("target path {path:?} is relative; write an absolute path such as /srv/www")]
    RelativePath { path: String },
    #[error("target {value:?} has no host before ':'")]
    MissingHost { value: String },
    #[error("target {value:?} contains a control character")]
    ControlCharacter { value: String },
}

impl Target {
    /// Parses a destination in rsync's syntax.
    pub fn parse(value: &str) -> Result<Target, TargetError> {
        let name = value.trim();
        if name.is_empty() {
            return Err(TargetError::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(TargetError::ControlCharacter { value: name.to_string() });
        }

        let kind = if name.starts_with("rsync://") || name.contains("::") {
            TargetKind::Daemon
        } else if let Some((host_part, path)) = split_remote(name) {
            parse_remote_shell(name, host_part, path)?
        } else if name.starts_with('/') {
            TargetKind::Local { path: PathBuf::from(name) }
        } else {
            return Err(TargetError::RelativePath { path: name.to_string() });
        };

        Ok(Target { name: name.to_string(), kind })
    }

    pub fn is_daemon(&self) -> bool {
        matches!(self.kind, TargetKind::Daemon)
    }

    pub fn is_remote_shell(&self) -> bool {
        matches!(self.kind, TargetKind::RemoteShell { .. })
    }

    /// The destination argument for rsync: the configured value with a
    /// trailing `/`, so that the source tree is copied into it.
    pub fn rsync_destination(&self) -> String {
        if self.name.ends_with('/') { self.name.clone() } else { format!("{}/", self.name) }
    }

    /// A name safe to use in file names (control sockets, file lists).
    pub fn file_name_key(&self) -> String {
        let digest = blake3::hash(self.name.as_bytes()).to_hex();
        digest[..16].to_string()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Splits `[user@]host:path` the way rsync decides a destination is remote:
/// a `:` that comes before any `/`.
fn split_remote(value: &str) -> Option<(&str, &str)> {
    let colon = value.find(':')?;
    match value.find('/') {
        Some(slash) if slash < colon => None,
        _ => Some((&value[..colon], &value[colon + 1..])),
    }
}

fn parse_remote_shell(value: &str, host_part: &str, path: &str) -> Result<TargetKind, TargetError> {
    let (user, host) = match host_part.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_string()), host),
        None => (None, host_part),
    };
    if host.is_empty() {
        return Err(TargetError::MissingHost { value: value.to_string() });
    }
    if !path.starts_with('/') {
        return Err(TargetError::RelativePath { path: path.to_string() });
    }
    Ok(TargetKind::RemoteShell { user, host: host.to_string(), path: path.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind() {
        let local = Target::parse("/srv/mirror").unwrap();
        assert_eq!(local.kind, TargetKind::Local { path: PathBuf::from("/srv/mirror") });

        let remote = Target::parse("deploy@web1:/").unwrap();
        assert_eq!(
            remote.kind,
            TargetKind::RemoteShell { user: Some("deploy".into()), host: "web1".into(), path: "/".into() }
        );

        assert!(Target::parse("rsync://web2/site/").unwrap().is_daemon());
        assert!(Target::parse("web2::site").unwrap().is_daemon());
    }

    #[test]
    fn rejects_relative_paths() {
        assert_eq!(Target::parse("mirror/site"), Err(TargetError::RelativePath { path: "mirror/site".into() }));
        assert_eq!(Target::parse("web1:www"), Err(TargetError::RelativePath { path: "www".into() }));
        assert_eq!(Target::parse("web1:"), Err(TargetError::RelativePath { path: "".into() }));
    }

    #[test]
    fn local_path_with_colon_after_slash() {
        let target = Target::parse("/srv/a:b").unwrap();
        assert_eq!(target.kind, TargetKind::Local { path: PathBuf::from("/srv/a:b") });
    }

    #[test]
    fn destination_gets_trailing_slash() {
        assert_eq!(Target::parse("web1:/srv").unwrap().rsync_destination(), "web1:/srv/");
        assert_eq!(Target::parse("web1:/").unwrap().rsync_destination(), "web1:/");
    }
}
