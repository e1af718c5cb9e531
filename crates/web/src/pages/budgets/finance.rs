//! Finance's pages for personal budgets: `/budgets/payments` (pay every live budget for a
//! period; pay one provider's invoice from a person's Individual Service Fund, managed or
//! notional component) and `/budgets/reviews` (run direct-payment monitoring; confirm or
//! dismiss each proposed recovery).
//!
//! Money moves only after a check: each of these forms, sent first, shows what would be
//! posted (the amounts, the accounts from and to with their names, the people, the period)
//! and posts nothing; only its Confirm button, which carries the same values, the CSRF
//! token and the idempotency key (or the figures' digest) in hidden fields, posts. So a
//! double click on Confirm posts once.

use super::*;
use onebudget_store::budget_payments_for;

use crate::pages::confirm::{
    CHANGE, CONFIRMED, STEP, account_names, account_words, carried, check_buttons, transfers_digest,
};

/// A person as a check page names them: "Given Family (P000123)".
fn person_words(person: &PersonRecord) -> String {
    format!("{} {} ({})", person.given_name, person.family_name, person.code)
}

// ---------------------------------------------------------------------------------------
// Finance: payments and reviews

/// `GET /budgets/payments`: the form to pay every live budget for a period.
pub async fn payments(State(state): State<AppState>, caller: Caller) -> PageResult {
    let principal = caller.authorize(&state, Action::ReadLedger, "/budgets/payments").await?;
    payments_page(&state, &caller, &principal, &[], &FieldErrors::new(), StatusCode::OK, None, None)
}

/// A provider's invoice as paid: what was asked, and the transfer posted.
struct PaidInvoice {
    person: String,
    stream: String,
    provider: String,
    amount: Money,
    date: NaiveDate,
    invoice: String,
    posted: Vec<PostedTransfer>,
}

#[allow(clippy::too_many_arguments)]
fn payments_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    posted: Option<&[(Transfer, PostedTransfer)]>,
    paid: Option<&PaidInvoice>,
) -> PageResult {
    let scheme = scheme(state)?;
    let sent_period = !value(form, "from").is_empty() || !value(form, "weeks").is_empty();
    let weeks = if sent_period { value(form, "weeks") } else { "4" };
    let main = html! {
        (error_summary(errors))
        (invoice_paid(&scheme, paid))
        h1.govuk-heading-l { "Pay personal budgets" }
        p.govuk-body { "Pays every active budget for a period: each component's funder share from the stream's funding account into the person's budget account, and, for direct payments, on to the person's direct-payment account. Paying the same period twice records it once." }
        p.govuk-body { a.govuk-link href="/budgets/reviews" { "Direct-payment reviews and recoveries" } " · " a.govuk-link href="/finance" { "The ledger" } }
        @if let Some(posted) = posted {
            h2.govuk-heading-m { "What was posted" }
            @if posted.is_empty() {
                p.govuk-body { "No budget was active on that date, so nothing was paid." }
            } @else {
                @let created = posted.iter().filter(|(_, p)| p.status == PostStatus::Created).count();
                p.govuk-body role="status" { (created) " of " (posted.len()) " transfers were posted now; the others were already recorded." }
                div.app-table-wrap role="region" aria-label="The transfers of this period" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                    caption.govuk-table__caption.govuk-table__caption--m { "The transfers of this period" }
                    thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "From" } th.govuk-table__header scope="col" { "To" } th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" } th.govuk-table__header scope="col" { "What" } th.govuk-table__header scope="col" { "Posted" } } }
                    tbody.govuk-table__body {
                        @for (t, p) in posted {
                            tr.govuk-table__row {
                                td.govuk-table__cell { (t.from().as_str()) } td.govuk-table__cell { (t.to().as_str()) } td.govuk-table__cell { (t.stream().as_str()) }
                                td.govuk-table__cell.govuk-table__cell--numeric { (t.amount()) } td.govuk-table__cell { (t.memo()) }
                                td.govuk-table__cell { (if p.status == PostStatus::Created { "Now" } else { "Already recorded" }) }
                            }
                        }
                    }
                } }
            }
        }
        @if may(principal, &Action::PayBudgets) {
            h2.govuk-heading-m { "Pay a period" }
            form method="post" action="/budgets/payments" novalidate {
                (csrf_field(caller))
                (text_input("from", "First day of the period", Some(DATE_HINT), value(form, "from"), errors))
                (TextInput { id: "weeks", label: "Number of weeks", hint: Some("1 to 13; 4 is the usual schedule"), value: weeks, kind: InputKind::WholeNumber }.render(errors))
                button.govuk-button type="submit" { "Pay the period" }
            }
            (invoice_form(caller, &scheme, form, errors, paid.is_some()))
        }
    };
    render_status(caller, principal, status, "Pay personal budgets", main)
}

