//! A caseload a page at a time: the people of one team (or of every team, for those who
//! may see everyone) with the budget in force on a day, found by name, NHS number or code,
//! filtered by who is responsible for their care, how their budget is held, whether it
//! draws on more than one stream and when it is due for review, sorted and paged in SQL.
//!
//! The budget is the version in force on the day (`budgets::IN_FORCE_JOIN`), as on every
//! other view. Delivery modes and the number of streams come from `budget_components`,
//! the version's components as rows. The review date comes from
//! `onebudget_core::budget::review`: onebudget records no planned review date, so a budget
//! is due [`REVIEW_INTERVAL_MONTHS`] after it was last set (its latest version in force that
//! is not merely under review). Only a live budget (active or under review) is due.
//!
//! [`REVIEW_INTERVAL_MONTHS`]: onebudget_core::budget::review::REVIEW_INTERVAL_MONTHS

use chrono::{Days, NaiveDate};
use onebudget_core::budget::plan::DeliveryMode;
use onebudget_core::budget::review;
use serde::Serialize;

use crate::access::{PERSON_COLUMN_COUNT, collect, person_from};
use crate::backend::Value;
use crate::budgets::{CaseloadRow, IN_FORCE_JOIN, SUMMARY_COLUMNS, summary_from};
use crate::{Store, StoreError};

/// Who is responsible for a person's care (the person's `funding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Funding {
    /// The council: adult social care, means-tested.
    SocialCare,
    /// The ICB: NHS continuing healthcare, free.
    ContinuingHealthcare,
}

impl Funding {
    pub fn as_str(self) -> &'static str {
        match self {
            Funding::SocialCare => "social_care",
            Funding::ContinuingHealthcare => "continuing_healthcare",
        }
    }
}

/// Which budgets are due for review, on the query's day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReviewDue {
    /// Due on the day or within [`review::DUE_SOON_DAYS`] days after it.
    Soon,
    /// Due before the day.
    Overdue,
}

/// What a caseload is sorted by. Every order ends with family name, given name and code,
/// so pages never overlap or skip a person.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum CaseloadSort {
    #[default]
    Name,
    WeeklyBudget,
    ReviewDate,
}

/// Which people a caseload page shows, and in what order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseloadQuery {
    /// One team's people; everyone's when `None`.
    pub team: Option<String>,
    /// A ten-digit NHS number (spaces ignored) or a person's code matches exactly; anything
    /// else is part of a name, whatever its capitals.
    pub search: Option<String>,
    pub funding: Option<Funding>,
    /// Budgets with a component held this way.
    pub mode: Option<DeliveryMode>,
    /// `Some(true)`: budgets drawing on more than one stream; `Some(false)`: those drawing
    /// on one (people with no budget in force are in neither).
    pub integrated: Option<bool>,
    pub review: Option<ReviewDue>,
    pub sort: CaseloadSort,
    pub descending: bool,
    /// How many matching people to pass over, and the most to return.
    pub offset: u64,
    pub limit: u64,
}

/// One page of a caseload, and how many people match in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseloadPage {
    pub rows: Vec<CaseloadRow>,
    pub total: u64,
}

/// The join of the version that last set the budget: the highest version on or before the
/// day that is not a review's copy. Its effective date is when the budget was last set.
const SET_JOIN: &str = "LEFT JOIN budget_versions s ON s.person_code = p.code \
     AND s.version = (SELECT MAX(x.version) FROM budget_versions x \
                      WHERE x.person_code = p.code AND x.effective_from <= $1 \
                      AND x.status <> 'under_review')";

/// The components of the version in force.
const COMPONENTS_OF_V: &str =
    "FROM budget_components c WHERE c.person_code = v.person_code AND c.version = v.version";

const LIVE: &str = "v.status IN ('active', 'under_review')";

