//! Movable Type's archive file path specifiers, such as `%y/%m/%f`.
//!
//! | specifier | value |
//! |---|---|
//! | `%a` / `%-a` | author basename, with `_` / with `-` |
//! | `%b` / `%-b` | entry basename, as stored / `_` turned into `-` |
//! | `%c` / `%-c` | category path from the top category, with `_` / with `-` |
//! | `%C` / `%-C` | basename of the category alone |
//! | `%d` | 2-digit day; `%D` 3-letter weekday |
//! | `%e` / `%E` | entry id padded to 6 digits / unpadded |
//! | `%f` / `%-f` | `%b` or `%i` (whichever fits the archive) with the extension |
//! | `%F` / `%-F` | the same without extension |
//! | `%h` / `%H` | 2-digit hour / hour without leading zero (24-hour clock) |
//! | `%i` / `%I` | `index.html` / `index` |
//! | `%j` | 3-digit day of the year |
//! | `%m` / `%M` | 2-digit month / 3-letter month |
//! | `%n` / `%s` | 2-digit minute / second |
//! | `%x` | the extension with its dot, `.html` |
//! | `%y` / `%Y` | 4-digit year / 2-digit year |
//! | `%%` | a literal `%` |
//!
//! Dates are the entry's date (individual archives) or the first day of the
//! period (date-based archives), both in the site's time zone.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// The index file name without extension (Movable Type's `IndexBasename`).
pub const INDEX_BASENAME: &str = "index";
/// The extension of published HTML files, without the dot.
pub const FILE_EXTENSION: &str = "html";

/// The values a pattern can refer to for one file.
#[derive(Clone, Debug, Default)]
pub struct PathValues<'a> {
    /// The local date of the entry or of the period's start.
    pub date: Option<NaiveDateTime>,
    pub entry_id: Option<i64>,
    /// The entry basename; `None` for archives that list entries.
    pub basename: Option<&'a str>,
    /// Category basenames from the top category down.
    pub category_path: &'a [String],
    pub author_basename: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("unknown file specifier %{specifier} in pattern {pattern:?}")]
    Unknown { pattern: String, specifier: String },
    #[error("pattern {pattern:?} ends with a lone %")]
    Dangling { pattern: String },
    #[error("pattern {pattern:?} must give a path under the site root: no leading '/' and no '.' or '..' parts")]
    Escapes { pattern: String },
}

/// Checks that every specifier in `pattern` is known and that the pattern
/// stays under the site root.
pub fn validate(pattern: &str) -> Result<(), PatternError> {
    expand(pattern, &PathValues::default())?;
    let escapes = pattern.starts_with('/') || pattern.split('/').any(|part| part == "." || part == "..");
    if escapes {
        return Err(PatternError::Escapes { pattern: pattern.to_string() });
    }
    Ok(())
}

/// Expands `pattern` with `values`. Repeated and leading `/` that empty
/// values leave behind are collapsed, so that `%c/%f` of an entry without a
/// category gives `basename.html`.
pub fn expand(pattern: &str, values: &PathValues<'_>) -> Result<String, PatternError> {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let mut dashed = false;
        let mut code = chars.next().ok_or_else(|| PatternError::Dangling { pattern: pattern.into() })?;
        if code == '-' {
            dashed = true;
            code = chars.next().ok_or_else(|| PatternError::Dangling { pattern: pattern.into() })?;
        }
        let value = specifier_value(code, dashed, values).ok_or_else(|| PatternError::Unknown {
            pattern: pattern.into(),
            specifier: if dashed { format!("-{code}") } else { code.to_string() },
        })?;
        out.push_str(&value);
    }
    Ok(collapse_slashes(&out))
}

