//! Values of single-line MT fields: dates, statuses, tag lists and URLs.

use chrono::{NaiveDate, NaiveDateTime};

use crate::model::Status;

/// Parses an MT date: `MM/DD/YYYY hh:mm:ss` followed by an optional `AM` or
/// `PM` (any case).
///
/// As in Movable Type's importer, month, day and time fields may have one or
/// two digits, a two-digit year means 19xx, and without AM or PM the hour is
/// on the 24-hour clock. With AM, hour 12 is midnight; with PM, hours 1 to 11
/// move to the afternoon and 12 is noon.
pub(super) fn parse_date(value: &str) -> Option<NaiveDateTime> {
    let mut words = value.split_whitespace();
    let date = words.next()?;
    let time = words.next()?;
    let meridiem = words.next();
    if words.next().is_some() {
        return None;
    }

    let [month, day, year] = split_numbers(date, '/')?;
    let [hour, minute, second] = split_numbers(time, ':')?;
    let year_digits = date.rsplit('/').next()?.len();
    let year = match year_digits {
        2 => year + 1900,
        4 => year,
        _ => return None,
    };
    let hour = to_24_hour(hour, meridiem)?;

    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?.and_hms_opt(hour, minute, second)
}

/// Maps an MT `STATUS` value, in any case: `Publish` to published, `Draft`,
/// `Review` and `Unpublish` to draft, `Future` to scheduled.
pub(super) fn parse_status(value: &str) -> Option<Status> {
    let status = match value.to_ascii_lowercase().as_str() {
        "publish" => Status::Published,
        "draft" | "review" | "unpublish" => Status::Draft,
        "future" => Status::Scheduled,
        _ => return None,
    };
    Some(status)
}

/// Splits an MT `TAGS` value at commas. A tag that starts with `"` or `'`
/// runs to the matching quote and may contain commas and spaces, which is
/// how Movable Type quotes such tags on export. Tags are trimmed, and empty
/// and repeated tags are dropped.
pub(super) fn split_tags(value: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut rest = value.trim_start();

    while !rest.is_empty() {
        let (tag, after) = next_tag(rest);
        let tag = tag.trim();
        if !tag.is_empty() && !tags.iter().any(|known| known == tag) {
            tags.push(tag.to_string());
        }
        rest = match after.find(',') {
            Some(comma) => after[comma + 1..].trim_start(),
            None => "",
        };
    }
    tags
}

/// Reads a commenter URL. Some exports write it as a link
/// (`<a href="http://x/">http://x/</a>`), and then the `href` value is
/// returned. Any other value is returned as it is.
pub(super) fn comment_url(value: &str) -> String {
    let is_link = value.len() > 3 && value[..3].eq_ignore_ascii_case("<a ");
    if !is_link {
        return value.to_string();
    }

    let Some(start) = value.find("href=\"").map(|index| index + "href=\"".len()) else {
        return value.to_string();
    };
    match value[start..].find('"') {
        Some(length) => value[start..start + length].to_string(),
        None => value.to_string(),
    }
}

/// Returns the tag at the start of `text` and the text after it. `after`
/// starts at the comma that ends the tag, or after the closing quote.
fn next_tag(text: &str) -> (&str, &str) {
    let quote = text.chars().next().filter(|&c| c == '"' || c == '\'');

    if let Some(quote) = quote {
        let inner = &text[1..];
        return match inner.find(quote) {
            Some(end) => (&inner[..end], &inner[end + 1..]),
            None => (inner, ""),
        };
    }

    match text.find(',') {
        Some(comma) => (&text[..comma], &text[comma..]),
        None => (text, ""),
    }
}

fn split_numbers(text: &str, separator: char) -> Option<[u32; 3]> {
    let mut numbers = [0; 3];
    let mut parts = text.split(separator);

    for number in &mut numbers {
        let part = parts.next()?;
        let valid = (1..=4).contains(&part.len()) && part.bytes().all(|byte| byte.is_ascii_digit());
        if !valid {
            return None;
        }
        *number = part.parse().ok()?;
    }

    parts.next().is_none().then_some(numbers)
}

