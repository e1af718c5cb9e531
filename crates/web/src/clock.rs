//! The one clock question the rules need answered: what day it is. onebudget's "today" is
//! the date in Europe/London, whatever zone the machine is set to, so a spending record
//! made at 00:30 on a summer's morning is dated that morning, not the evening before.
//! Core takes dates as arguments and never reads the clock; the web server and the CLI ask
//! here. Times written down in UTC (the audit log, when an assessment was recorded) are
//! shown to people as London local time, by [`london_time`].

use chrono::NaiveDate;
use chrono_tz::Europe::London;

/// Today's date in Europe/London.
pub fn today() -> NaiveDate {
    london_date(chrono::Utc::now())
}

/// The date in Europe/London at the instant `at`.
pub fn london_date(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// An RFC 3339 instant (as the audit log and the store write them, in UTC) as the time in
/// Europe/London to the minute, with the zone's name so nobody has to guess: e.g.
/// `30 June 2025, 11:30pm BST`. A text that is not RFC 3339 is shown as it is.
pub fn london_time(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(at) => {
            let local = at.with_timezone(&London);
            let hour_12 = local.format("%-I:%M%P");
            format!("{}, {hour_12} {}", local.format("%-d %B %Y"), local.format("%Z"))
        }
        Err(_) => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn london_is_an_hour_ahead_in_summer_and_level_in_winter() {
        let summer = chrono::Utc.with_ymd_and_hms(2025, 6, 30, 23, 30, 0).unwrap();
        assert_eq!(london_date(summer), NaiveDate::from_ymd_opt(2025, 7, 1).unwrap());
        let winter = chrono::Utc.with_ymd_and_hms(2025, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(london_date(winter), NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    }

    #[test]
    fn times_are_shown_in_london_time_on_both_sides_of_the_clocks_changing() {
        // The clocks went forward at 01:00 UTC on 30 March 2025 and back at 01:00 UTC on
        // 26 October 2025.
        assert_eq!(london_time("2025-03-30T00:59:00Z"), "30 March 2025, 12:59am GMT");
        assert_eq!(london_time("2025-03-30T01:00:00Z"), "30 March 2025, 2:00am BST");
        assert_eq!(london_time("2025-10-26T00:30:00.123456Z"), "26 October 2025, 1:30am BST");
        assert_eq!(london_time("2025-10-26T01:30:00Z"), "26 October 2025, 1:30am GMT");
        // Late on a summer's evening in UTC is the next morning in London.
        assert_eq!(london_time("2025-06-30T23:30:00Z"), "1 July 2025, 12:30am BST");
        assert_eq!(london_time("2025-12-31T13:05:00+00:00"), "31 December 2025, 1:05pm GMT");
        assert_eq!(london_time("not a time"), "not a time");
    }
}