fn invoice_paid(scheme: &Scheme, paid: Option<&PaidInvoice>) -> Markup {
    html! {
        @if let Some(p) = paid {
            @let created = p.posted.iter().any(|t| t.status == PostStatus::Created);
            (crate::pages::components::success_banner(
                if created { "Invoice paid" } else { "Invoice already paid" },
                Some(html! {
                    p.govuk-body {
                        @if created { "Invoice " (p.invoice) " has been paid: " } @else { "Invoice " (p.invoice) " was already paid with this form; nothing more moved: " }
                        (p.amount) " from " (p.person) "'s " (stream_name(scheme, &p.stream)) " to " (p.provider) "."
                    }
                }),
            ))
            div.app-table-wrap role="region" aria-label="The transfer posted for the invoice" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "The transfer posted for the invoice" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "From" } th.govuk-table__header scope="col" { "To" } th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" } th.govuk-table__header scope="col" { "Date" } th.govuk-table__header scope="col" { "What" } th.govuk-table__header scope="col" { "Posted" } } }
                tbody.govuk-table__body {
                    @for t in &p.posted {
                        tr.govuk-table__row {
                            td.govuk-table__cell { (budget_account(&p.person, &p.stream)) } td.govuk-table__cell { (p.provider) } td.govuk-table__cell { (p.stream) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (p.amount) } td.govuk-table__cell { (long_date(p.date)) } td.govuk-table__cell { "Invoice " (p.invoice) }
                            td.govuk-table__cell { (if t.status == PostStatus::Created { "Now" } else { "Already recorded" }) }
                        }
                    }
                }
            } }
            p.govuk-body { a.govuk-link href={ "/people/" (p.person) "/budget" } { "The person's budget" } }
        }
    }
}

/// The form to pay one provider's invoice from a component held by a provider (an
/// Individual Service Fund), the council (managed) or the NHS (notional). Its one-off key
/// makes sending it twice pay once; a new key comes with each blank form.
fn invoice_form(
    caller: &Caller,
    scheme: &Scheme,
    form: &[(String, String)],
    errors: &FieldErrors,
    fresh: bool,
) -> Markup {
    let sent = !fresh && !value(form, "invoice-key").is_empty();
    let shown = |id: &str| if sent { value(form, id).to_owned() } else { String::new() };
    let key = if sent { value(form, "invoice-key").to_owned() } else { crate::auth::new_secret() };
    let date = if sent { value(form, "invoice-date").to_owned() } else { today().to_string() };
    let streams: Vec<(&str, String)> = scheme
        .streams
        .iter()
        .map(|s| (s.code.as_str(), format!("{} ({})", s.name, s.code)))
        .collect();
    let options: Vec<(&str, &str)> = std::iter::once(("", "Choose the stream"))
        .chain(streams.iter().map(|(c, n)| (*c, n.as_str())))
        .collect();
    let stream = shown("invoice-stream");
    html! {
        h2.govuk-heading-m { "Pay a provider's invoice" }
        p.govuk-body { "From one person's budget: a component held by a provider as an Individual Service Fund, managed by the council or held by the NHS. A direct payment is not paid here: the person pays their providers themselves." }
        form method="post" action="/budgets/invoices" novalidate {
            (csrf_field(caller))
            input type="hidden" name="invoice-key" value=(key);
            (text_input("invoice-person", "The person's code", Some("As on their record, for example P000123"), &shown("invoice-person"), errors))
            (Select { id: "invoice-stream", label: "Component (funding stream)", hint: None, options: &options, selected: &stream }.render(errors))
            (text_input("invoice-provider", "Provider's ledger account", Some("For an Individual Service Fund, the provider that holds it"), &shown("invoice-provider"), errors))
            (TextInput { id: "invoice-amount", label: "Amount", hint: None, value: &shown("invoice-amount"), kind: InputKind::Money }.render(errors))
            (text_input("invoice-date", "Date paid", Some(DATE_HINT), &date, errors))
            (text_input("invoice-number", "Invoice number", None, &shown("invoice-number"), errors))
            button.govuk-button type="submit" { "Pay the invoice" }
        }
    }
}

