//! Command-line options that every benchmark takes, and the directory its
//! runs write to.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tempfile::TempDir;

#[derive(clap::Args)]
pub struct RunOptions {
    /// Measured runs; the tables show their median, minimum and maximum.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,

    /// Write every run under this directory and keep it, instead of in a
    /// temporary directory that is removed at the end.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,

    /// Added by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
}

/// The directory that contains every run: `--keep DIR`, or a temporary
/// directory that is removed when this value is dropped.
pub struct WorkDir {
    pub path: PathBuf,
    _temporary: Option<TempDir>,
}

impl RunOptions {
    /// Fails unless `--runs` is at least 1.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.runs == 0 {
            bail!("--runs must be at least 1");
        }
        Ok(())
    }

    /// Creates the work directory. `prefix` names the temporary directory,
    /// which gets mode 0755 so that an unprivileged user (the ssh targets'
    /// login) can reach directories inside it. A `--keep` directory keeps
    /// its mode.
    pub fn work_dir(&self, prefix: &str) -> anyhow::Result<WorkDir> {
        if let Some(dir) = &self.keep {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            return Ok(WorkDir { path: dir.canonicalize()?, _temporary: None });
        }
        let temporary = tempfile::Builder::new().prefix(prefix).tempdir()?;
        let path = temporary.path().to_path_buf();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot set the mode of {}", path.display()))?;
        Ok(WorkDir { path, _temporary: Some(temporary) })
    }
}

impl WorkDir {
    /// Creates the directory of run `number`, which must not exist yet.
    pub fn run_dir(&self, number: usize) -> anyhow::Result<PathBuf> {
        let run_dir = self.path.join(format!("run{number}"));
        create_fresh_dir(&run_dir)?;
        Ok(run_dir)
    }
}

/// Creates `dir`, failing when it exists, so that every run writes into new
/// directories.
pub fn create_fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        bail!("{} exists; give --keep an empty directory so that every run starts fresh", dir.display());
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}
