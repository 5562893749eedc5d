//! `pressrun status`: the queue and the state of every target.

use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Site;
use crate::model::Timestamp;
use crate::store::TargetState;
use crate::time::now;

/// Files with errors listed at most.
const SHOWN_ERRORS: usize = 10;

pub fn run(site: &Site) -> anyhow::Result<ExitCode> {
    let now = now();
    let (queue, states, errors) = site.store.read(|tx| {
        Ok::<_, anyhow::Error>((tx.queue_summary(now)?, tx.target_states()?, tx.file_infos_with_errors()?))
    })?;

    println!("Queue: {} ({} being published, {} failing)", count(queue.queued, "job"), queue.claimed, queue.failing);
    if let Some(oldest) = queue.oldest {
        println!("  oldest queued {} ago", age(now - oldest));
    }
    for (priority, jobs) in &queue.by_priority {
        println!("  priority {priority:>2}: {} (higher runs first)", count(*jobs, "job"));
    }
    print_errors(&errors);

    println!("Targets:");
    if site.config.targets.is_empty() && states.is_empty() {
        println!("  none configured (add SyncTarget lines to {})", site.config.path.display());
    }
    for target in &site.config.targets {
        match states.iter().find(|state| state.name == target.name) {
            Some(state) => print_target(state, true, now),
            None => {
                println!("  {}", target.name);
                println!("    new: the next run-periodic-tasks sends it a full copy of the site");
            }
        }
    }
    for state in states.iter().filter(|s| !site.config.targets.iter().any(|t| t.name == s.name)) {
        print_target(state, false, now);
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists files whose last publish failed, with the error and what to do.
fn print_errors(errors: &[crate::store::FileInfo]) {
    if errors.is_empty() {
        return;
    }
    println!("Files that could not be published: {}", errors.len());
    for info in errors.iter().take(SHOWN_ERRORS) {
        let path = info.path.as_deref().or(info.published_path.as_deref()).unwrap_or("?");
        let state =
            if info.state == crate::store::FileState::Failed { " (final until its source changes)" } else { "" };
        println!("  {path}{state}: {}", info.last_error.as_deref().unwrap_or(""));
    }
    if errors.len() > SHOWN_ERRORS {
        println!("  … and {} more", errors.len() - SHOWN_ERRORS);
    }
    println!(
        "  Fix the cause (a template: `pressrun template edit`), then `pressrun publish --all` queues them again."
    );
}

fn print_target(target: &TargetState, configured: bool, now: Timestamp) {
    println!("  {}{}", target.name, if configured { "" } else { " (no longer configured)" });
    println!("    pending:      {}", count(target.pending, "file"));
    let lag = target.oldest_pending.map_or_else(|| "none".to_string(), |since| age(now - since));
    println!("    lag:          {lag} (age of the oldest change not yet on this target)");
    println!("    last success: {}", when(target.last_success));
    match &target.last_error {
        Some(error) if target.failures > 0 => println!(
            "    last error:   {} ({} in a row): {error}",
            when(target.last_attempt),
            count(target.failures, "failure")
        ),
        _ => println!("    last error:   none"),
    }
    if target.failures > 0 && target.next_retry > now {
        println!(
            "    next retry:   in {} (`run-periodic-tasks --retry-now` tries at once)",
            age(target.next_retry - now)
        );
    }
    if !target.initial_copy_done {
        println!("    initial copy: in progress");
    }
}

/// `1 file`, `2 files`.
pub fn count(n: i64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn when(timestamp: Option<Timestamp>) -> String {
    timestamp
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .map_or_else(|| "never".to_string(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

fn age(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7199 => format!("{} min", seconds / 60),
        _ => format!("{:.1} h", seconds as f64 / 3600.0),
    }
}
