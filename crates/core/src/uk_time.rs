//! The calendar day in the United Kingdom at an instant: what "today" means on a page
//! or in a default date. Pure: the instant is an argument, so core still reads no clock.
//!
//! UK civil time is Greenwich Mean Time, and British Summer Time (one hour ahead) from
//! 01:00 GMT on the last Sunday of March to 01:00 GMT on the last Sunday of October
//! (the Summer Time Act 1972, with the dates set by the Summer Time Order 2002). That one
//! rule is all a day needs, so it is written here rather than bringing in a time-zone
//! database.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_signed(Duration::days(i64::from(back)))
}

/// Whether British Summer Time is in force at `at`.
pub fn is_summer_time(at: DateTime<Utc>) -> bool {
    let year = at.year();
    let starts = last_sunday(year, 3).and_then(|d| d.and_hms_opt(1, 0, 0));
    let ends = last_sunday(year, 10).and_then(|d| d.and_hms_opt(1, 0, 0));
    match (starts, ends) {
        (Some(starts), Some(ends)) => {
            let at = at.naive_utc();
            starts <= at && at < ends
        }
        _ => false,
    }
}

/// The day in the UK (Europe/London) at `at`.
pub fn uk_date(at: DateTime<Utc>) -> NaiveDate {
    let offset = if is_summer_time(at) { Duration::hours(1) } else { Duration::zero() };
    (at + offset).date_naive()
}

/// [`uk_date`] of a UTC date and time given as parts, for tests and callers that hold one.
pub fn uk_date_of(date: NaiveDate, hour: u32, minute: u32) -> Option<NaiveDate> {
    let at = Utc.from_utc_datetime(&date.and_hms_opt(hour, minute, 0)?);
    Some(uk_date(at))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Weekday;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn summer_time_runs_between_the_last_sundays_of_march_and_october() {
        // 2026: BST from 29 March to 25 October (the Summer Time Order 2002's rule).
        assert_eq!(last_sunday(2026, 3), Some(day(2026, 3, 29)));
        assert_eq!(last_sunday(2026, 10), Some(day(2026, 10, 25)));
        assert_eq!(last_sunday(2025, 12), Some(day(2025, 12, 28)));
        assert_eq!(last_sunday(2026, 3).unwrap().weekday(), Weekday::Sun);
        // Just before 01:00 GMT on 29 March it is still GMT; at 01:00 it is BST.
        assert_eq!(uk_date_of(day(2026, 3, 28), 23, 30), Some(day(2026, 3, 28)));
        assert_eq!(uk_date_of(day(2026, 3, 29), 23, 30), Some(day(2026, 3, 30)));
        // In summer, 23:30 UTC is already tomorrow in London.
        assert_eq!(uk_date_of(day(2026, 6, 30), 23, 30), Some(day(2026, 7, 1)));
        assert_eq!(uk_date_of(day(2026, 6, 30), 22, 59), Some(day(2026, 6, 30)));
        // From 01:00 GMT on 25 October it is GMT again.
        assert_eq!(uk_date_of(day(2026, 10, 24), 23, 30), Some(day(2026, 10, 25)));
        assert_eq!(uk_date_of(day(2026, 10, 25), 23, 30), Some(day(2026, 10, 25)));
        // In winter London's day is the UTC day.
        assert_eq!(uk_date_of(day(2026, 12, 31), 23, 59), Some(day(2026, 12, 31)));
    }
}
