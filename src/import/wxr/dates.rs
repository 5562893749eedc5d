//! WXR dates: MySQL `YYYY-MM-DD HH:MM:SS` values and RSS `pubDate`.

use chrono::{DateTime, NaiveDateTime};

use super::tree::{Element, Ns};
use crate::import::source::ImportedDate;

const MYSQL_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Reads a record's date from its UTC field (`post_date_gmt`,
/// `comment_date_gmt`), else its local field (`post_date`, `comment_date`),
/// else, when `use_pub_date` is set, the RSS `pubDate`.
///
/// A field that is missing, empty or a zero date (`0000-00-00 00:00:00`,
/// which WordPress writes for unsent drafts) is passed over. The first field
/// with a value decides: it gives the date, or the error when it does not
/// parse. Returns `Ok(None)` when no field has a value.
///
/// # Errors
///
/// Returns a message naming the field and its value.
pub(super) fn read_date(
    element: &Element,
    utc_field: &str,
    local_field: &str,
    use_pub_date: bool,
) -> Result<Option<ImportedDate>, String> {
    if let Some(value) = present(element.child_text(Ns::Wp, utc_field)) {
        let date = parse_mysql(value).ok_or_else(|| invalid(utc_field, value))?;
        return Ok(Some(ImportedDate::Utc(date.and_utc())));
    }

    if let Some(value) = present(element.child_text(Ns::Wp, local_field)) {
        let date = parse_mysql(value).ok_or_else(|| invalid(local_field, value))?;
        return Ok(Some(ImportedDate::Local(date)));
    }

    if !use_pub_date {
        return Ok(None);
    }
    let Some(value) = present(element.child_text(Ns::Rss, "pubDate")) else {
        return Ok(None);
    };
    let date = DateTime::parse_from_rfc2822(value).map_err(|_| {
        format!(
            "invalid pubDate value {value:?}: expected an RFC 2822 date such as \"Thu, 05 Jan 2012 14:30:46 +0000\""
        )
    })?;
    Ok(Some(ImportedDate::Utc(date.to_utc())))
}

/// Returns the trimmed value unless it is missing, empty or a zero date. A
/// `pubDate` made from a zero date reads `… -0001 …` and counts as zero too.
fn present(value: Option<&str>) -> Option<&str> {
    let value = value?.trim();
    let is_zero = value.starts_with("0000-00-00") || value.contains(" -0001 ");
    (!value.is_empty() && !is_zero).then_some(value)
}

fn parse_mysql(value: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(value, MYSQL_FORMAT).ok()
}

fn invalid(field: &str, value: &str) -> String {
    format!("invalid wp:{field} value {value:?}: expected YYYY-MM-DD HH:MM:SS")
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;

    fn item(fields: &[(Ns, &str, &str)]) -> Element {
        let children = fields
            .iter()
            .map(|&(ns, name, text)| Element {
                ns,
                name: name.into(),
                attributes: Vec::new(),
                text: text.into(),
                children: Vec::new(),
                line: 1,
            })
            .collect();
        Element { ns: Ns::Rss, name: "item".into(), attributes: Vec::new(), text: String::new(), children, line: 1 }
    }

    fn read(element: &Element) -> Result<Option<ImportedDate>, String> {
        read_date(element, "post_date_gmt", "post_date", true)
    }

    #[test]
    fn read_date_prefers_gmt() {
        let element =
            item(&[(Ns::Wp, "post_date", "2012-01-05 09:30:46"), (Ns::Wp, "post_date_gmt", "2012-01-05 14:30:46")]);
        let expected = Utc.with_ymd_and_hms(2012, 1, 5, 14, 30, 46).unwrap();
        assert_eq!(read(&element), Ok(Some(ImportedDate::Utc(expected))));
    }

    #[test]
    fn read_date_skips_zero_gmt() {
        let element =
            item(&[(Ns::Wp, "post_date", "2012-01-05 09:30:46"), (Ns::Wp, "post_date_gmt", "0000-00-00 00:00:00")]);
        let expected = NaiveDate::from_ymd_opt(2012, 1, 5).unwrap().and_hms_opt(9, 30, 46).unwrap();
        assert_eq!(read(&element), Ok(Some(ImportedDate::Local(expected))));
    }

    #[test]
    fn read_date_falls_back_to_pub_date() {
        let element = item(&[(Ns::Rss, "pubDate", "Thu, 05 Jan 2012 14:30:46 +0100")]);
        let expected = Utc.with_ymd_and_hms(2012, 1, 5, 13, 30, 46).unwrap();
        assert_eq!(read(&element), Ok(Some(ImportedDate::Utc(expected))));
    }

    #[test]
    fn read_date_without_fields_is_none() {
        assert_eq!(read(&item(&[])), Ok(None));

        let zero = item(&[(Ns::Rss, "pubDate", "Mon, 30 Nov -0001 00:00:00 +0000")]);
        assert_eq!(read(&zero), Ok(None));
    }

    #[test]
    fn read_date_rejects_invalid_value() {
        let element = item(&[(Ns::Wp, "post_date_gmt", "yesterday")]);
        let error = read(&element).unwrap_err();
        assert!(error.contains("wp:post_date_gmt"), "{error}");
        assert!(error.contains("\"yesterday\""), "{error}");

        let element = item(&[(Ns::Rss, "pubDate", "05/01/2012")]);
        assert!(read(&element).unwrap_err().contains("pubDate"));
    }

    #[test]
    fn read_date_ignores_pub_date_when_told() {
        let element = item(&[(Ns::Rss, "pubDate", "Thu, 05 Jan 2012 14:30:46 +0000")]);
        assert_eq!(read_date(&element, "comment_date_gmt", "comment_date", false), Ok(None));
    }
}
