//! A pressrun site in a temporary directory, driven through the real binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The pressrun binary built for these tests.
pub const PRESSRUN: &str = env!("CARGO_BIN_EXE_pressrun");

/// A site made with `pressrun init` in its own temporary directory.
pub struct TestSite {
    pub dir: TempDir,
    pub config: PathBuf,
    /// The site root.
    pub root: PathBuf,
}

impl TestSite {
    /// Runs `pressrun init` and appends `extra` (config lines) to the config.
    pub fn new(extra: &str) -> TestSite {
        let dir = tempfile::Builder::new().prefix("pressrun-test-").tempdir().expect("temp dir");
        // ssh targets under this directory are written by the ssh test user.
        fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        let site_dir = dir.path().join("site");
        let output = Command::new(PRESSRUN)
            .args(["init", "--site-url", "http://example.test/"])
            .arg(&site_dir)
            .output()
            .expect("run pressrun init");
        assert!(output.status.success(), "init failed: {}", String::from_utf8_lossy(&output.stderr));
        let config = site_dir.join("pressrun.conf");
        let mut text = fs::read_to_string(&config).expect("read config");
        text.push('\n');
        text.push_str(extra);
        text.push('\n');
        fs::write(&config, text).expect("write config");
        let root = site_dir.join("htdocs").canonicalize().expect("site root");
        TestSite { dir, config, root }
    }

    /// A directory inside the test's temporary directory (created).
    pub fn path(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::create_dir_all(&path).expect("create dir");
        path.canonicalize().expect("canonical dir")
    }

    /// Appends config lines.
    pub fn configure(&self, lines: &str) {
        let mut text = fs::read_to_string(&self.config).expect("read config");
        text.push_str(lines);
        text.push('\n');
        fs::write(&self.config, text).expect("write config");
    }

    /// A `pressrun` command for this site.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(PRESSRUN);
        command.arg("--config").arg(&self.config).args(args).env_remove("PRESSRUN_CONFIG");
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run pressrun")
    }

    /// Runs pressrun and returns stdout; fails the test with stderr when it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "pressrun {args:?} exited with {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs `run-periodic-tasks --verbose` and returns stderr (the report).
    pub fn run_tasks(&self) -> String {
        let output = self.run(&["run-periodic-tasks", "--verbose"]);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "run-periodic-tasks failed ({:?}):\n{stderr}", output.status.code());
        stderr
    }

    /// Where a local target keeps the site root: the target directory plus
    /// the site root's absolute path, as Movable Type's sync lays it out.
    pub fn copy_in(&self, target_dir: &Path) -> PathBuf {
        target_dir.join(self.root.strip_prefix("/").expect("absolute root"))
    }

    pub fn read(&self, rel: &str) -> Option<String> {
        fs::read_to_string(self.root.join(rel)).ok()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.root.join(rel).exists()
    }

    /// Writes a Movable Type export file and imports it.
    pub fn import_mt(&self, text: &str) -> String {
        let file = self.dir.path().join(format!("import-{}.txt", rand_suffix()));
        fs::write(&file, text).expect("write export");
        self.ok(&["import", "--format", "mt", file.to_str().expect("utf-8 path")])
    }
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// A fixture file or folder under `PRESSRUN_FIXTURES`, or under
/// `../shared/fixtures` beside the repository; `None` (with a printed
/// reason) when it is absent.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let root = std::env::var_os("PRESSRUN_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let path = root.join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: fixture {} is absent (set PRESSRUN_FIXTURES to the fixtures folder)", path.display());
        None
    }
}

/// One MT export entry with the given fields; `body` becomes the BODY.
pub fn mt_entry(title: &str, basename: &str, date: &str, category: &str, body: &str) -> String {
    let category = if category.is_empty() { String::new() } else { format!("CATEGORY: {category}\n") };
    format!(
        "AUTHOR: tester\nTITLE: {title}\nBASENAME: {basename}\nSTATUS: Publish\nCONVERT BREAKS: __default__\n\
         {category}DATE: {date}\n-----\nBODY:\n{body}\n-----\n--------\n"
    )
}

/// An export with `count` entries over several months and categories.
pub fn many_entries(count: usize) -> String {
    (0..count)
        .map(|i| {
            let date = format!("{:02}/{:02}/2023 {:02}:{:02}:00 AM", i % 12 + 1, i % 28 + 1, i % 12 + 1, i % 60);
            let body = format!("Paragraph one of entry {i}.\n\nParagraph two, a little longer, of entry {i}.");
            mt_entry(&format!("Entry {i}"), &format!("entry_{i}"), &date, ["News", "Notes", "Misc"][i % 3], &body)
        })
        .collect()
}

/// Every file under `dir`, as sorted relative paths.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(dir).expect("under dir").to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}