/// `POST /budgets/invoices`: pay a provider's invoice from a person's budget.
pub async fn pay_invoice(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = "/budgets/invoices";
    let (principal, form) = authorized_form(
        &state,
        &caller,
        Action::PayBudgets,
        target,
        form,
        "Nothing was paid",
        "/budgets/payments",
    )
    .await?;
    let again = |errors: FieldErrors| {
        payments_page(
            &state,
            &caller,
            &principal,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            None,
        )
    };
    if value(&form, STEP) == CHANGE {
        let errors = FieldErrors::new();
        return payments_page(
            &state,
            &caller,
            &principal,
            &form,
            &errors,
            StatusCode::OK,
            None,
            None,
        );
    }
    let scheme = scheme(&state)?;
    let mut errors = FieldErrors::new();
    let person = value(&form, "invoice-person").trim().to_ascii_uppercase();
    if person.is_empty() {
        errors.add("invoice-person", "Enter the person's code, for example P000123");
    }
    let stream = value(&form, "invoice-stream").to_owned();
    if scheme.stream(&stream).is_none() {
        errors.add("invoice-stream", "Choose the component the invoice is paid from");
    }
    let provider = required_text(
        &form,
        &mut errors,
        "invoice-provider",
        "Enter the provider's ledger account",
    );
    let amount = positive_money(
        &form,
        &mut errors,
        "invoice-amount",
        "Enter the invoice's amount in pounds and pence, for example 120.00",
    );
    let date = required_day(
        &form,
        &mut errors,
        "invoice-date",
        "Enter the date it is paid, for example 2025-06-02",
    );
    let invoice = required_text(&form, &mut errors, "invoice-number", "Enter the invoice's number");
    let key = client_key(&form, "invoice-key");
    let (Some(amount), Some(date), true) = (amount, date, errors.is_empty()) else {
        return again(errors);
    };
    // Paying from a person's budget touches their record: one audited read names them.
    let record = match authorize_person(&state, &caller, &person, false, target).await {
        Ok((_, record)) => record,
        Err(Denied::Failed(ApiError::NotFound { .. })) => {
            let mut errors = FieldErrors::new();
            errors.add("invoice-person", format!("There is no person with the code {person}"));
            return again(errors);
        }
        Err(d) => return Err(PageError::from(d)),
    };
    let confirmed = value(&form, STEP) == CONFIRMED;
    let key = key.unwrap_or_else(crate::auth::new_secret);
    let carried_key = key.clone();
    let key = format!("invoice/{person}/{key}");
    let asked = (person.clone(), stream.clone(), provider.clone(), invoice.clone());
    let outcome = state
        .run(move |store| {
            // Checked first, every rule but the balance; posted only when confirmed.
            let paid = match store.provider_invoice_transfer(
                &person, &stream, &provider, amount, date, &invoice, &key,
            ) {
                Err(e) => Err(e),
                Ok(transfer) if !confirmed => Ok(Err(transfer)),
                Ok(_) => store
                    .pay_provider_invoice(&person, &stream, &provider, amount, date, &invoice, &key)
                    .map(Ok),
            };
            Ok::<_, ApiError>(paid)
        })
        .await;
    let outcome = match outcome {
        Ok(Ok(Err(transfer))) => {
            let names = account_names(
                &state,
                [transfer.from().as_str().to_owned(), transfer.to().as_str().to_owned()].into(),
            )
            .await?;
            let carry = [("invoice-key".to_owned(), carried_key)];
            let main = html! {
                span.govuk-caption-l { "Pay a provider's invoice" }
                h1.govuk-heading-l { "Check the invoice before you pay it" }
                (crate::pages::components::summary_list([
                    ("Person", html! { (person_words(&record)) }),
                    ("Component", html! { (stream_name(&scheme, transfer.stream().as_str())) }),
                    ("From", account_words(transfer.from().as_str(), &names)),
                    ("To", account_words(transfer.to().as_str(), &names)),
                    ("Amount", html! { (transfer.amount()) }),
                    ("Date paid", html! { (long_date(transfer.effective_date())) }),
                    ("Invoice number", html! { (value(&form, "invoice-number").trim()) }),
                ]))
                (warning_text(html! { "Confirming posts this payment to the ledger. A transfer posted is never deleted: a mistake is put right by a reversing transfer." }))
                form method="post" action="/budgets/invoices" novalidate {
                    (csrf_field(&caller))
                    (carried(&carry, &["invoice-key"]))
                    (carried(&form, &["invoice-person", "invoice-stream", "invoice-provider", "invoice-amount", "invoice-date", "invoice-number"]))
                    (check_buttons("Confirm and pay the invoice", false))
                }
            };
            return render_status(
                &caller,
                &principal,
                StatusCode::OK,
                "Check the invoice before you pay it",
                main,
            );
        }
        Ok(Ok(Ok(posted))) => Ok(Ok(posted)),
        Ok(Err(e)) => Ok(Err(e)),
        Err(e) => Err(e),
    };
    let (person, stream, provider, invoice) = asked;
    match outcome {
        Ok(Ok(posted)) => {
            let paid = PaidInvoice { person, stream, provider, amount, date, invoice, posted };
            payments_page(
                &state,
                &caller,
                &principal,
                &[],
                &FieldErrors::new(),
                StatusCode::OK,
                None,
                Some(&paid),
            )
        }
        Ok(Err(BudgetStoreError::Post(PostError::Rejected(e)))) => {
            let mut errors = FieldErrors::new();
            match e.error {
                TransferError::Overdraft { low, .. } => errors.add(
                    "invoice-amount",
                    format!(
                        "This is more than {person}'s {} budget holds: its balance would fall to {low}",
                        stream_name(&scheme, &stream)
                    ),
                ),
                TransferError::UnknownAccount { code, .. } => errors.add(
                    "invoice-provider",
                    format!("There is no ledger account {}: open the provider's account first", code.as_str()),
                ),
                other => errors.add("invoice-amount", sentence(&other.to_string())),
            }
            again(errors)
        }
        Ok(Err(error)) => match budget_errors(error, "invoice-person", |field| match field {
            "stream" => Some("invoice-stream".to_owned()),
            "provider" => Some("invoice-provider".to_owned()),
            "amount" => Some("invoice-amount".to_owned()),
            "invoice" => Some("invoice-number".to_owned()),
            "date" => Some("invoice-date".to_owned()),
            _ => None,
        }) {
            Ok(errors) => again(errors),
            Err(e) => failed(e),
        },
        Err(e) => failed(e),
    }
}