impl Store {
    /// The people matching `query` with the budget in force on `on` (and when it is due
    /// for review), one page, and how many match in all, read in one transaction.
    pub fn caseload_page(
        &self,
        query: &CaseloadQuery,
        on: NaiveDate,
    ) -> Result<CaseloadPage, StoreError> {
        // Parameters are numbered in the order they first appear in the text (SQLite
        // numbers them so), and `$1`, the day, comes first in the joins.
        let mut params: Vec<Value<'_>> = vec![Value::Date(on)];
        let mut clauses: Vec<String> = Vec::new();
        let next = |params: &mut Vec<Value<'_>>| format!("${}", params.len());

        if let Some(team) = &query.team {
            params.push(Value::Text(team));
            clauses.push(format!("p.team = {}", next(&mut params)));
        }
        let search = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let search_value = search.map(search_clause);
        if let Some((clause, value)) = &search_value {
            params.push(Value::Text(value));
            clauses.push(clause.replace('?', &next(&mut params)));
        }
        if let Some(funding) = query.funding {
            params.push(Value::Text(funding.as_str()));
            clauses.push(format!("p.funding = {}", next(&mut params)));
        }
        if let Some(mode) = query.mode {
            params.push(Value::Text(mode.as_str()));
            clauses.push(format!(
                "EXISTS (SELECT 1 {COMPONENTS_OF_V} AND c.mode = {})",
                next(&mut params)
            ));
        }
        match query.integrated {
            Some(true) => {
                clauses.push(format!("(SELECT COUNT(DISTINCT c.stream) {COMPONENTS_OF_V}) > 1"))
            }
            Some(false) => {
                clauses.push(format!("(SELECT COUNT(DISTINCT c.stream) {COMPONENTS_OF_V}) = 1"))
            }
            None => {}
        }
        // Due on or after `today` and no later than `today + DUE_SOON_DAYS`, or before
        // `today`: as a range of the days the budgets were set on.
        let bound = |day: Option<NaiveDate>| {
            day.and_then(review::set_on_for_due)
                .ok_or_else(|| StoreError::Corrupt(format!("no review boundary for {on}")))
        };
        match query.review {
            Some(ReviewDue::Soon) => {
                let from = bound(Some(on))?;
                let after = bound(on.checked_add_days(Days::new(review::DUE_SOON_DAYS + 1)))?;
                params.push(Value::Date(from));
                let first = next(&mut params);
                params.push(Value::Date(after));
                clauses.push(format!(
                    "{LIVE} AND s.effective_from >= {first} AND s.effective_from < {}",
                    next(&mut params)
                ));
            }
            Some(ReviewDue::Overdue) => {
                params.push(Value::Date(bound(Some(on))?));
                clauses.push(format!("{LIVE} AND s.effective_from < {}", next(&mut params)));
            }
            None => {}
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let direction = if query.descending { "DESC" } else { "ASC" };
        // People with no figure to sort by come last, whichever way.
        let order = match query.sort {
            CaseloadSort::Name => {
                format!("p.family_name {direction}, p.given_name {direction}, p.code {direction}")
            }
            CaseloadSort::WeeklyBudget => format!(
                "CASE WHEN v.weekly_budget_pence IS NULL THEN 1 ELSE 0 END, \
                 v.weekly_budget_pence {direction}, p.family_name, p.given_name, p.code"
            ),
            CaseloadSort::ReviewDate => format!(
                "CASE WHEN {LIVE} AND s.effective_from IS NOT NULL THEN 0 ELSE 1 END, \
                 CASE WHEN {LIVE} THEN s.effective_from END {direction}, \
                 p.family_name, p.given_name, p.code"
            ),
        };
        let from = format!("FROM people p {IN_FORCE_JOIN} {SET_JOIN}{filter}");
        let columns = crate::access::PERSON_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows_sql = format!(
            "SELECT {columns}, {SUMMARY_COLUMNS}, CASE WHEN {LIVE} THEN s.version END, \
             s.effective_from \
             {from} ORDER BY {order} LIMIT {} OFFSET {}",
            query.limit, query.offset
        );
        let count_sql = format!("SELECT COUNT(*) {from}");
        let set_on_column = PERSON_COLUMN_COUNT + 6;
        self.read(|conn| {
            let total = conn.query_int(&count_sql, &params)?.unwrap_or(0);
            let rows = collect(conn, &rows_sql, &params, |row| {
                // The day the budget was last set, for a live budget only.
                let set_on = match row.opt_int(set_on_column)? {
                    Some(_) => Some(row.date(set_on_column + 1)?),
                    None => None,
                };
                Ok(CaseloadRow {
                    person: person_from(row)?,
                    budget: summary_from(row, PERSON_COLUMN_COUNT)?,
                    review_due: set_on.and_then(review::due_on),
                })
            })?;
            Ok(CaseloadPage { rows, total: u64::try_from(total).unwrap_or(0) })
        })
    }
}

/// The search's clause, with `?` for its one parameter, and the parameter: an NHS number
/// or a code matches exactly, anything else is part of the name.
fn search_clause(search: &str) -> (&'static str, String) {
    let digits: String = search.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 10 && digits.chars().all(|c| c.is_ascii_digit()) {
        ("p.nhs_number = ?", digits)
    } else if search.len() > 1
        && search.get(..1).is_some_and(|c| c.eq_ignore_ascii_case("p"))
        && search.get(1..).is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
    {
        ("p.code = ?", search.to_uppercase())
    } else {
        // LIKE's own wildcards in what was typed are matched as themselves.
        let escaped =
            search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        (
            "(LOWER(p.given_name || ' ' || p.family_name) LIKE ? ESCAPE '\\' \
             OR LOWER(p.family_name || ', ' || p.given_name) LIKE ? ESCAPE '\\')",
            format!("%{escaped}%"),
        )
    }
}
