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
