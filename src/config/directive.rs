//! The names of config directives.

/// The directives pressrun understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Directive {
    SyncTarget,
    RsyncOptions,
    RsyncPath,
    TempDir,
    Database,
    SitePath,
    SiteUrl,
    SiteName,
    TimeZone,
    SyncParallel,
    SyncConnectTimeout,
    SyncIoTimeout,
    SyncDeadline,
    SyncRetryBase,
    SyncRetryMax,
    SyncBatchSize,
    SyncDeleteFallback,
    SshControlPersist,
    QueueLease,
    PublishBatchSize,
    AssetStore,
    ThumbnailSizes,
    ThumbnailFormat,
    MaxUploadSize,
    MaxImagePixels,
}

impl Directive {
    const ALL: [Directive; 25] = [
        Directive::SyncTarget,
        Directive::RsyncOptions,
        Directive::RsyncPath,
        Directive::TempDir,
        Directive::Database,
        Directive::SitePath,
        Directive::SiteUrl,
        Directive::SiteName,
        Directive::TimeZone,
        Directive::SyncParallel,
        Directive::SyncConnectTimeout,
        Directive::SyncIoTimeout,
        Directive::SyncDeadline,
        Directive::SyncRetryBase,
        Directive::SyncRetryMax,
        Directive::SyncBatchSize,
        Directive::SyncDeleteFallback,
        Directive::SshControlPersist,
        Directive::QueueLease,
        Directive::PublishBatchSize,
        Directive::AssetStore,
        Directive::ThumbnailSizes,
        Directive::ThumbnailFormat,
        Directive::MaxUploadSize,
        Directive::MaxImagePixels,
    ];

    /// The known directive closest to a misspelled `name`, when it is at
    /// most two edits away.
    pub(super) fn closest(name: &str) -> Option<&'static str> {
        let wanted = name.to_ascii_lowercase();
        Directive::ALL
            .iter()
            .map(|directive| (edit_distance(&wanted, &directive.name().to_ascii_lowercase()), directive.name()))
            .filter(|(distance, _)| *distance <= 2)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, name)| name)
    }

    pub(super) fn from_name(name: &str) -> Option<Directive> {
        let directive = match name.to_ascii_lowercase().as_str() {
            "synctarget" => Directive::SyncTarget,
            "rsyncoptions" => Directive::RsyncOptions,
            "rsyncpath" => Directive::RsyncPath,
            "tempdir" | "temppath" => Directive::TempDir,
            "database" => Directive::Database,
            "sitepath" => Directive::SitePath,
            "siteurl" => Directive::SiteUrl,
            "sitename" => Directive::SiteName,
            "timezone" => Directive::TimeZone,
            "syncparallel" => Directive::SyncParallel,
            "syncconnecttimeout" => Directive::SyncConnectTimeout,
            "synciotimeout" => Directive::SyncIoTimeout,
            "syncdeadline" => Directive::SyncDeadline,
            "syncretrybase" => Directive::SyncRetryBase,
            "syncretrymax" => Directive::SyncRetryMax,
            "syncbatchsize" => Directive::SyncBatchSize,
            "syncdeletefallback" => Directive::SyncDeleteFallback,
            "sshcontrolpersist" => Directive::SshControlPersist,
            "queuelease" => Directive::QueueLease,
            "publishbatchsize" => Directive::PublishBatchSize,
            "assetstore" => Directive::AssetStore,
            "thumbnailsizes" => Directive::ThumbnailSizes,
            "thumbnailformat" => Directive::ThumbnailFormat,
            "maxuploadsize" => Directive::MaxUploadSize,
            "maximagepixels" => Directive::MaxImagePixels,
            _ => return None,
        };
        Some(directive)
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Directive::SyncTarget => "SyncTarget",
            Directive::RsyncOptions => "RsyncOptions",
            Directive::RsyncPath => "RsyncPath",
            Directive::TempDir => "TempDir",
            Directive::Database => "Database",
            Directive::SitePath => "SitePath",
            Directive::SiteUrl => "SiteURL",
            Directive::SiteName => "SiteName",
            Directive::TimeZone => "TimeZone",
            Directive::SyncParallel => "SyncParallel",
            Directive::SyncConnectTimeout => "SyncConnectTimeout",
            Directive::SyncIoTimeout => "SyncIOTimeout",
            Directive::SyncDeadline => "SyncDeadline",
            Directive::SyncRetryBase => "SyncRetryBase",
            Directive::SyncRetryMax => "SyncRetryMax",
            Directive::SyncBatchSize => "SyncBatchSize",
            Directive::SyncDeleteFallback => "SyncDeleteFallback",
            Directive::SshControlPersist => "SshControlPersist",
            Directive::QueueLease => "QueueLease",
            Directive::PublishBatchSize => "PublishBatchSize",
            Directive::AssetStore => "AssetStore",
            Directive::ThumbnailSizes => "ThumbnailSizes",
            Directive::ThumbnailFormat => "ThumbnailFormat",
            Directive::MaxUploadSize => "MaxUploadSize",
            Directive::MaxImagePixels => "MaxImagePixels",
        }
    }
}

/// The Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelled_names_find_their_directive() {
        assert_eq!(Directive::closest("SyncTarge"), Some("SyncTarget"));
        assert_eq!(Directive::closest("tempdri"), Some("TempDir"));
        assert_eq!(Directive::closest("CGIPath"), None);
    }
}
