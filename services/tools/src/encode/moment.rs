//! Dates and times as a language model writes them ("2026-06-30",
//! "2026-06-30 14:00", "2026-06-30T14:00:00Z") read into the pieces Podio's
//! date values and date filters are built from.

use crate::args::is_date;

/// A calendar date with an optional time of day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// "YYYY-MM-DD".
    pub date: String,
    /// "HH:MM:SS", when a time was given.
    pub time: Option<String>,
    /// Whether the time was marked as UTC (a trailing "Z").
    pub utc: bool,
}

/// What a date argument accepts, for error messages.
pub const ACCEPTED: &str = "\"YYYY-MM-DD\", \"YYYY-MM-DD HH:MM[:SS]\" or \"YYYY-MM-DDTHH:MM[:SS][Z]\" (e.g. \"2026-06-30\" or \"2026-06-30 14:00\")";

impl Moment {
    /// Reads `s`; `None` when it is not one of the [`ACCEPTED`] forms or not
    /// a real date and time.
    pub fn parse(s: &str) -> Option<Moment> {
        let s = s.trim();
        let (date, rest) = match s.split_once([' ', 'T']) {
            Some((date, rest)) => (date, Some(rest.trim())),
            None => (s, None),
        };
        if !is_date(date) {
            return None;
        }
        let Some(rest) = rest else {
            return Some(Moment {
                date: date.to_owned(),
                time: None,
                utc: false,
            });
        };
        let (clock, utc) = match rest.strip_suffix(['Z', 'z']) {
            Some(clock) => (clock, true),
            None => (rest, false),
        };
        Some(Moment {
            date: date.to_owned(),
            time: Some(clock_time(clock)?),
            utc,
        })
    }

    /// Whether the time is midnight or absent.
    pub fn is_midnight(&self) -> bool {
        self.time.as_deref().is_none_or(|t| t == "00:00:00")
    }

    /// The same day without its time.
    pub fn date_only(&self) -> Moment {
        Moment {
            date: self.date.clone(),
            time: None,
            utc: false,
        }
    }

    /// "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS".
    pub fn render(&self) -> String {
        match &self.time {
            Some(time) => format!("{} {time}", self.date),
            None => self.date.clone(),
        }
    }
}

/// "HH:MM" or "HH:MM:SS" as "HH:MM:SS".
fn clock_time(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(':').collect();
    let two_digits = |p: &str, max: u32| {
        (p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (two_digits(h, 23)?, two_digits(m, 59)?, 0),
        [h, m, sec] => (two_digits(h, 23)?, two_digits(m, 59)?, two_digits(sec, 59)?),
        _ => return None,
    };
    Some(format!("{h:02}:{m:02}:{sec:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let m = Moment::parse("2026-06-30").expect("date");
        assert_eq!((m.render(), m.utc), ("2026-06-30".to_owned(), false));
        let m = Moment::parse("2026-06-30 14:00").expect("short time");
        assert_eq!(m.render(), "2026-06-30 14:00:00");
        let m = Moment::parse("2026-06-30T14:05:09Z").expect("iso utc");
        assert_eq!(
            (m.render(), m.utc),
            ("2026-06-30 14:05:09".to_owned(), true)
        );
        assert!(
            Moment::parse("2026-06-30 00:00:00")
                .expect("midnight")
                .is_midnight()
        );
    }

    #[test]
    fn refused_forms() {
        for bad in [
            "2026-02-30",
            "30/06/2026",
            "2026-06-30 25:00",
            "2026-06-30 9:00",
            "soon",
            "2026-06-30T",
        ] {
            assert_eq!(Moment::parse(bad), None, "{bad}");
        }
    }
}
