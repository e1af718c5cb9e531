//! Recording what a direct payment was spent on, against a plan line with its receipt: by
//! the person (`/my-budget/spending`) or on their behalf by a practitioner or finance
//! officer (`/people/{code}/budget/spending`), through the same form and the same store
//! operation.

use super::*;

/// The lines of a plan paid (at least partly) by direct payment, which the person records
/// spending against.
fn direct_payment_lines(version: &BudgetVersion) -> Vec<(usize, String)> {
    let d = &version.decision;
    d.lines
        .iter()
        .filter(|l| {
            l.funded.iter().any(|f| {
                d.components
                    .iter()
                    .any(|c| c.stream == f.stream && c.mode == DeliveryMode::DirectPayment)
            })
        })
        .map(|l| (l.number, format!("Line {}: {} ({} a week)", l.number, l.what, l.weekly_cost)))
        .collect()
}

/// `GET /my-budget/spending`: the form to record what a direct payment was spent on.
pub async fn my_spending(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<DoneQuery>,
) -> PageResult {
    let (principal, person) = own_person(&state, &caller, "/my-budget/spending").await?;
    let done =
        (query.done.as_deref() == Some("spent")).then_some("Your spending has been recorded.");
    spending_page(
        &state,
        &caller,
        &principal,
        &person,
        &[],
        &FieldErrors::new(),
        StatusCode::OK,
        done,
        false,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn spending_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    done: Option<&str>,
    behalf: bool,
) -> PageResult {
    let version = budget_today(state, &person.code).await?;
    let lines = version.as_ref().map(direct_payment_lines).unwrap_or_default();
    let numbers: Vec<String> = lines.iter().map(|(n, _)| n.to_string()).collect();
    let choose =
        if behalf { "Choose the line of the plan" } else { "Choose the line of your plan" };
    let options: Vec<(&str, &str)> = std::iter::once(("", choose))
        .chain(numbers.iter().map(String::as_str).zip(lines.iter().map(|(_, t)| t.as_str())))
        .collect();
    let date = if form.is_empty() { today().to_string() } else { value(form, "date").to_owned() };
    let key =
        if form.is_empty() { crate::auth::new_secret() } else { value(form, "key").to_owned() };
    let title = if behalf {
        format!("Record spending for {}", full_name(person))
    } else {
        "Record what you spent".to_owned()
    };
    let action = if behalf {
        format!("/people/{}/budget/spending", person.code)
    } else {
        "/my-budget/spending".to_owned()
    };
    let main = html! {
        (error_summary(errors))
        (done_panel(done))
        h1.govuk-heading-l { (title) }
        @if behalf { (budget_nav(principal, person)) }
        @if done.is_some() && !behalf {
            p.govuk-body { a.govuk-link href="/my-budget/statement" { "See your statement" } }
        }
        @if lines.is_empty() {
            @if behalf {
                p.govuk-body { "None of this person's support is paid to them as a direct payment today, so there is no spending to record here: providers' invoices are paid by finance." }
            } @else {
                p.govuk-body { "None of your support is paid to you as a direct payment, so there is nothing to record here: your providers send their invoices to the council or the NHS." }
            }
        } @else {
            @if behalf {
                p.govuk-body { "Record what " (person.given_name) " (or their representative) bought with their direct payment, which line of the support plan it was for, and the receipt's reference. It is recorded in your name, and shows on their statement." }
            } @else {
                p.govuk-body { "Tell us what you bought with your direct payment, which part of your support plan it was for, and the receipt's reference. Keep the receipt." }
            }
            form method="post" action=(action) novalidate {
                (csrf_field(caller))
                input type="hidden" name="key" value=(key);
                (Select { id: "line", label: "What it was for", hint: None, options: &options, selected: value(form, "line") }.render(errors))
                (TextInput { id: "amount", label: if behalf { "How much was spent" } else { "How much you spent" }, hint: None, value: value(form, "amount"), kind: InputKind::Money }.render(errors))
                (text_input("date", "When", Some(DATE_HINT), &date, errors))
                (text_field("receipt", "Receipt reference", Some("The invoice number, payslip or till receipt number"), form, errors))
                button.govuk-button type="submit" { "Record the spending" }
            }
        }
    };
    if behalf {
        render_for_person(caller, principal, status, &title, person, main)
    } else {
        render_status(caller, principal, status, &title, main)
    }
}

/// May `caller` record spending from this person's direct payment (the person, their
/// practitioner or finance)? Decided and audited once, before the person is shown.
async fn authorize_spend(
    state: &AppState,
    caller: &Caller,
    code: &str,
    target: &str,
) -> Result<(Principal, PersonRecord), Denied> {
    if caller.principal.is_none() {
        caller
            .authorize(state, Action::RecordSpending(PersonRef { code, team: "" }), target)
            .await?;
    }
    let wanted = code.to_owned();
    let person = state.run(move |store| store.person(&wanted)).await.map_err(Denied::Failed)?;
    let team = person.as_ref().map_or("", |p| p.team.as_str());
    let principal =
        caller.authorize(state, Action::RecordSpending(PersonRef { code, team }), target).await?;
    match person {
        Some(person) => Ok((principal, person)),
        None => Err(Denied::Failed(ApiError::NotFound { what: "person", code: code.to_owned() })),
    }
}

/// `GET /people/{code}/budget/spending`: the spending form, for a practitioner or finance
/// officer recording it on the person's behalf.
pub async fn spending_for(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
    PageQuery(query): PageQuery<DoneQuery>,
) -> PageResult {
    let target = format!("/people/{code}/budget/spending");
    let (principal, person) = authorize_spend(&state, &caller, &code, &target).await?;
    let done = (query.done.as_deref() == Some("spent"))
        .then_some("The spending has been recorded on the person's statement.");
    spending_page(
        &state,
        &caller,
        &principal,
        &person,
        &[],
        &FieldErrors::new(),
        StatusCode::OK,
        done,
        true,
    )
    .await
}

/// `POST /people/{code}/budget/spending`: record spending on the person's behalf.
pub async fn record_spending_for(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/people/{code}/budget/spending");
    let (principal, person) = authorize_spend(&state, &caller, &code, &target).await?;
    let form = checked_form(&caller, form, "The spending was not recorded", &target)?;
    spend(&state, &caller, &principal, &person, form, true).await
}

/// `POST /my-budget/spending`: record spending against a plan line, with its receipt.
pub async fn record_my_spending(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = "/my-budget/spending";
    let principal = caller.authorize(&state, Action::ReadOwnRecord, target).await?;
    let Some(own) = principal.person.clone() else {
        return Err(PageError::from(Denied::Refused("you have no record of your own".into())));
    };
    let wanted = own.clone();
    let person = match state.run(move |store| store.person(&wanted)).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Err(PageError::from(Denied::Failed(ApiError::NotFound {
                what: "person",
                code: own,
            })));
        }
        Err(e) => return Err(PageError::from(e)),
    };
    let reference = PersonRef { code: &person.code, team: &person.team };
    let principal = caller.authorize(&state, Action::RecordSpending(reference), target).await?;
    let form = checked_form(&caller, form, "Your spending was not recorded", target)?;
    spend(&state, &caller, &principal, &person, form, false).await
}

