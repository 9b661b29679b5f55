//! Calendar arithmetic for Podio's `"YYYY-MM-DD HH:MM:SS"` timestamps.
//!
//! The simulator keeps dates as strings in that format, which sort the same
//! way as the instants they name, so comparisons need no date library.

/// The civil date `days` days after 1970-01-01 (proleptic Gregorian).
pub fn date_from_days(days: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days from 1970-01-01 to the civil date `year-month-day`.
pub fn days_from_date(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS`, the stamp writes put on
/// what they create or change.
pub fn now_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let secs = i64::try_from(secs).unwrap_or(0);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}",
        date_from_days(secs.div_euclid(86_400)),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Whether `s` is `YYYY-MM-DD`.
pub fn is_date(s: &str) -> bool {
    is_date_bytes(s.as_bytes())
}

fn is_date_bytes(b: &[u8]) -> bool {
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Whether `s` is `YYYY-MM-DD HH:MM:SS`.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && is_date_bytes(&b[..10])
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[11..]
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_civil_dates() {
        assert_eq!(date_from_days(0), "1970-01-01");
        assert_eq!(date_from_days(days_from_date(2024, 2, 29)), "2024-02-29");
        assert_eq!(
            date_from_days(days_from_date(2024, 2, 29) + 1),
            "2024-03-01"
        );
        assert_eq!(days_from_date(2000, 1, 1), 10_957);
    }

    #[test]
    fn formats_are_recognised() {
        assert!(is_date("2024-04-30"));
        assert!(!is_date("2024-4-30"));
        assert!(is_timestamp("2024-04-30 23:59:59"));
        assert!(!is_timestamp("2024-04-30T23:59:59"));
        assert!(is_timestamp(&now_timestamp()));
    }
}