/// The payments of one period, worked out but not posted: what the check page shows.
struct PeriodPayments {
    transfers: Vec<Transfer>,
    /// For each transfer, whether it is in the ledger already (its key is).
    recorded: Vec<bool>,
    /// The people whose budgets are live on the first day, by code.
    people: Vec<String>,
}

/// `POST /budgets/payments`: first, the check page of every transfer paying every live
/// budget for the period, posting nothing; with `step=confirm` and the digest of those
/// transfers, post them and show what moved.
pub async fn pay(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = "/budgets/payments";
    let (principal, form) = authorized_form(
        &state,
        &caller,
        Action::PayBudgets,
        target,
        form,
        "Nothing was paid",
        target,
    )
    .await?;
    let again = |errors: FieldErrors| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        payments_page(&state, &caller, &principal, &form, &errors, status, None, None)
    };
    let step = value(&form, STEP);
    if step == CHANGE {
        let errors = FieldErrors::new();
        return payments_page(
            &state,
            &caller,
            &principal,
            &form,
            &errors,
            StatusCode::OK,
            None,
            None,
        );
    }
    let mut errors = FieldErrors::new();
    let from = required_day(
        &form,
        &mut errors,
        "from",
        "Enter the first day of the period, for example 2025-06-02",
    );
    let weeks =
        weeks_up_to(&form, &mut errors, "weeks", 13, "Enter a number of weeks from 1 to 13");
    let (Some(from), Some(weeks)) = (from, weeks) else {
        return again(errors);
    };
    let scheme = scheme(&state)?;
    let for_plan = scheme.clone();
    let planned = state
        .run(move |store| {
            let planned = (|| {
                let live = store.live_budgets(from)?;
                let transfers = budget_payments_for(&for_plan, &live, from, weeks)?;
                let mut recorded = Vec::with_capacity(transfers.len());
                for t in &transfers {
                    recorded.push(store.transfer(t.idempotency_key())?.is_some());
                }
                let mut people: Vec<String> = live.into_iter().map(|v| v.person_code).collect();
                people.sort();
                people.dedup();
                Ok::<_, BudgetStoreError>(PeriodPayments { transfers, recorded, people })
            })();
            Ok::<_, ApiError>(planned)
        })
        .await;
    let planned = match planned {
        Ok(Ok(planned)) => planned,
        Ok(Err(error)) => {
            return match budget_errors(error, "from", |field| {
                ["from", "weeks"].contains(&field).then(|| field.to_owned())
            }) {
                Ok(errors) => again(errors),
                Err(e) => failed(e),
            };
        }
        Err(e) => return failed(e),
    };
    let digest = transfers_digest(&planned.transfers);
    if step != CONFIRMED || value(&form, "digest") != digest {
        let mut errors = FieldErrors::new();
        let status = if step == CONFIRMED {
            errors.add(
                "confirm",
                "The payments changed since you checked them (a budget started, ended or was paid): check these and confirm again",
            );
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        let check = PeriodCheck { from, weeks, planned: &planned, digest: &digest };
        return payments_check(&state, &caller, &principal, &scheme, &check, &errors, status).await;
    }
    let transfers = planned.transfers;
    let outcome = state
        .run(move |store| {
            let paid = (|| {
                if transfers.is_empty() {
                    return Ok(Vec::new());
                }
                let posted = store.post(&transfers)?;
                Ok::<_, BudgetStoreError>(transfers.into_iter().zip(posted).collect::<Vec<_>>())
            })();
            Ok::<_, ApiError>(paid)
        })
        .await;
    match outcome {
        Ok(Ok(posted)) => payments_page(
            &state,
            &caller,
            &principal,
            &form,
            &FieldErrors::new(),
            StatusCode::OK,
            Some(&posted),
            None,
        ),
        Ok(Err(error)) => match budget_errors(error, "from", |field| {
            ["from", "weeks"].contains(&field).then(|| field.to_owned())
        }) {
            Ok(errors) => again(errors),
            Err(e) => failed(e),
        },
        Err(e) => failed(e),
    }
}