/// Record spending against a plan line with its receipt (the form already checked), and
/// go back to the form with the outcome; `behalf` when someone records it for the person.
async fn spend(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: FormPairs,
    behalf: bool,
) -> PageResult {
    let sent: &[(String, String)] = &form;
    let again = |errors: FieldErrors| async move {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        spending_page(state, caller, principal, person, sent, &errors, status, None, behalf).await
    };

    let mut errors = FieldErrors::new();
    let line = value(&form, "line").parse::<usize>().ok();
    if line.is_none() {
        errors.add("line", "Choose the line of the plan the spending was for");
    }
    let amount = positive_money(
        &form,
        &mut errors,
        "amount",
        "Enter how much was spent in pounds and pence, for example 45.50",
    );
    let date = required_day(
        &form,
        &mut errors,
        "date",
        "Enter the date of the spending, for example 2025-06-02",
    );
    let date = date.filter(|date| {
        let past = onebudget_core::budget::parse_spending_date("date", &date.to_string(), today());
        if past.is_err() {
            errors.add("date", "The date of the spending must be today or in the past");
        }
        past.is_ok()
    });
    let receipt = required_text(&form, &mut errors, "receipt", "Enter the receipt's reference");
    let key = client_key(&form, "key");
    let (Some(line), Some(amount), Some(date), true) = (line, amount, date, errors.is_empty())
    else {
        return again(errors).await;
    };
    let key = key.unwrap_or_else(crate::auth::new_secret);
    let key = format!("spend/{}/{key}", person.code);
    let code = person.code.clone();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.record_spending(
                &code,
                line,
                amount,
                date,
                &receipt,
                &key,
                SPEND_ACCOUNT,
            ))
        })
        .await;
    match outcome {
        Ok(Ok(_)) if behalf => {
            see_other(&format!("/people/{}/budget/spending?done=spent", person.code))
        }
        Ok(Ok(_)) => see_other("/my-budget/spending?done=spent"),
        Ok(Err(error)) => {
            let overdrawn =
                matches!(error, BudgetStoreError::Post(onebudget_store::PostError::Rejected(_)));
            let errors = if overdrawn {
                let mut errors = FieldErrors::new();
                errors.add(
                    "amount",
                    if behalf {
                        "This is more than the direct payment holds for this part of the plan; check the amount"
                    } else {
                        "This is more than your direct payment holds for this part of your plan; check the amount"
                    },
                );
                Ok(errors)
            } else {
                budget_errors(error, "line", |field| {
                    ["line", "amount", "receipt"].contains(&field).then(|| field.to_owned())
                })
            };
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}
