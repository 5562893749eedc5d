//! The command line: parses arguments, opens the site and calls the stages.
//!
//! Exit status: 0 when everything asked for succeeded; 1 when an operation
//! failed (a job, a target, a database or file error); 2 for bad input: an
//! invalid config file, command-line arguments or input file.

mod assets;
mod category;
mod commit;
mod edit;
mod init;
mod site;
mod status;
mod tasks;
mod template;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use site::Site;
pub use status::count;

/// pressrun: a publish queue for static sites that distributes every file
/// to several web servers with rsync.
#[derive(Debug, Parser)]
#[command(name = "pressrun", version, about, max_term_width = 100)]
pub struct Cli {
    /// The config file [default: ./pressrun.conf].
    #[arg(long, global = true, env = "PRESSRUN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a site: config file, SQLite store, default templates.
    Init(init::InitArgs),
    /// Import entries, pages, comments and categories from an export file.
    Import(tasks::ImportArgs),
    /// Queue files for publishing.
    Publish(tasks::PublishArgs),
    /// Publish what is queued, then sync every target.
    RunPeriodicTasks(tasks::RunArgs),
    /// Show the queue and the state of every target.
    Status,
    /// Create, edit, publish, unpublish, delete or list entries.
    #[command(subcommand)]
    Entry(edit::EntryCommand),
    /// The same for pages.
    #[command(subcommand)]
    Page(edit::EntryCommand),
    /// Create, edit, delete or list categories.
    #[command(subcommand)]
    Category(category::CategoryCommand),
    /// Create, edit, map, delete or list templates.
    #[command(subcommand)]
    Template(template::TemplateCommand),
    /// Store files (images, documents) and queue them and their thumbnails.
    Upload(assets::UploadArgs),
    /// List or delete uploaded files.
    #[command(subcommand)]
    Asset(assets::AssetCommand),
    /// Compare each target with the site root (rsync dry run with
    /// checksums); exits with 1 when a target differs and --repair was not
    /// given, or a target cannot be checked.
    Verify(verify::VerifyArgs),
}

/// An error caused by the input rather than by the system; exits with 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Runs the command line and returns the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            if is_input_error(&error) { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config_path = cli.config.clone().unwrap_or_else(|| PathBuf::from("pressrun.conf"));
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Import(args) => tasks::import(&Site::open(&config_path)?, args),
        Command::Publish(args) => tasks::publish(&Site::open(&config_path)?, args),
        Command::RunPeriodicTasks(args) => tasks::run_periodic_tasks(&Site::open(&config_path)?, args),
        Command::Status => status::run(&Site::open(&config_path)?),
        Command::Entry(command) => edit::run(&Site::open(&config_path)?, crate::model::EntryKind::Entry, command),
        Command::Page(command) => edit::run(&Site::open(&config_path)?, crate::model::EntryKind::Page, command),
        Command::Category(command) => category::run(&Site::open(&config_path)?, command),
        Command::Template(command) => template::run(&Site::open(&config_path)?, command),
        Command::Verify(args) => verify::run(&Site::open(&config_path)?, args),
        Command::Upload(args) => assets::upload(&Site::open(&config_path)?, args),
        Command::Asset(command) => assets::asset(&Site::open(&config_path)?, command),
    }
}

fn is_input_error(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.is::<InputError>()
            || cause.is::<crate::config::ConfigError>()
            || cause.is::<crate::import::wxr::WxrError>()
    })
}

/// Logs go to stderr; `PRESSRUN_LOG` sets the filter (default `warn`),
/// for example `PRESSRUN_LOG=pressrun=debug`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PRESSRUN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}
