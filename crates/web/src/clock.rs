//! The one clock question the rules need answered: what day it is. onebudget's "today" is
//! the date in Europe/London, whatever zone the machine is set to, so a spending record
//! made at 00:30 on a summer's morning is dated that morning, not the evening before.
//! Core takes dates as arguments and never reads the clock; the web server and the CLI ask
//! here.

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
}
