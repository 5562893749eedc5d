//! `pressrun init`: a new site directory with a config file, a store and
//! the default theme.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::InputError;
use crate::change::ChangeSet;
use crate::model::{Template, TemplateMap};
use crate::render::theme;
use crate::snapshot::SiteSettings;
use crate::store::Store;
use crate::sync::target::Target;
use crate::time::SiteTimeZone;
use crate::time::now;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to create the site in; it may exist but must not
    /// contain a pressrun.conf.
    site_dir: PathBuf,
    /// The site's name, shown on every page.
    #[arg(long, default_value = "My Site")]
    site_name: String,
    /// The URL of the site root.
    #[arg(long, default_value = "/")]
    site_url: String,
    /// The site root [default: SITE_DIR/htdocs].
    #[arg(long, value_name = "DIR")]
    site_path: Option<PathBuf>,
    /// The site's time zone: an IANA name or an offset such as -05:00.
    #[arg(long, default_value = "UTC")]
    time_zone: String,
    /// A sync target (repeatable): host:/path, user@host:/path,
    /// rsync://host/module/path or an absolute local path.
    #[arg(long = "target", value_name = "TARGET")]
    targets: Vec<String>,
}

pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    fs::create_dir_all(&args.site_dir).with_context(|| format!("cannot create {}", args.site_dir.display()))?;
    let site_dir =
        args.site_dir.canonicalize().with_context(|| format!("cannot resolve {}", args.site_dir.display()))?;
    let config_path = site_dir.join("pressrun.conf");
    if config_path.exists() {
        return Err(
            InputError(format!("{} exists already; init does not overwrite a site", config_path.display())).into()
        );
    }
    args.time_zone.parse::<SiteTimeZone>().map_err(|error| InputError(format!("--time-zone: {error}")))?;
    for target in &args.targets {
        Target::parse(target).map_err(|error| InputError(format!("--target {target}: {error}")))?;
    }
    let site_path = match &args.site_path {
        Some(path) if path.is_absolute() => path.clone(),
        Some(path) => std::env::current_dir()?.join(path),
        None => site_dir.join("htdocs"),
    };

    let text = config_text(&args, &site_path);
    crate::config::Config::parse(&config_path, &text)?;
    fs::create_dir_all(&site_path).with_context(|| format!("cannot create site root {}", site_path.display()))?;
    let store = Store::open_sqlite(&site_dir.join("pressrun.db"))?;
    install_theme(&store)?;
    fs::write(&config_path, text).with_context(|| format!("cannot write {}", config_path.display()))?;
    let config = crate::config::Config::load(&config_path)?.config;
    queue_theme(&store, &super::Site::settings_of(&config))?;

    println!("Created site in {}", site_dir.display());
    println!("  config:    {}", config_path.display());
    println!("  store:     {}", site_dir.join("pressrun.db").display());
    println!("  site root: {}", site_path.display());
    Ok(ExitCode::SUCCESS)
}

/// The config file `init` writes: every directive it sets, and the others
/// as comments with their defaults.
fn config_text(args: &InitArgs, site_path: &Path) -> String {
    let mut text = String::from("# pressrun configuration: one directive per line, `Name value`.\n\n");
    text.push_str(&format!("SiteName {}\n", args.site_name));
    text.push_str(&format!("SiteURL {}\n", args.site_url));
    text.push_str(&format!("SitePath {}\n", site_path.display()));
    text.push_str(&format!("TimeZone {}\n", args.time_zone));
    text.push_str("Database pressrun.db\n\n");
    text.push_str("# One line per web server: host:/path, user@host:/path, rsync://host/module/path\n");
    text.push_str("# or an absolute local path. Each published file keeps its absolute path under it.\n");
    for target in &args.targets {
        text.push_str(&format!("SyncTarget {target}\n"));
    }
    if args.targets.is_empty() {
        text.push_str("# SyncTarget www1.example.com:/\n");
    }
    text.push_str(concat!(
        "\n# RsyncOptions -e ssh\n",
        "# RsyncPath rsync\n",
        "# TempDir /tmp\n",
        "# SyncConnectTimeout 10\n",
        "# SyncIOTimeout 60\n",
        "# SyncDeadline 1800\n",
        "# SyncParallel 0\n",
        "# ThumbnailSizes 120 480\n",
    ));
    text
}

/// Installs the default theme's templates and template maps.
pub fn install_theme(store: &Store) -> anyhow::Result<()> {
    store.write(|tx| -> anyhow::Result<()> {
        for template in theme::TEMPLATES {
            if tx.template_by_name(template.name)?.is_some() {
                continue;
            }
            let stored = Template {
                id: 0,
                name: template.name.to_string(),
                kind: template.kind,
                source: template.source.to_string(),
                output: template.output.map(str::to_string),
                page_size: template.page_size,
                publish_type: template.publish_type(),
            };
            let id = tx.insert_template(&stored)?;
            for (archive_type, pattern) in template.maps {
                let map = TemplateMap {
                    id: 0,
                    template_id: id,
                    archive_type: *archive_type,
                    file_pattern: pattern.to_string(),
                    is_preferred: true,
                };
                tx.insert_template_map(&map)?;
            }
        }
        crate::change::bump_content_version(tx)?;
        Ok(())
    })
}

/// Queues the theme's files, so that the first `run-periodic-tasks`
/// publishes the index files of the still empty site.
fn queue_theme(store: &Store, settings: &SiteSettings) -> anyhow::Result<usize> {
    let change = ChangeSet { everything: true, ..ChangeSet::default() };
    let queued = store.write(|tx| crate::change::commit(tx, settings, &change, now()))?;
    Ok(queued.files.len())
}
