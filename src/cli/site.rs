//! Opening a site: its config and its store.

use std::path::Path;

use anyhow::Context;

use crate::change::{self, ChangeSet};
use crate::config::Config;
use crate::snapshot::SiteSettings;
use crate::store::Store;
use crate::time::now;

/// A site opened from its config file.
pub struct Site {
    pub config: Config,
    pub store: Store,
}

impl Site {
    /// Loads the config (printing its warnings), opens the store, and
    /// queues every file when the site's name, URL, root, time zone or
    /// thumbnail settings changed since the last command, since every page
    /// may show them.
    pub fn open(config_path: &Path) -> anyhow::Result<Site> {
        let loaded = Config::load(config_path)?;
        for warning in &loaded.warnings {
            eprintln!("warning: {}: {warning}", config_path.display());
        }
        let config = loaded.config;
        let store = Store::open_sqlite(&config.database)
            .with_context(|| format!("cannot open the store of {}", config_path.display()))?;
        let site = Site { config, store };
        site.requeue_if_settings_changed()?;
        Ok(site)
    }

    pub fn settings(&self) -> SiteSettings {
        Site::settings_of(&self.config)
    }

    /// The site-wide settings a config gives.
    pub fn settings_of(config: &Config) -> SiteSettings {
        SiteSettings {
            name: config.site_name.clone(),
            url: config.site_url.clone(),
            time_zone: config.time_zone,
            thumbnail_sizes: config.assets.thumbnail_sizes.clone(),
            thumbnail_format: config.assets.thumbnail_format,
        }
    }

    fn fingerprint(&self) -> String {
        let settings = self.settings();
        let text =
            format!("{}\n{}\n{}\n{}", settings.name, settings.url, settings.time_zone, self.config.site_path.display());
        blake3::hash(text.as_bytes()).to_hex().to_string()
    }

    fn requeue_if_settings_changed(&self) -> anyhow::Result<()> {
        let fingerprint = self.fingerprint();
        let settings = self.settings();
        let queued = self.store.write(|tx| -> anyhow::Result<Option<usize>> {
            let stored = tx.setting("site_fingerprint")?;
            if stored.as_deref() == Some(fingerprint.as_str()) {
                return Ok(None);
            }
            tx.set_setting("site_fingerprint", &fingerprint)?;
            if stored.is_none() {
                return Ok(None);
            }
            let change = ChangeSet { everything: true, ..ChangeSet::default() };
            Ok(Some(change::commit(tx, &settings, &change, now())?.files.len()))
        })?;
        if let Some(count) = queued {
            eprintln!("Site name, URL, root or time zone changed: {count} files queued for publishing.");
        }
        Ok(())
    }
}