fn to_24_hour(hour: u32, meridiem: Option<&str>) -> Option<u32> {
    let Some(meridiem) = meridiem else {
        return Some(hour);
    };
    if meridiem.eq_ignore_ascii_case("AM") {
        Some(if hour == 12 { 0 } else { hour })
    } else if meridiem.eq_ignore_ascii_case("PM") {
        Some(if hour < 12 { hour + 12 } else { hour })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn parse_date_reads_12_hour_clock() {
        assert_eq!(parse_date("08/08/2007 03:00:00 PM"), Some(date("2007-08-08 15:00:00")));
        assert_eq!(parse_date("02/01/2002 04:02:07 AM"), Some(date("2002-02-01 04:02:07")));
        assert_eq!(parse_date("11/13/2014 10:10:52 PM"), Some(date("2014-11-13 22:10:52")));
    }

    #[test]
    fn parse_date_handles_12_am_and_pm() {
        assert_eq!(parse_date("01/01/2020 12:00:00 AM"), Some(date("2020-01-01 00:00:00")));
        assert_eq!(parse_date("01/01/2020 12:30:15 AM"), Some(date("2020-01-01 00:30:15")));
        assert_eq!(parse_date("01/01/2020 12:00:00 PM"), Some(date("2020-01-01 12:00:00")));
        assert_eq!(parse_date("08/12/2003 12:07:13 PM"), Some(date("2003-08-12 12:07:13")));
    }

    #[test]
    fn parse_date_reads_24_hour_clock() {
        assert_eq!(parse_date("01/31/2002 15:47:06"), Some(date("2002-01-31 15:47:06")));
        assert_eq!(parse_date("06/15/2025 18:45:06"), Some(date("2025-06-15 18:45:06")));
        assert_eq!(parse_date("01/30/2019 03:30:00"), Some(date("2019-01-30 03:30:00")));
    }

    #[test]
    fn parse_date_accepts_loose_forms() {
        assert_eq!(parse_date("1/2/2003 3:04:05 pm"), Some(date("2003-01-02 15:04:05")));
        assert_eq!(parse_date("  01/02/03 03:04:05  "), Some(date("1903-01-02 03:04:05")));
    }

    #[test]
    fn parse_date_rejects_invalid_values() {
        for value in [
            "",
            "yesterday",
            "2007-08-08 15:00:00",
            "13/01/2007 10:00:00",
            "02/30/2007 10:00:00",
            "08/08/2007 25:00:00",
            "08/08/2007 15:00:00 XM",
            "08/08/2007 10:00",
            "08/08/2007 10:00:00 PM extra",
            "08/08/207 10:00:00",
        ] {
            assert_eq!(parse_date(value), None, "{value:?}");
        }
    }

    #[test]
    fn parse_status_maps_every_value() {
        assert_eq!(parse_status("Publish"), Some(Status::Published));
        assert_eq!(parse_status("publish"), Some(Status::Published));
        assert_eq!(parse_status("Draft"), Some(Status::Draft));
        assert_eq!(parse_status("Review"), Some(Status::Draft));
        assert_eq!(parse_status("UNPUBLISH"), Some(Status::Draft));
        assert_eq!(parse_status("Future"), Some(Status::Scheduled));
        assert_eq!(parse_status("Published"), None);
    }

    #[test]
    fn split_tags_reads_quoted_tags() {
        assert_eq!(split_tags("\"Movable Type\",foo,bar"), vec!["Movable Type", "foo", "bar"]);
        assert_eq!(split_tags("\"a, b\", c"), vec!["a, b", "c"]);
        assert_eq!(split_tags("'say \"hi\"',x"), vec!["say \"hi\"", "x"]);
    }

    #[test]
    fn split_tags_drops_empty_and_repeated() {
        assert_eq!(split_tags("first, goodtag,,first , "), vec!["first", "goodtag"]);
        assert!(split_tags("").is_empty());
    }

    #[test]
    fn split_tags_reads_unterminated_quote() {
        assert_eq!(split_tags("\"open, tag"), vec!["open, tag"]);
    }

    #[test]
    fn split_tags_keeps_inner_apostrophe() {
        assert_eq!(split_tags("don't,stop"), vec!["don't", "stop"]);
    }

    #[test]
    fn comment_url_unwraps_links() {
        let link = "<a href=\"http://www.quux.com/\">http://www.quux.com/</a>";
        assert_eq!(comment_url(link), "http://www.quux.com/");
        assert_eq!(comment_url("http://example.com/"), "http://example.com/");
        assert_eq!(comment_url(""), "");
        assert_eq!(comment_url("<a name=\"x\">"), "<a name=\"x\">");
    }
}
