//! When a personal budget is due for review, from the one date onebudget records: the day
//! the budget in force was last set (the effective date of its latest version that is not
//! merely "under review"). Nothing in onebudget records a planned review date, so the date
//! here is the longest interval the statutory guidance allows, not a date a practitioner
//! chose: [`REVIEW_INTERVAL_MONTHS`] months after the budget was set.

use chrono::{Months, NaiveDate};

/// The longest time between reviews of a care and support plan, in months.
pub const REVIEW_INTERVAL_MONTHS: u32 = 12;

/// Where [`REVIEW_INTERVAL_MONTHS`] comes from, as a reader can look it up.
pub const REVIEW_INTERVAL_REFERENCE: &str = "Care and support statutory guidance (Care Act 2014), paragraph 13.32: a plan is reviewed no later than every 12 months; the National Framework for NHS Continuing Healthcare (2022): a care package is reviewed at three months and then at least annually";

/// How many days ahead "due soon" looks.
pub const DUE_SOON_DAYS: u64 = 28;

/// The day a budget set on `set_on` is due for review: the same day
/// [`REVIEW_INTERVAL_MONTHS`] months on (a budget set on 29 February is due on 28 February).
/// `None` only past the end of the calendar.
pub fn due_on(set_on: NaiveDate) -> Option<NaiveDate> {
    set_on.checked_add_months(Months::new(REVIEW_INTERVAL_MONTHS))
}

/// The earliest day a budget may have been set on and not be due before `day`: a budget
/// set before it is due before `day`, one set on or after it is due on or after `day`.
/// Lets a store find the budgets due in a range with a plain comparison of set dates.
pub fn set_on_for_due(day: NaiveDate) -> Option<NaiveDate> {
    let mut set_on = day.checked_sub_months(Months::new(REVIEW_INTERVAL_MONTHS))?;
    // Months are not all the same length, so step to the exact boundary: `due_on` never
    // goes backwards as `set_on` goes forwards, and moves at most a few days from here.
    while let Some(before) = set_on.pred_opt() {
        match due_on(before) {
            Some(due) if due >= day => set_on = before,
            _ => break,
        }
    }
    while due_on(set_on).is_some_and(|due| due < day) {
        set_on = set_on.succ_opt()?;
    }
    Some(set_on)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_budget_is_due_twelve_months_after_it_was_set() {
        assert_eq!(due_on(date("2025-04-01")), Some(date("2026-04-01")));
        assert_eq!(due_on(date("2024-02-29")), Some(date("2025-02-28")));
    }

    /// The boundary agrees with `due_on` on every day of four years, leap days included:
    /// a budget set before it is due before the day, one set on or after it is not.
    #[test]
    fn the_set_date_boundary_agrees_with_the_due_date_every_day() {
        let mut day = date("2024-01-01");
        while day < date("2028-01-01") {
            let boundary = set_on_for_due(day).unwrap();
            assert!(due_on(boundary).unwrap() >= day, "{day}: {boundary}");
            assert!(due_on(boundary.pred_opt().unwrap()).unwrap() < day, "{day}: {boundary}");
            day = day.succ_opt().unwrap();
        }
    }
}