/// What the check page of a period's payments shows.
struct PeriodCheck<'a> {
    from: NaiveDate,
    weeks: u32,
    planned: &'a PeriodPayments,
    digest: &'a str,
}

/// At most this many people are named on a check page; past it they are counted.
const PEOPLE_NAMED: usize = 5;

/// The check page of a period's payments: the period, the people, every transfer with its
/// accounts' names, the totals, and the Confirm button carrying the period and the digest.
async fn payments_check(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    scheme: &Scheme,
    check: &PeriodCheck<'_>,
    errors: &FieldErrors,
    status: StatusCode,
) -> PageResult {
    let planned = check.planned;
    let mut named = Vec::new();
    if planned.people.len() <= PEOPLE_NAMED {
        // Naming a person reads their record: each is one audited read.
        for code in &planned.people {
            let (_, person) =
                authorize_person(state, caller, code, false, "/budgets/payments").await?;
            named.push(person_words(&person));
        }
    }
    let codes = planned
        .transfers
        .iter()
        .flat_map(|t| [t.from().as_str().to_owned(), t.to().as_str().to_owned()])
        .collect();
    let names = account_names(state, codes).await?;
    let last = check.from + chrono::Duration::days(i64::from(check.weeks) * 7 - 1);
    let total = Money::checked_sum(planned.transfers.iter().map(Transfer::amount)).ok();
    let new: Vec<&Transfer> = planned
        .transfers
        .iter()
        .zip(&planned.recorded)
        .filter(|(_, recorded)| !**recorded)
        .map(|(t, _)| t)
        .collect();
    let new_total = Money::checked_sum(new.iter().map(|t| t.amount())).ok();
    // Money leaving each account, of the transfers not yet recorded.
    let mut leaving: std::collections::BTreeMap<&str, (usize, Money)> = Default::default();
    for t in &new {
        let entry = leaving.entry(t.from().as_str()).or_insert((0, Money::ZERO));
        entry.0 += 1;
        entry.1 = entry.1.checked_add(t.amount()).unwrap_or(entry.1);
    }
    let weeks = check.weeks.to_string();
    let from = check.from.to_string();
    let form = [
        ("from".to_owned(), from),
        ("weeks".to_owned(), weeks),
        ("digest".to_owned(), check.digest.to_owned()),
    ];
    let main = html! {
        (error_summary(errors))
        span.govuk-caption-l { "Pay personal budgets" }
        h1.govuk-heading-l { "Check the payments before you pay them" }
        (crate::pages::components::summary_list([
            ("Period", html! { (long_date(check.from)) " to " (long_date(last)) " (" (check.weeks) @if check.weeks == 1 { " week" } @else { " weeks" } ")" }),
            ("People whose budgets are paid", html! {
                (planned.people.len())
                @if !named.is_empty() { ul.govuk-list { @for n in &named { li { (n) } } } }
            }),
            ("Transfers", html! { (planned.transfers.len()) @if new.len() != planned.transfers.len() { ", of which " (planned.transfers.len() - new.len()) " already recorded (they will not be posted again)" } }),
            ("To be posted now", html! { (new.len()) " transfers, " @match new_total { Some(m) => (m), None => "too much to add up" } }),
            ("All transfers of the period", html! { @match total { Some(m) => (m), None => "too much to add up" } }),
        ]))
        @if new.is_empty() {
            (crate::pages::components::inset(html! { p.govuk-body { "Nothing is left to pay for this period: confirming posts nothing." } }))
        } @else {
            h2.govuk-heading-m { "Money leaving each account" }
            (crate::pages::components::table_wrap("Money leaving each account", html! { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--s { "Money leaving each account, of the transfers to be posted" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Account" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Transfers" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" } } }
                tbody.govuk-table__body {
                    @for (code, (count, amount)) in &leaving {
                        tr.govuk-table__row { td.govuk-table__cell { (account_words(code, &names)) } td.govuk-table__cell.govuk-table__cell--numeric { (count) } td.govuk-table__cell.govuk-table__cell--numeric { (amount) } }
                    }
                }
            } }))
        }
        @if !planned.transfers.is_empty() {
            h2.govuk-heading-m { "Every transfer" }
            @let every = crate::pages::components::table_wrap("Every transfer of the period", html! { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--s { "Every transfer of the period" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "From" } th.govuk-table__header scope="col" { "To" } th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" } th.govuk-table__header scope="col" { "Date" } th.govuk-table__header scope="col" { "Posted" } } }
                tbody.govuk-table__body {
                    @for (t, recorded) in planned.transfers.iter().zip(&planned.recorded) {
                        tr.govuk-table__row {
                            td.govuk-table__cell { (account_words(t.from().as_str(), &names)) }
                            td.govuk-table__cell { (account_words(t.to().as_str(), &names)) }
                            td.govuk-table__cell { (stream_name(scheme, t.stream().as_str())) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (t.amount()) }
                            td.govuk-table__cell { (long_date(t.effective_date())) }
                            td.govuk-table__cell { (if *recorded { "Already recorded" } else { "When you confirm" }) }
                        }
                    }
                }
            } });
            // A long list is folded away, so the totals above and Confirm below stay near.
            @if planned.transfers.len() > 20 {
                (crate::pages::components::details(&format!("Show all {} transfers", planned.transfers.len()), every))
            } @else {
                (every)
            }
        }
        (warning_text(html! { "Confirming posts these transfers to the ledger. A transfer posted is never deleted: a mistake is put right by a reversing transfer." }))
        form method="post" action="/budgets/payments" novalidate {
            (csrf_field(caller))
            (carried(&form, &["from", "weeks", "digest"]))
            (check_buttons("Confirm and pay", false))
        }
    };
    render_status(caller, principal, status, "Check the payments before you pay them", main)
}