fn specifier_value(code: char, dashed: bool, values: &PathValues<'_>) -> Option<String> {
    let dash = |text: &str| if dashed { text.replace('_', "-") } else { text.to_string() };
    let date = values.date;
    let two = |pick: fn(&NaiveDateTime) -> u32| date.map(|d| format!("{:02}", pick(&d))).unwrap_or_default();
    let file_stem = || match values.basename {
        Some(basename) => dash(basename),
        None => INDEX_BASENAME.to_string(),
    };

    let value = match code {
        'a' => dash(values.author_basename.unwrap_or("")),
        'b' => dash(values.basename.unwrap_or("")),
        'c' => dash(&values.category_path.join("/")),
        'C' => dash(values.category_path.last().map_or("", String::as_str)),
        'd' => two(|d| d.day()),
        'D' => date.map(|d| d.format("%a").to_string()).unwrap_or_default(),
        'e' => values.entry_id.map(|id| format!("{id:06}")).unwrap_or_default(),
        'E' => values.entry_id.map(|id| id.to_string()).unwrap_or_default(),
        'f' => format!("{}.{FILE_EXTENSION}", file_stem()),
        'F' => file_stem(),
        'h' => two(|d| d.hour()),
        'H' => date.map(|d| d.hour().to_string()).unwrap_or_default(),
        'i' => format!("{INDEX_BASENAME}.{FILE_EXTENSION}"),
        'I' => INDEX_BASENAME.to_string(),
        'j' => date.map(|d| format!("{:03}", d.ordinal())).unwrap_or_default(),
        'm' => two(|d| d.month()),
        'M' => date.map(|d| d.format("%b").to_string()).unwrap_or_default(),
        'n' => two(|d| d.minute()),
        's' => two(|d| d.second()),
        'x' => format!(".{FILE_EXTENSION}"),
        'y' => date.map(|d| format!("{:04}", d.year())).unwrap_or_default(),
        'Y' => date.map(|d| format!("{:02}", d.year().rem_euclid(100))).unwrap_or_default(),
        '%' if !dashed => "%".to_string(),
        _ => return None,
    };
    Some(value)
}

fn collapse_slashes(path: &str) -> String {
    path.split('/').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<NaiveDateTime> {
        Some(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    #[test]
    fn individual_pattern_keeps_underscores() {
        let values =
            PathValues { date: date("2008-01-05 09:04:00"), basename: Some("junk_faxes"), ..Default::default() };
        assert_eq!(expand("%y/%m/%f", &values).unwrap(), "2008/01/junk_faxes.html");
        assert_eq!(expand("%y/%m/%-f", &values).unwrap(), "2008/01/junk-faxes.html");
        assert_eq!(expand("%y/%m/%d/%b/%i", &values).unwrap(), "2008/01/05/junk_faxes/index.html");
    }

    #[test]
    fn category_and_date_archives() {
        let path = vec!["arts_and_entertainment".to_string(), "tv".to_string()];
        let values = PathValues { category_path: &path, ..Default::default() };
        assert_eq!(expand("%-c/%i", &values).unwrap(), "arts-and-entertainment/tv/index.html");
        assert_eq!(expand("%C/%f", &values).unwrap(), "tv/index.html");

        let values = PathValues { date: date("2020-10-26 00:00:00"), ..Default::default() };
        assert_eq!(expand("%y/%m/%d/%i", &values).unwrap(), "2020/10/26/index.html");
        assert_eq!(expand("%Y%M-%j%x", &values).unwrap(), "20Oct-300.html");
    }

    #[test]
    fn empty_category_collapses() {
        let values = PathValues { basename: Some("about"), ..Default::default() };
        assert_eq!(expand("%c/%f", &values).unwrap(), "about.html");
    }

    #[test]
    fn unknown_specifier_is_named() {
        assert_eq!(
            validate("%y/%q.html"),
            Err(PatternError::Unknown { pattern: "%y/%q.html".into(), specifier: "q".into() })
        );
        assert!(matches!(validate("abc%"), Err(PatternError::Dangling { .. })));
        assert!(matches!(validate("../%y/%i"), Err(PatternError::Escapes { .. })));
        assert!(matches!(validate("/abs/%i"), Err(PatternError::Escapes { .. })));
    }
}
