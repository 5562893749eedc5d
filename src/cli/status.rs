//! `pressrun status`: the queue and the state of every target.

use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Site;
use crate::model::Timestamp;
use crate::time::now;

pub fn run(site: &Site) -> anyhow::Result<ExitCode> {
    let now = now();
    let (queue, targets) =
        site.store.read(|tx| Ok::<_, anyhow::Error>((tx.queue_summary(now)?, tx.target_states()?)))?;

    println!("Queue: {} jobs ({} being published, {} failing)", queue.queued, queue.claimed, queue.failing);
    if let Some(oldest) = queue.oldest {
        println!("  oldest queued {} ago", age(now - oldest));
    }
    for (priority, count) in &queue.by_priority {
        println!("  priority {priority:>2}: {count}");
    }

    println!("Targets:");
    if targets.is_empty() {
        println!("  none configured (add SyncTarget lines to {})", site.config.path.display());
    }
    for target in &targets {
        let configured = site.config.targets.iter().any(|t| t.name == target.name);
        println!("  {}{}", target.name, if configured { "" } else { " (no longer configured)" });
        println!("    pending:      {} files", target.pending);
        let lag = target.oldest_pending.map_or_else(|| "none".to_string(), |since| age(now - since));
        println!("    lag:          {lag}");
        println!("    last success: {}", when(target.last_success));
        match &target.last_error {
            Some(error) if target.failures > 0 => {
                println!(
                    "    last error:   {} ({} failures in a row): {error}",
                    when(target.last_attempt),
                    target.failures
                )
            }
            _ => println!("    last error:   none"),
        }
        if target.failures > 0 && target.next_retry > now {
            println!("    next retry:   in {}", age(target.next_retry - now));
        }
        if !target.initial_copy_done {
            println!("    initial copy: in progress");
        }
    }
    Ok(ExitCode::SUCCESS)
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
