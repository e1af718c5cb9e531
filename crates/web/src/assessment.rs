//! `POST /api/financial-assessments`: what a person would pay each week towards their
//! social care, with every step explained and each figure's legal source.
//!
//! The rules are core's (`onebudget_core::assessment`, with the policy in use and any
//! council overlay the server was started with); this module only reads the case, runs
//! it and returns core's `Explanation` as JSON. [`assess_case`] is shared with the
//! public page (`pages::check`), so the page and the API cannot disagree. Nothing is
//! stored: the assessment is a pure function of the request.

use axum::Json;
use onebudget_core::assessment::{Case, CaseInput, Explanation, LocalOptions, explain};
use onebudget_core::field::parse_date;
use onebudget_core::policy::{LocalPolicy, Policy};

use crate::auth::{Allowed, Assessing};
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::schema;

/// Check `input` and assess it with the policy in use. The case starts from the
/// council's options when the server was started with its overlay (`--local-policy`)
/// and the case is in the overlay's nation, otherwise from the national defaults; the
/// case's own `local` object overrides either. A policy that cannot be read is a server
/// fault.
pub fn assess_case(input: &CaseInput) -> Result<Explanation, ApiError> {
    let defaults = match (LocalPolicy::in_use(), parse_date("date", &input.date)) {
        (Some(overlay), Ok(date)) => overlay.defaults_for(input.nation, date),
        // A date that does not parse is refused by `Case::parse`, naming the field.
        _ => LocalOptions::default(),
    };
    let case = Case::parse(input, defaults)?;
    let policy = Policy::in_use().map_err(|error| {
        ApiError::Internal(format!("the policy in use cannot be read: {error}"))
    })?;
    Ok(explain(policy, &case)?)
}

/// Assess a case: what the person pays each week, and why.
#[utoipa::path(
    post,
    path = "/api/financial-assessments",
    tag = "assessment",
    description = "Runs the financial assessment for one case and returns the weekly charge with every step explained: each step's effect on the charge (the effects add up to `weekly_charge`) and the policy figures it used, each with its legal reference.\n\nThe rules are those of the case's nation in force on its `date`; onebudget holds them for the financial years 2022/23 to 2025/26. The council's local options are those of the overlay the server was started with (`--local-policy`), for cases in its nation, and otherwise the national defaults; the case's `local` object overrides either.\n\nThis endpoint is stateless: nothing is stored. It needs a finance officer's or practitioner's session, or a bearer token with the `assess` scope; the public page `/check-what-you-might-pay` needs no sign-in.",
    request_body(
        content = schema::CaseInput,
        description = "The person's circumstances on a date. Amounts are strings of pounds (`\"225.45\"`); weekly amounts are per week.",
        content_type = "application/json",
    ),
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "The assessment, explained.", body = schema::Explanation),
        (status = 400, description = "The body is not JSON, or not a case: a missing or unknown field, an unknown nation, setting or income kind, a wrongly written amount (codes `malformed_json`, `invalid_body`). `field` names it, e.g. `weekly_income[1].kind`.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON.", body = ErrorBody),
        (status = 422, description = "The case cannot be assessed: a value out of range such as a negative amount or an age under 18 (`invalid_field`), a date outside the years whose rules are held (`date_not_covered`, field `date`), a setting with no rule (`no_rule`), or a case that needs a policy figure onebudget does not yet hold (`missing_policy_figure`; the message names it).", body = ErrorBody),
    )
)]
pub async fn assess(
    _allowed: Allowed<Assessing>,
    JsonBody(input): JsonBody<CaseInput>,
) -> Result<Json<Explanation>, ApiError> {
    // Microseconds of pure computation: no need for the blocking pool.
    assess_case(&input).map(Json)
}
