//! The ssh command rsync uses for remote-shell targets, and the control
//! connections pressrun keeps open to them.
//!
//! Connection set-up dominates a small sync over ssh, so every target gets
//! one shared connection (`ControlMaster=auto` with a socket in the temp
//! dir). It stays open between batches in daemon mode and is closed at the
//! end of a single run, so no ssh process outlives the run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tracing::debug;

use super::target::{Target, TargetKind};

/// The remote-shell command for one target.
#[derive(Clone, Debug)]
pub struct RemoteShell {
    /// The user's command (from `-e` in `RsyncOptions`), split the way
    /// rsync splits it; `ssh` when none was given.
    pub base: Vec<String>,
    /// Options pressrun adds: timeouts, batch mode, connection sharing.
    pub options: Vec<String>,
    /// The control socket, when connection sharing is on.
    pub control_path: Option<PathBuf>,
}

/// Settings for building a [`RemoteShell`].
#[derive(Clone, Debug)]
pub struct ShellSettings {
    pub connect_timeout: Duration,
    pub io_timeout: Duration,
    /// How long an idle shared connection stays open.
    pub control_persist: Duration,
}

impl RemoteShell {
    /// Builds the remote shell for `target`, or `None` when the target is
    /// not reached over a remote shell.
    pub fn for_target(
        target: &Target,
        user_command: Option<&str>,
        temp_dir: &Path,
        settings: &ShellSettings,
    ) -> Option<RemoteShell> {
        if !matches!(target.kind, TargetKind::RemoteShell { .. }) {
            return None;
        }
        let base = user_command.map(split_rsync_command).unwrap_or_else(|| vec!["ssh".to_string()]);
        let alive_interval = (settings.io_timeout.as_secs() / 3).max(1);
        let mut options = vec![
            "-o".to_string(),
            format!("ConnectTimeout={}", settings.connect_timeout.as_secs().max(1)),
            "-o".to_string(),
            format!("ServerAliveInterval={alive_interval}"),
            "-o".to_string(),
            "ServerAliveCountMax=3".to_string(),
            "-o".to_string(),
            "BatchMode=yes".to_string(),
        ];
        let user_controls = base.iter().any(|word| word.to_ascii_lowercase().contains("controlmaster"));
        let control_path = (!user_controls).then(|| temp_dir.join(format!("pressrun-ssh-{}", target.file_name_key())));
        if let Some(path) = &control_path {
            options.extend([
                "-o".to_string(),
                "ControlMaster=auto".to_string(),
                "-o".to_string(),
                format!("ControlPath={}", path.display()),
                "-o".to_string(),
                format!("ControlPersist={}", settings.control_persist.as_secs().max(1)),
            ]);
        }
        Some(RemoteShell { base, options, control_path })
    }

    /// The value for rsync's `--rsh`, quoted so that rsync splits it back
    /// into the same words.
    pub fn command_line(&self) -> String {
        self.base.iter().chain(&self.options).map(|word| quote_for_rsync(word)).collect::<Vec<_>>().join(" ")
    }

    /// Closes the shared connection to `target`, if one is open. It waits
    /// at most a few seconds, since the target may be the one that hangs.
    pub fn close(&self, target: &Target) {
        let (Some(path), TargetKind::RemoteShell { user, host, .. }) = (&self.control_path, &target.kind) else {
            return;
        };
        if !path.exists() {
            return;
        }
        let destination = match user {
            Some(user) => format!("{user}@{host}"),
            None => host.clone(),
        };
        let mut command = Command::new(&self.base[0]);
        command
            .args(&self.base[1..])
            .args(["-o", &format!("ControlPath={}", path.display()), "-O", "exit", &destination])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        if let Ok(mut child) = command.spawn() {
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    debug!(target = %target, "closed shared ssh connection");
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            super::rsync::end_process_group(&mut child);
        }
    }
}

use std::os::unix::process::CommandExt;

/// Splits a remote-shell command the way rsync does: words are separated
/// by spaces, and single or double quotes keep spaces inside a word.
/// Backslashes have no special meaning.
pub fn split_rsync_command(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for ch in command.chars() {
        match (quote, ch) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                in_word = true;
            }
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn quote_for_rsync(word: &str) -> String {
    if !word.is_empty() && !word.contains([' ', '"', '\'']) {
        word.to_string()
    } else if !word.contains('"') {
        format!("\"{word}\"")
    } else {
        format!("'{word}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_rsync() {
        assert_eq!(split_rsync_command("ssh -p 2222  -i '/a b/key'"), vec!["ssh", "-p", "2222", "-i", "/a b/key"]);
        assert_eq!(split_rsync_command(r#"ssh -o "ProxyCommand=x y""#), vec!["ssh", "-o", "ProxyCommand=x y"]);
    }

    #[test]
    fn command_line_round_trips() {
        let target = Target::parse("deploy@web1:/srv").unwrap();
        let settings = ShellSettings {
            connect_timeout: Duration::from_secs(5),
            io_timeout: Duration::from_secs(30),
            control_persist: Duration::from_secs(60),
        };
        let shell =
            RemoteShell::for_target(&target, Some("ssh -i '/k e/y'"), Path::new("/tmp/x y"), &settings).unwrap();
        let words = split_rsync_command(&shell.command_line());
        assert_eq!(&words[..3], ["ssh", "-i", "/k e/y"]);
        assert!(words.iter().any(|w| w.starts_with("ControlPath=/tmp/x y/pressrun-ssh-")));
        assert!(
            RemoteShell::for_target(&Target::parse("/local").unwrap(), None, Path::new("/tmp"), &settings).is_none()
        );
    }
}
