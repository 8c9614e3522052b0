//! Dates for people: `{{ at | ago }}` ("3 minutes ago", "yesterday", "12 Nov 2026") and
//! `{{ at | exact }}` ("29 Nov 2026, 13:36:16 UTC", for a `title` shown on hover). Templates get
//! timestamps as RFC 3339 text (how chrono serialises them); anything else passes through as it
//! came, so a page never fails over a date.
//!
//! ```html
//! <time datetime="{{ p.updated_at }}" title="{{ p.updated_at | exact }}">{{ p.updated_at | ago }}</time>
//! ```

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tera::Value;

pub(crate) fn register(tera: &mut tera::Tera) {
    tera.register_filter("ago", ago_filter);
    tera.register_filter("exact", exact_filter);
}

fn parse(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

fn ago_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(parse(value).map_or_else(|| value.clone(), |at| Value::String(ago(at, Utc::now()))))
}

fn exact_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(parse(value).map_or_else(|| value.clone(), |at| Value::String(exact(at))))
}

/// `29 Nov 2026, 13:36:16 UTC`.
pub(crate) fn exact(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M:%S UTC").to_string()
}

/// How long ago (or how far ahead) `at` is, as a person would say it; a date beyond a week.
pub(crate) fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    let (amount, past) = (seconds.unsigned_abs(), seconds >= 0);
    let say = |n: u64, unit: &str| {
        let unit = if n == 1 {
            unit.to_owned()
        } else {
            format!("{unit}s")
        };
        if past {
            format!("{n} {unit} ago")
        } else {
            format!("in {n} {unit}")
        }
    };
    match amount {
        0..45 => "just now".to_owned(),
        45..90 => say(1, "minute"),
        90..5_400 => say((amount + 30) / 60, "minute"),
        5_400..79_200 => say((amount + 1_800) / 3_600, "hour"),
        79_200..172_800 if past => "yesterday".to_owned(),
        79_200..172_800 => "tomorrow".to_owned(),
        172_800..604_800 => say((amount + 43_200) / 86_400, "day"),
        _ => at.format("%-d %b %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use tera::Value;

    use super::{ago, exact, parse};

    #[test]
    fn recent_times_read_as_a_person_would_say_them() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let cases = [
            (Duration::seconds(5), "just now"),
            (Duration::seconds(60), "1 minute ago"),
            (Duration::minutes(3), "3 minutes ago"),
            (Duration::seconds(3 * 60 + 40), "4 minutes ago"),
            (Duration::minutes(89), "89 minutes ago"),
            (Duration::minutes(90), "2 hours ago"),
            (Duration::hours(5), "5 hours ago"),
            (Duration::hours(30), "yesterday"),
            (Duration::days(3), "3 days ago"),
            (Duration::days(40), "20 Oct 2026"),
            (Duration::minutes(-10), "in 10 minutes"),
            (Duration::hours(-30), "tomorrow"),
        ];
        for (before, said) in cases {
            assert_eq!(ago(now - before, now), said, "{before}");
        }
    }

    #[test]
    fn the_exact_time_names_its_zone_and_odd_input_passes_through() {
        let at = parse(&Value::from("2026-11-29T13:36:16.123456Z")).unwrap();
        assert_eq!(exact(at), "29 Nov 2026, 13:36:16 UTC");
        assert!(parse(&Value::from("yesterday")).is_none());
        assert!(parse(&Value::from(12)).is_none());
    }
}
