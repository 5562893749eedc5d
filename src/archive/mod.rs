//! Archives: which period an entry falls in, how file paths and URLs are
//! formed, and the queue priority and sync tier of each kind of file.

pub mod specifier;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::model::ArchiveType;

/// A period of a date-based archive, in the site's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub archive_type: ArchiveType,
    /// The first day of the period.
    pub start: NaiveDate,
}

impl Period {
    /// The period of `archive_type` that contains the local time `local`,
    /// or `None` when `archive_type` is not date-based. Weeks start on
    /// Sunday, as in Movable Type.
    pub fn containing(archive_type: ArchiveType, local: NaiveDateTime) -> Option<Period> {
        let date = local.date();
        let start = match archive_type {
            ArchiveType::Daily => date,
            ArchiveType::Weekly => date - Duration::days(i64::from(date.weekday().num_days_from_sunday())),
            ArchiveType::Monthly => date.with_day(1)?,
            ArchiveType::Yearly => NaiveDate::from_ymd_opt(date.year(), 1, 1)?,
            _ => return None,
        };
        Some(Period { archive_type, start })
    }

    /// Parses the label made by [`Period::label`].
    pub fn parse(archive_type: ArchiveType, label: &str) -> Option<Period> {
        let start = match archive_type {
            ArchiveType::Daily | ArchiveType::Weekly => NaiveDate::parse_from_str(label, "%Y-%m-%d").ok()?,
            ArchiveType::Monthly => NaiveDate::parse_from_str(&format!("{label}-01"), "%Y-%m-%d").ok()?,
            ArchiveType::Yearly => NaiveDate::from_ymd_opt(label.parse().ok()?, 1, 1)?,
            _ => return None,
        };
        Some(Period { archive_type, start })
    }

    /// A stable label: `2024-05-03` (daily, and weekly by its Sunday),
    /// `2024-05` (monthly) or `2024` (yearly).
    pub fn label(&self) -> String {
        match self.archive_type {
            ArchiveType::Monthly => self.start.format("%Y-%m").to_string(),
            ArchiveType::Yearly => self.start.format("%Y").to_string(),
            _ => self.start.format("%Y-%m-%d").to_string(),
        }
    }

    /// A human title such as `May 2024`.
    pub fn title(&self) -> String {
        match self.archive_type {
            ArchiveType::Daily => self.start.format("%B %-d, %Y").to_string(),
            ArchiveType::Weekly => {
                let end = self.start + Duration::days(6);
                format!("{} - {}", self.start.format("%B %-d, %Y"), end.format("%B %-d, %Y"))
            }
            ArchiveType::Monthly => self.start.format("%B %Y").to_string(),
            _ => self.start.format("%Y").to_string(),
        }
    }

    /// Midnight at the start of the period, local time.
    pub fn start_time(&self) -> NaiveDateTime {
        self.start.and_hms_opt(0, 0, 0).expect("midnight exists")
    }
}

/// Characters escaped in a URL path segment: controls, space, and the
/// characters that would end or change the meaning of a path.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// The URL of a file at `path` under the site root. Non-ASCII names are
/// percent-encoded once as UTF-8, and a trailing `index.html` is dropped as
/// Movable Type does.
pub fn url_for(site_url: &str, path: &str) -> String {
    let index = format!("{}.{}", specifier::INDEX_BASENAME, specifier::FILE_EXTENSION);
    let trimmed =
        if path == index { "" } else { path.strip_suffix(&index).filter(|rest| rest.ends_with('/')).unwrap_or(path) };
    let encoded: Vec<String> =
        trimmed.split('/').map(|part| utf8_percent_encode(part, PATH_SEGMENT).to_string()).collect();
    format!("{site_url}{}", encoded.join("/"))
}

/// Queue priority of a file, as in Movable Type's publish queue: permalinks
/// first (10), then index files (8 for main indexes and feeds, 9 for
/// others), then date and category archives. Uploaded files and thumbnails
/// come before everything, since pages link to them.
pub fn priority(archive_type: ArchiveType, output: &str) -> i32 {
    match archive_type {
        ArchiveType::Asset | ArchiveType::Thumbnail => 20,
        ArchiveType::Individual | ArchiveType::Page => 10,
        ArchiveType::Index => {
            let name = output.rsplit('/').next().unwrap_or(output);
            let stem = name.split('.').next().unwrap_or(name);
            if ["index", "default", "atom", "feed", "rss"].contains(&stem) { 8 } else { 9 }
        }
        ArchiveType::Daily => 4,
        ArchiveType::Weekly => 3,
        ArchiveType::Monthly => 2,
        ArchiveType::Yearly | ArchiveType::Category | ArchiveType::Author => 1,
    }
}

/// The sync tier of a file: a target gets tier 0 (uploaded files and
/// thumbnails) before tier 1 (entry and page permalinks) before tier 2
/// (indexes, archives, feeds), so no page goes live before what it links to.
pub fn tier(archive_type: ArchiveType) -> u8 {
    match archive_type {
        ArchiveType::Asset | ArchiveType::Thumbnail => 0,
        ArchiveType::Individual | ArchiveType::Page => 1,
        _ => 2,
    }
}

/// The tier of a removal: after every upload.
pub const DELETE_TIER: u8 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn periods_contain_their_dates() {
        let time = local("2024-05-08 23:59:00");
        assert_eq!(Period::containing(ArchiveType::Monthly, time).unwrap().label(), "2024-05");
        assert_eq!(Period::containing(ArchiveType::Weekly, time).unwrap().label(), "2024-05-05");
        assert_eq!(Period::containing(ArchiveType::Yearly, time).unwrap().label(), "2024");
        assert_eq!(Period::containing(ArchiveType::Daily, time).unwrap().title(), "May 8, 2024");
        let monthly = Period::parse(ArchiveType::Monthly, "2024-05").unwrap();
        assert_eq!(monthly.title(), "May 2024");
    }

    #[test]
    fn urls_encode_once_and_drop_index() {
        assert_eq!(url_for("http://x.test/", "index.html"), "http://x.test/");
        assert_eq!(url_for("http://x.test/", "2024/05/index.html"), "http://x.test/2024/05/");
        assert_eq!(url_for("/", "a b/สวัสดี.html"), "/a%20b/%E0%B8%AA%E0%B8%A7%E0%B8%B1%E0%B8%AA%E0%B8%94%E0%B8%B5.html");
        assert_eq!(url_for("/", "100%.png"), "/100%25.png");
        assert_eq!(url_for("/", "myindex.html"), "/myindex.html");
    }

    #[test]
    fn priorities_follow_movable_type() {
        assert_eq!(priority(ArchiveType::Individual, ""), 10);
        assert_eq!(priority(ArchiveType::Index, "atom.xml"), 8);
        assert_eq!(priority(ArchiveType::Index, "styles.css"), 9);
        assert_eq!(priority(ArchiveType::Monthly, ""), 2);
    }
}