/// `GET /budgets/reviews`: direct-payment reviews, open and decided.
pub async fn reviews(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<DoneQuery>,
) -> PageResult {
    let principal = caller.authorize(&state, Action::ListAllPeople, "/budgets/reviews").await?;
    let done = match query.done.as_deref() {
        Some("monitored") => {
            Some("Monitoring has run: any balance above the threshold is listed below.")
        }
        Some("decided") => Some("The decision has been recorded."),
        _ => None,
    };
    reviews_page(&state, &caller, &principal, &[], &FieldErrors::new(), StatusCode::OK, done).await
}

/// The reviews page again with the form's mistakes (422).
async fn reviews_mistakes(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    form: &[(String, String)],
    errors: FieldErrors,
) -> PageResult {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    reviews_page(state, caller, principal, form, &errors, status, None).await
}

async fn reviews_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    done: Option<&str>,
) -> PageResult {
    let (scheme, all) = match (scheme(state), state.run(|store| store.dp_reviews(false)).await) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => return Err(PageError::from(e)),
    };
    let (open, decided): (Vec<&DpReview>, Vec<&DpReview>) =
        all.iter().partition(|r| r.decision.is_none());
    let can_decide = may(principal, &Action::DecideRecovery);
    let on = if form.is_empty() { today().to_string() } else { value(form, "on").to_owned() };
    let weeks = if form.is_empty() { "4" } else { value(form, "weeks") };
    let main = html! {
        (error_summary(errors))
        (done_panel(done))
        h1.govuk-heading-l { "Direct-payment reviews" }
        p.govuk-body { "A direct payment whose balance is above a number of weeks of its payments is reviewed: the excess is proposed for recovery, and nothing moves until a finance officer confirms it." }
        p.govuk-body { a.govuk-link href="/budgets/payments" { "Pay personal budgets" } " · " a.govuk-link href="/finance" { "The ledger" } }
        @if may(principal, &Action::PayBudgets) {
            h2.govuk-heading-m { "Run monitoring" }
            form method="post" action="/budgets/reviews/monitor" novalidate {
                (csrf_field(caller))
                (text_input("on", "Balances on", Some(DATE_HINT), &on, errors))
                (TextInput { id: "weeks", label: "Threshold in weeks of payments", hint: Some("1 to 52"), value: weeks, kind: InputKind::WholeNumber }.render(errors))
                button.govuk-button type="submit" { "Run monitoring" }
            }
        }
        h2.govuk-heading-m { "Open reviews" }
        @if open.is_empty() { p.govuk-body { "No review is waiting for a decision." } }
        @for r in &open {
            section aria-labelledby={ "review-" (r.id) "-title" } {
                h3.govuk-heading-s #{ "review-" (r.id) "-title" } { "Review " (r.id) ": " (r.person_code) ", " (stream_name(&scheme, &r.stream)) }
                dl.govuk-summary-list {
                    div.govuk-summary-list__row { dt.govuk-summary-list__key { "Raised on" } dd.govuk-summary-list__value { (long_date(r.raised_on)) } }
                    div.govuk-summary-list__row { dt.govuk-summary-list__key { "Balance" } dd.govuk-summary-list__value { (r.balance) } }
                    div.govuk-summary-list__row { dt.govuk-summary-list__key { "Threshold" } dd.govuk-summary-list__value { (r.threshold) " (" (r.weeks) " weeks of " (r.weekly) ")" } }
                    div.govuk-summary-list__row { dt.govuk-summary-list__key { "Proposed recovery" } dd.govuk-summary-list__value { (r.proposed_recovery) } }
                }
                @if can_decide {
                    @let amount_id = format!("amount-{}", r.id);
                    @let note_id = format!("note-{}", r.id);
                    @let shown = |id: &str, default: String| if value(form, "review") == r.id.to_string() { value(form, id).to_owned() } else { default };
                    @let amount = shown(&amount_id, r.proposed_recovery.to_plain_string());
                    @let note = shown(&note_id, String::new());
                    form method="post" action={ "/budgets/reviews/" (r.id) "/decide" } novalidate {
                        (csrf_field(caller))
                        input type="hidden" name="review" value=(r.id);
                        (TextInput { id: &amount_id, label: "Amount to recover", hint: Some("No more than the proposed recovery"), value: &amount, kind: InputKind::Money }.render(errors))
                        (text_field(&note_id, "Note", Some("What the person and the practitioner agreed"), &[(note_id.clone(), note)], errors))
                        div.govuk-button-group {
                        button.govuk-button type="submit" name="decision" value="recover" { "Recover the amount" }
                        button.govuk-button.govuk-button--warning type="submit" name="decision" value="dismiss" { "Dismiss the review" }
                        }
                    }
                }
            }
        }
        h2.govuk-heading-m { "Decided reviews" }
        @if decided.is_empty() {
            p.govuk-body { "No review has been decided yet." }
        } @else {
            div.app-table-wrap role="region" aria-label="Reviews decided, newest first" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Reviews decided, newest first" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Review" } th.govuk-table__header scope="col" { "Person and stream" } th.govuk-table__header scope="col" { "Decision" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Recovered" } th.govuk-table__header scope="col" { "By, and note" } } }
                tbody.govuk-table__body {
                    @for r in &decided {
                        tr.govuk-table__row {
                            th.govuk-table__header scope="row" { (r.id) }
                            td.govuk-table__cell { (r.person_code) ", " (stream_name(&scheme, &r.stream)) }
                            td.govuk-table__cell { (sentence(r.decision.as_deref().unwrap_or(""))) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (r.decided_amount.unwrap_or(Money::ZERO)) }
                            td.govuk-table__cell { (r.decided_by.as_deref().unwrap_or("")) ": " (r.note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            } }
        }
    };
    render_status(caller, principal, status, "Direct-payment reviews", main)
}

/// `POST /budgets/reviews/monitor`: raise a review for every balance above the threshold.
pub async fn monitor(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = "/budgets/reviews/monitor";
    let (principal, form) = authorized_form(
        &state,
        &caller,
        Action::PayBudgets,
        target,
        form,
        "Monitoring did not run",
        "/budgets/reviews",
    )
    .await?;
    let again = |errors| reviews_mistakes(&state, &caller, &principal, &form, errors);
    let mut errors = FieldErrors::new();
    let on = required_day(
        &form,
        &mut errors,
        "on",
        "Enter the date of the balances, for example 2025-07-01",
    );
    let weeks =
        weeks_up_to(&form, &mut errors, "weeks", 52, "Enter a threshold from 1 to 52 weeks");
    let (Some(on), Some(weeks)) = (on, weeks) else {
        return again(errors).await;
    };
    let username = principal.username.clone();
    let outcome = state
        .run(move |store| Ok::<_, ApiError>(store.monitor_direct_payments(on, weeks, &username)))
        .await;
    match outcome {
        Ok(Ok(_)) => see_other("/budgets/reviews?done=monitored"),
        Ok(Err(error)) => {
            let errors =
                budget_errors(error, "on", |field| (field == "weeks").then(|| field.to_owned()));
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}

/// `POST /budgets/reviews/{id}/decide`: recover the amount, or dismiss the review.
pub async fn decide_review(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(id): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/budgets/reviews/{id}/decide");
    let (principal, form) = authorized_form(
        &state,
        &caller,
        Action::DecideRecovery,
        &target,
        form,
        "Nothing was decided",
        "/budgets/reviews",
    )
    .await?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(PageError::NotFound("There is no such review.".to_owned()));
    };
    let amount_id = format!("amount-{id}");
    let note_id = format!("note-{id}");
    let mut form = form;
    if value(&form, "review").is_empty() {
        form.push(("review".to_owned(), id.to_string()));
    }
    let again = |errors| reviews_mistakes(&state, &caller, &principal, &form, errors);
    let step = value(&form, STEP).to_owned();
    if step == CHANGE {
        let errors = FieldErrors::new();
        return reviews_page(&state, &caller, &principal, &form, &errors, StatusCode::OK, None)
            .await;
    }
    let mut errors = FieldErrors::new();
    let note = required_text(&form, &mut errors, &note_id, "Enter a note saying why");
    let recover = match value(&form, "decision") {
        "dismiss" => None,
        _ => match Money::parse(value(&form, &amount_id)) {
            Ok(m) => Some(m),
            Err(_) => {
                errors.add(&amount_id, "Enter the amount to recover in pounds and pence");
                None
            }
        },
    };
    if !errors.is_empty() {
        return again(errors).await;
    }
    let scheme = scheme(&state)?;
    // A decision moves a person's money: one audited read of their record names them.
    let found = state.run(move |store| store.dp_review(id).map_err(ApiError::from)).await;
    let (review, person) = match found {
        Ok(Some(review)) => {
            match crate::people::authorize_person(
                &state,
                &caller,
                &review.person_code,
                false,
                &target,
            )
            .await
            {
                Ok((_, person)) => (review, person),
                Err(d) => return Err(PageError::from(d)),
            }
        }
        Ok(None) => {
            return Err(PageError::NotFound("There is no such review.".to_owned()));
        }
        Err(e) => return Err(PageError::from(e)),
    };
    // Confirm sent twice (a double click): the first decided it, the second has nothing
    // more to do.
    if review.decision.is_some() && review.decided_by.as_deref() == Some(&principal.username) {
        return see_other("/budgets/reviews?done=decided");
    }
    if step != CONFIRMED && review.decision.is_none() {
        if let Some(amount) = recover
            && (!amount.is_positive() || amount > review.proposed_recovery)
        {
            let mut errors = FieldErrors::new();
            errors.add(
                &amount_id,
                format!(
                    "Enter an amount more than zero and no more than the {} proposed",
                    review.proposed_recovery
                ),
            );
            return again(errors).await;
        }
        return review_check(
            &state,
            &caller,
            &principal,
            &scheme,
            (&review, &person),
            recover,
            &form,
        )
        .await;
    }
    let username = principal.username.clone();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.decide_dp_review(&scheme, id, recover, &note, &username))
        })
        .await;
    if matches!(outcome, Ok(Err(_))) {
        // Decided by a Confirm sent at the same moment as this one: done once.
        let again = state.run(move |store| store.dp_review(id).map_err(ApiError::from)).await;
        if let Ok(Some(r)) = again
            && r.decided_by.as_deref() == Some(&principal.username)
        {
            return see_other("/budgets/reviews?done=decided");
        }
    }
    match outcome {
        Ok(Ok(_)) => see_other("/budgets/reviews?done=decided"),
        Ok(Err(BudgetStoreError::NotFound(message))) => {
            Err(PageError::NotFound(sentence(&message)))
        }
        Ok(Err(error)) => {
            let errors = budget_errors(error, &amount_id, |field| match field {
                "note" => Some(note_id.clone()),
                "amount" => Some(amount_id.clone()),
                _ => None,
            });
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}

/// The check page of a review's decision: the person, the stream, the amount recovered and
/// the accounts it moves between, or that nothing moves on a dismissal; the Confirm button
/// carries the decision, the amount and the note. Dismissing is the warning button.
async fn review_check(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    scheme: &Scheme,
    (review, person): (&DpReview, &PersonRecord),
    recover: Option<Money>,
    form: &[(String, String)],
) -> PageResult {
    let id = review.id;
    let from = onebudget_store::direct_payment_account(&review.person_code);
    let to = scheme.stream(&review.stream).map(|s| s.funding_account.clone()).unwrap_or_default();
    let names = account_names(state, [from.clone(), to.clone()].into()).await?;
    let amount_id = format!("amount-{id}");
    let note_id = format!("note-{id}");
    let decision = if recover.is_some() { "recover" } else { "dismiss" };
    let title = if recover.is_some() {
        "Check the recovery before you confirm it"
    } else {
        "Check the dismissal before you confirm it"
    };
    let carry = [("decision".to_owned(), decision.to_owned())];
    let main = html! {
        span.govuk-caption-l { "Direct-payment review " (id) }
        h1.govuk-heading-l { (title) }
        (crate::pages::components::summary_list([
            ("Person", html! { (person_words(person)) }),
            ("Component", html! { (stream_name(scheme, &review.stream)) }),
            ("Balance when raised", html! { (review.balance) " on " (long_date(review.raised_on)) }),
            ("Proposed recovery", html! { (review.proposed_recovery) }),
            ("Decision", html! { @if recover.is_some() { "Recover" } @else { "Dismiss the review: nothing is recovered" } }),
        ]))
        @if let Some(amount) = recover {
            (crate::pages::components::summary_list([
                ("Amount recovered", html! { (amount) }),
                ("From", account_words(&from, &names)),
                ("To", account_words(&to, &names)),
                ("Date", html! { (long_date(review.raised_on)) }),
                ("Note", html! { (value(form, &note_id).trim()) }),
            ]))
            (warning_text(html! { "Confirming takes " (amount) " back from " (person.given_name) " " (person.family_name) "'s direct payment. A transfer posted is never deleted: a mistake is put right by a reversing transfer." }))
        } @else {
            (crate::pages::components::summary_list([("Note", html! { (value(form, &note_id).trim()) })]))
            (warning_text(html! { "Dismissing closes the review for good; no money moves. Monitoring may raise a new review later." }))
        }
        form method="post" action={ "/budgets/reviews/" (id) "/decide" } novalidate {
            (csrf_field(caller))
            input type="hidden" name="review" value=(id);
            (carried(&carry, &["decision"]))
            (carried(form, &[&amount_id, &note_id]))
            (check_buttons(if recover.is_some() { "Confirm the recovery" } else { "Dismiss the review" }, recover.is_none()))
        }
    };
    render_status(caller, principal, StatusCode::OK, title, main)
}
