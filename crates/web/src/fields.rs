//! Form fields as a browser sends them (always text) read into typed values, each problem a
//! message to show beside its input; and typed values written back into an edit form. A
//! resource's form (what `app generate resource` writes) is built from these.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// A whole number within `i32`.
pub fn int(raw: &str) -> Result<i32, String> {
    let raw = filled(raw, "enter a whole number")?;
    raw.parse()
        .map_err(|_| number_error(raw, i32::MIN.into(), i32::MAX.into()))
}

/// A whole number within `i64`.
pub fn bigint(raw: &str) -> Result<i64, String> {
    let raw = filled(raw, "enter a whole number")?;
    raw.parse()
        .map_err(|_| number_error(raw, i64::MIN, i64::MAX))
}

/// A finite decimal number, with `.` as the decimal point.
pub fn float(raw: &str) -> Result<f64, String> {
    let raw = filled(raw, "enter a number, like 12.5")?;
    match raw.parse::<f64>() {
        Ok(value) if value.is_finite() && !raw.contains(|c: char| c.is_ascii_alphabetic()) => {
            Ok(value)
        }
        _ => Err(format!("\"{raw}\" is not a number; write it like 12.5")),
    }
}

/// A date as `YYYY-MM-DD` (what `<input type="date">` sends).
pub fn date(raw: &str) -> Result<NaiveDate, String> {
    let raw = filled(raw, "enter a date")?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("\"{raw}\" is not a date; write it as YYYY-MM-DD"))
}

/// A time in UTC as `YYYY-MM-DDTHH:MM[:SS[.fraction]]` (what `<input type="datetime-local">`
/// sends), or with an offset as RFC 3339 (`2026-01-31T12:30:00+01:00`).
pub fn datetime(raw: &str) -> Result<DateTime<Utc>, String> {
    let raw = filled(raw, "enter a date and time")?;
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(raw) {
        return Ok(with_offset.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
    .map(|naive| naive.and_utc())
    .ok_or_else(|| format!("\"{raw}\" is not a date and time; write it as YYYY-MM-DDTHH:MM (UTC)"))
}

/// A UUID in its usual hyphenated form.
pub fn uuid(raw: &str) -> Result<uuid::Uuid, String> {
    let raw = filled(raw, "enter a UUID")?;
    uuid::Uuid::try_parse(raw).map_err(|_| {
        format!("\"{raw}\" is not a UUID; write it like 67e55044-10b1-426f-9247-bb680e5fe0c8")
    })
}

/// A checkbox: ticked when the browser sent it at all.
pub fn checkbox(sent: Option<&str>) -> bool {
    sent.is_some()
}

/// A yes/no choice that may be left unset: `""` is `None`, `"yes"` and `"no"` are the answers.
pub fn yes_no(raw: &str) -> Result<Option<bool>, String> {
    match raw.trim() {
        "" => Ok(None),
        "yes" => Ok(Some(true)),
        "no" => Ok(Some(false)),
        other => Err(format!(
            "\"{other}\" is not a choice here: pick yes, no or nothing"
        )),
    }
}

/// `parse` for a field that may be left blank: blank is `None`.
pub fn optional<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

/// A date as an edit form shows it (`<input type="date">`).
pub fn date_value(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A time as an edit form shows it (`<input type="datetime-local" step="1">`, in UTC), keeping
/// its seconds and fraction so that saving an unchanged form changes nothing.
pub fn datetime_value(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

/// A yes/no choice as an edit form shows it (see [`yes_no`]).
pub fn yes_no_value(value: Option<bool>) -> String {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
    .to_owned()
}

fn filled<'a>(raw: &'a str, ask: &str) -> Result<&'a str, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        Err(ask.to_owned())
    } else {
        Ok(raw)
    }
}

fn number_error(raw: &str, min: i64, max: i64) -> String {
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("must be between {min} and {max}")
    } else {
        format!("\"{raw}\" is not a whole number")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_or_refused_with_a_reason() {
        assert_eq!(int(" 42 "), Ok(42));
        assert_eq!(int(""), Err("enter a whole number".into()));
        assert!(int("4.2").unwrap_err().contains("not a whole number"));
        assert!(int("3000000000").unwrap_err().contains("between"));
        assert_eq!(bigint("3000000000"), Ok(3_000_000_000));
        assert_eq!(float("1.5"), Ok(1.5));
        for bad in ["NaN", "inf", "1,5", "1e999"] {
            assert!(float(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_times_and_uuids_round_trip_through_a_form() {
        let day = date("2026-01-31").unwrap();
        assert_eq!(date(&date_value(day)), Ok(day));
        assert!(date("31/01/2026").is_err());
        let time = datetime("2026-01-31T12:30:15.25").unwrap();
        assert_eq!(datetime(&datetime_value(time)), Ok(time));
        assert_eq!(
            datetime("2026-01-31T13:30:00+01:00"),
            datetime("2026-01-31T12:30")
        );
        assert!(datetime("tomorrow").is_err());
        assert!(uuid("67e55044-10b1-426f-9247-bb680e5fe0c8").is_ok());
        assert!(uuid("67e55044").is_err());
    }

    #[test]
    fn blank_optional_fields_are_none() {
        assert_eq!(optional(" ", int), Ok(None));
        assert_eq!(optional("7", int), Ok(Some(7)));
        assert_eq!(yes_no(""), Ok(None));
        assert_eq!(yes_no("no"), Ok(Some(false)));
        assert!(yes_no("maybe").is_err());
        assert_eq!(yes_no_value(Some(true)), "yes");
        assert!(checkbox(Some("true")) && !checkbox(None));
    }
}
