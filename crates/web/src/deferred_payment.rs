//! `POST /api/deferred-payments/statement`: the statement of a deferred payment agreement
//! (England, Care Act 2014 s.34) given in the body, worked out by core
//! (`onebudget_core::deferred_payment`) with the figures built into onebudget. Nothing is
//! stored and no person's record is read, so nothing is audited beyond the gate's own
//! row; the caller must be allowed to assess.

use axum::Json;
use onebudget_core::deferred_payment::{
    Agreement, DeferredPaymentError, DeferredPaymentInput, Statement, statement,
};
use onebudget_core::policy::{DeferredPaymentPolicy, PolicyError};

use crate::auth::{Allowed, Assessing};
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// Check an agreement and work out its statement: a refusal names its field.
pub fn statement_for(input: &DeferredPaymentInput) -> Result<Statement, ApiError> {
    let agreement = Agreement::parse(input)?;
    let policy = DeferredPaymentPolicy::in_use().map_err(|error| {
        ApiError::Internal(format!("the deferred payment figures cannot be read: {error}"))
    })?;
    statement(policy, &agreement).map_err(|error| match error {
        DeferredPaymentError::Field(error) => ApiError::Field(error),
        DeferredPaymentError::RateUnknown { .. } => ApiError::DeferredPaymentRefused {
            code: "missing_policy_figure",
            field: "interest",
            message: error.to_string(),
        },
        DeferredPaymentError::Policy(PolicyError::DateNotCovered { .. }) => {
            ApiError::DeferredPaymentRefused {
                code: "date_not_covered",
                field: "statement_date",
                message: error.to_string(),
            }
        }
        DeferredPaymentError::Money(_) => ApiError::DeferredPaymentRefused {
            code: "overflow",
            field: "weekly",
            message: error.to_string(),
        },
        DeferredPaymentError::Policy(other) => {
            ApiError::Internal(format!("the deferred payment figures: {other}"))
        }
    })
}

/// The statement of a deferred payment agreement.
#[utoipa::path(
    post,
    path = "/api/deferred-payments/statement",
    tag = "assessment",
    description = "Works out the statement of a deferred payment agreement in England (Care Act 2014 s.34; the Care and Support (Deferred Payment) Regulations 2014) on its `statement_date`: whether the council must offer it (reg 2) or may (reg 3); each week's charge, the contribution from income above the disposable income allowance the person keeps (£144 a week, reg 6) and the amount deferred; administration costs added (reg 10); interest at the national maximum rate for each six-month period, compounded daily or monthly as the agreement says (reg 9, 11(1)(f)); the debt, the equity limit (90% of the property's value less £14,250 and prior charges, reg 5(5)), the day it was reached or the day it is projected to be, and when the debt falls due (reg 7). Every line cites its regulation and the figures it used.\n\nThe body is the same JSON as `onebudget deferred-payment statement --input` reads (see the README). Nothing is stored. It needs a finance officer's or practitioner's session, or a bearer token with the `assess` scope.",
    request_body(content = Object, description = "The agreement: start_date, statement_date, setting, capital_excluding_home, property.valuations, weekly, fees, interest, ended. Amounts are strings of pounds.", content_type = "application/json"),
    responses(
        (status = 200, description = "The statement: `summary` and `lines`.", body = Object),
        (status = 400, description = "The body is not JSON or not an agreement (`malformed_json`, `invalid_body`); `field` names it.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON.", body = ErrorBody),
        (status = 422, description = "The agreement breaks a rule (`invalid_field`, naming it: a statement before the start, no property, a property worth nothing, an equity limit below nothing, keeping more than the allowance), or needs a national maximum interest rate onebudget does not hold (`missing_policy_figure`, field `interest`, naming the period), or falls outside the years held (`date_not_covered`).", body = ErrorBody),
    )
)]
pub async fn statement_route(
    _allowed: Allowed<Assessing>,
    JsonBody(input): JsonBody<DeferredPaymentInput>,
) -> Result<Json<Statement>, ApiError> {
    // A year's statement is a few hundred days of arithmetic: no need for the blocking pool.
    statement_for(&input).map(Json)
}
