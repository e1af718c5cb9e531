//! The demo's personal budgets over time: the integrated budgets, two years of payments
//! for every budget, and direct-payment monitoring.
//!
//! Every budget in the demo is a budget version. `demo` imports each person's budget from
//! April 2024 (version 1: one stream, the place's amount and delivery mode). Forty people
//! on the North team living at home then have it reviewed (version 2, the same budget
//! under review from March 2025) and replaced by an integrated budget (version 3, active
//! from 7 April 2025): a needs assessment, a financial assessment where social care
//! applies, and one budget drawing on every stream they are eligible for (social care, an
//! NHS personal health budget for a joint package, continuing healthcare, a carers'
//! grant). So each history reads as one budget that changed.
//!
//! Money moves only as the version in force says. Every budget is paid by
//! `Store::budget_payments`, the code that pays budgets in service: a first week from
//! 1 April 2024, then four-weekly from 8 April 2024 (so the integrated budgets start on a
//! payment date) to the period that ends on 5 April 2026. Direct payments are spent (with
//! receipts against the plan's lines where there is a plan) and providers invoice the
//! other budgets; at the end, direct-payment monitoring raises reviews for finance.

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use onebudget_core::assessment::{CaseInput, Setting as CaseSetting};
use onebudget_core::budget::config::{Charging, Scheme};
use onebudget_core::budget::needs::Answers;
use onebudget_core::budget::plan::{ComponentInput, DeliveryMode, LineInput, PlanInput, Status};
use onebudget_core::ledger::{Transfer, TransferInput};
use onebudget_core::money::{Money, Rounding};
use onebudget_core::policy::Nation;
use onebudget_sim::caseload::{self, Spec};
use onebudget_sim::place::{Funding, Place, Setting, SyntheticPerson};
use onebudget_store::{BudgetChange, NewAssessment, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How many people hold an integrated budget in the demo.
pub const PEOPLE: usize = 40;
/// The first day of the integrated budgets, a Monday.
pub const START: (i32, u32, u32) = (2025, 4, 7);
/// The first day of the demo's budgets (and its history), a Monday.
pub const HISTORY_START: (i32, u32, u32) = (2024, 4, 1);
/// The first four-weekly payment date; the week before it is paid on its own.
const FIRST_FOUR_WEEKLY: (i32, u32, u32) = (2024, 4, 8);
/// Four-weekly payment periods from [`FIRST_FOUR_WEEKLY`]: the last starts on 9 March
/// 2026 and runs to 5 April 2026, the end of the demo's second financial year.
const FOUR_WEEKLY_PERIODS: i64 = 26;
/// Direct-payment monitoring's threshold, in weeks of budget.
pub const MONITOR_WEEKS: u32 = 8;

/// Who gets an integrated budget: people at home on the North team, in the order the
/// place lists them, starting with the demo citizen (the first North person with a direct
/// payment), so the citizen's pages show one.
pub fn chosen(place: &Place) -> Vec<&SyntheticPerson> {
    let at_home = |p: &&SyntheticPerson| {
        p.team == "TEAM-NORTH" && p.setting == Setting::Home && p.budget.is_some()
    };
    let citizen = place.people.iter().filter(at_home).find(|p| {
        p.budget
            .as_ref()
            .is_some_and(|b| b.mode == onebudget_sim::place::DeliveryMode::DirectPayment)
    });
    let mut out: Vec<&SyntheticPerson> = citizen.into_iter().collect();
    for p in place.people.iter().filter(at_home) {
        if out.len() >= PEOPLE {
            break;
        }
        if !out.iter().any(|o| o.code == p.code) {
            out.push(p);
        }
    }
    out
}

fn start() -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(START.0, START.1, START.2).context("the demo's start date")
}

/// The day every imported budget applies from.
pub fn history_start() -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(HISTORY_START.0, HISTORY_START.1, HISTORY_START.2)
        .context("the demo's first day")
}

/// The payment periods: (first day, weeks), one after another with no gap.
fn payment_periods() -> anyhow::Result<Vec<(NaiveDate, u32)>> {
    let first =
        NaiveDate::from_ymd_opt(FIRST_FOUR_WEEKLY.0, FIRST_FOUR_WEEKLY.1, FIRST_FOUR_WEEKLY.2)
            .context("the demo's first four-weekly payment")?;
    let mut periods = vec![(history_start()?, 1)];
    periods.extend((0..FOUR_WEEKLY_PERIODS).map(|k| (first + Duration::weeks(4 * k), 4)));
    Ok(periods)
}

/// Answers for one person: continuing healthcare for people the place funds that way,
/// otherwise social care needs in two to five outcomes, a health need for about one in
/// four (a joint package), and a carer under strain for about one in three.
fn answers(scheme: &Scheme, rng: &mut StdRng, person: &SyntheticPerson) -> anyhow::Result<Answers> {
    let q = scheme.questionnaire_on(start()?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut a: Answers = q
        .domains
        .iter()
        .filter_map(|d| d.levels.first().map(|l| (d.code.clone(), l.code.clone())))
        .collect();
    let social =
        ["personal_care", "eating_drinking", "mobility", "home", "relationships", "community"];
    let outcome_levels =
        ["needs_help", "needs_substantial_help", "needs_constant_help", "with_difficulty"];
    let needs = rng.random_range(2..=5);
    for (i, domain) in social.iter().enumerate() {
        let pick = if i < needs { rng.random_range(0..3) } else { 3 };
        let level = outcome_levels.get(pick).copied().unwrap_or("with_difficulty");
        a.insert((*domain).into(), level.into());
    }
    if person.funding == Funding::ContinuingHealthcare {
        a.insert("health_clinical".into(), "severe".into());
        a.insert("behaviour".into(), if rng.random_bool(0.5) { "severe" } else { "high" }.into());
        a.insert("mental_health".into(), "moderate".into());
        if a.get("behaviour").is_some_and(|l| l == "high") {
            a.insert("mental_health".into(), "severe".into());
        }
    } else if rng.random_bool(0.25) {
        a.insert("health_clinical".into(), "high".into());
        a.insert("mental_health".into(), "moderate".into());
    }
    if rng.random_bool(0.35) {
        a.insert(
            "carers".into(),
            if rng.random_bool(0.6) { "carer_strain" } else { "carer_at_risk" }.into(),
        );
    }
    Ok(a)
}

/// The support plan: lines in categories each eligible stream may fund, costing about the
/// RAS amounts, so some plans sit a little over budget; one person asks for something no
/// stream may pay for (kept and flagged unfunded).
fn plan_for(
    scheme: &Scheme,
    rng: &mut StdRng,
    indicative: &[(String, Money)],
    direct: bool,
    provider: &str,
    unfunded_line: bool,
) -> anyhow::Result<PlanInput> {
    let mut components = Vec::new();
    let mut lines = Vec::new();
    let share =
        |m: Money, percent: i64| m.mul_div(percent, 100, Rounding::HalfAwayFromZero, "plan line");
    for (stream, amount) in indicative {
        let s = scheme.stream(stream).context("a stream of the scheme")?;
        let mode = match (s.charging, direct) {
            (Charging::Free, _) if stream == "CHC" => DeliveryMode::Notional,
            (_, true) => DeliveryMode::DirectPayment,
            (Charging::Grant, false) => DeliveryMode::Managed,
            (Charging::Free, false) => DeliveryMode::Notional,
            (Charging::MeansTested, false) => {
                if rng.random_bool(0.1) {
                    DeliveryMode::IndividualServiceFund
                } else {
                    DeliveryMode::Managed
                }
            }
        };
        components.push(ComponentInput {
            stream: stream.clone(),
            agreed: None,
            reason: None,
            mode,
            provider: (mode != DeliveryMode::DirectPayment).then(|| provider.to_owned()),
        });
        let fill: i64 = rng.random_range(88..=104);
        let (what, outcome, category, second) = match stream.as_str() {
            "ASC" => (
                "Care and support at home",
                "Washed, dressed and fed each day",
                "personal_care",
                Some((
                    "Help with shopping and cleaning",
                    "A home that is safe and clean",
                    "domestic",
                )),
            ),
            "PHB" => (
                "Physiotherapy and exercise",
                "Walks to the end of the road again",
                "therapy",
                Some(("Continence and skin care", "Skin stays healthy", "health_equipment")),
            ),
            "CHC" => (
                "Nursing and personal care",
                "Stays at home safely",
                "nursing",
                Some(("Night sitting", "Sleeps safely through the night", "personal_care")),
            ),
            _ => ("A short break each month", "Carer can keep caring", "respite", None),
        };
        let first = share(*amount, if second.is_some() { fill * 7 / 10 } else { fill })?;
        lines.push(line(what, outcome, category, first, direct, provider));
        if let Some((what, outcome, category)) = second {
            lines.push(line(
                what,
                outcome,
                category,
                share(*amount, fill * 3 / 10)?,
                direct,
                provider,
            ));
        }
    }
    if unfunded_line {
        lines.push(line(
            "Household bills",
            "Keeps the heating on",
            "living_costs",
            Money::from_pence(2_500),
            direct,
            provider,
        ));
    }
    Ok(PlanInput { components, lines })
}

fn line(
    what: &str,
    outcome: &str,
    category: &str,
    cost: Money,
    direct: bool,
    provider: &str,
) -> LineInput {
    LineInput {
        what: what.into(),
        outcome: outcome.into(),
        category: category.into(),
        provider: (!direct).then(|| provider.to_owned()),
        weekly_cost: cost,
        streams: vec![],
        override_: None,
    }
}

/// One transfer of the demo's, checked as any other.
#[allow(clippy::too_many_arguments)]
fn transfer(
    key: String,
    from: &str,
    to: &str,
    amount: Money,
    stream: &str,
    date: NaiveDate,
    reason: &str,
    memo: String,
) -> anyhow::Result<Transfer> {
    Ok(Transfer::try_from(&TransferInput {
        idempotency_key: key,
        from: from.to_owned(),
        to: to.to_owned(),
        amount: amount.to_plain_string(),
        stream: stream.to_owned(),
        effective_date: date.to_string(),
        reason: reason.to_owned(),
        memo,
        reverses: None,
    })?)
}

/// Build the integrated budgets for `people` (whose imported budgets are already
/// recorded), then pay every budget in the demo for two years; returns how many
/// transfers were posted.
pub fn build(
    store: &Store,
    scheme: &Scheme,
    people: &[&SyntheticPerson],
    seed: u64,
) -> anyhow::Result<usize> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5b_d6e7);
    let start = start()?;
    // Spare cases: a case the engine cannot assess on the date (a figure the policy
    // files hold as unknown, such as England's 2025/26 pension-age MIG) is passed over.
    let mut cases = caseload::generate(&Spec {
        cases: people.len() * 4,
        seed,
        only: Some((Nation::England, CaseSetting::NonResidential)),
        date: Some(start),
    });
    let mut direct_people = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let who = person.code.as_str();
        let mut answers = answers(scheme, &mut rng, person)?;
        if i == 0 {
            // The demo citizen holds a joint package with a carers' grant, so their pages
            // show three funders in one budget.
            for (domain, level) in [
                ("health_clinical", "high"),
                ("mental_health", "moderate"),
                ("carers", "carer_strain"),
            ] {
                answers.insert(domain.into(), level.into());
            }
        }
        let assessed = store
            .record_needs_assessment(
                scheme,
                who,
                start - Duration::days(28),
                None,
                &answers,
                "practitioner",
            )
            .map_err(|e| anyhow::anyhow!("the demo's needs assessment of {who}: {e}"))?;
        // The indicative amounts, to size the plan and the financial assessment.
        let probe = onebudget_core::budget::plan::decide(
            scheme,
            &assessed.scores,
            start,
            &PlanInput::default(),
            Money::ZERO,
        )?;
        let indicative: Vec<(String, Money)> =
            probe.components.iter().map(|c| (c.stream.clone(), c.indicative.weekly)).collect();
        let social_care = probe.components.iter().find(|c| c.charging == Charging::MeansTested);
        if let Some(asc) = social_care {
            let mut assessed_case = None;
            while let Some(mut case) = cases.pop() {
                case.weekly_cost_of_care = asc.indicative.weekly;
                if let Ok(explanation) = onebudget_web::assessment::assess_case(&case) {
                    // The citizen pays something, so their statement shows a contribution.
                    if i == 0 && !explanation.outcome.weekly_charge.is_positive() {
                        continue;
                    }
                    assessed_case = Some((case, explanation));
                    break;
                }
            }
            let (case, explanation): (CaseInput, _) =
                assessed_case.context("the demo ran out of financial cases it can assess")?;
            store.record_assessment(&NewAssessment {
                person_code: who,
                recorded_by: "finance",
                nation: "england",
                effective_date: start - Duration::days(14),
                weekly_charge_pence: explanation.outcome.weekly_charge.pence(),
                case_json: &serde_json::to_string(&case)?,
                explanation_json: &serde_json::to_string(&explanation)?,
            })?;
        }
        let direct = i == 0
            || person
                .budget
                .as_ref()
                .is_some_and(|b| b.mode == onebudget_sim::place::DeliveryMode::DirectPayment);
        let provider = person
            .budget
            .as_ref()
            .and_then(|b| b.provider.clone())
            .unwrap_or_else(|| "PROV-DAYSERVICES".to_owned());
        let mut plan = plan_for(scheme, &mut rng, &indicative, direct, &provider, i == 3)?;
        // Where the plan draws less from a stream than its indicative amount, the panel
        // agrees what the plan costs: a budget pays what its plan uses, so agreeing more
        // would show the person a figure they are never paid.
        let drawn = onebudget_core::budget::plan::decide(
            scheme,
            &assessed.scores,
            start,
            &plan,
            Money::ZERO,
        )?;
        for component in &mut plan.components {
            let Some(d) = drawn.components.iter().find(|d| d.stream == component.stream) else {
                continue;
            };
            if d.allocated < d.agreed {
                component.agreed = Some(d.allocated);
                component.reason =
                    Some(format!("the support plan costs {} a week from this stream", d.allocated));
            }
        }
        // Version 2: the imported budget, unchanged, under review while the plan is made.
        store
            .review_budget(
                who,
                start - Duration::days(21),
                "review for an integrated budget: support planning with the person and their \
                 family",
                "practitioner",
            )
            .map_err(|e| anyhow::anyhow!("the demo's review of {who}'s budget: {e}"))?;
        // Version 3: the integrated budget, agreed at panel, active from the start.
        let version = store
            .record_budget(
                scheme,
                who,
                &BudgetChange {
                    effective_from: start,
                    status: Status::Active,
                    needs_assessment: Some(assessed.id),
                    plan,
                    reason: "agreed at the North team's budget panel: payments start".into(),
                },
                "practitioner",
            )
            .map_err(|e| anyhow::anyhow!("the demo's budget for {who}: {e}"))?;
        if let Some(c) = version.decision.components.iter().find(|c| c.allocated != c.agreed) {
            anyhow::bail!(
                "the demo's budget for {who} agrees {} from {} but its plan uses {}",
                c.agreed,
                c.stream,
                c.allocated
            );
        }
        if direct {
            direct_people.push(who.to_owned());
        }
    }

    let mut posted = 0;
    let mut spend_rng = StdRng::seed_from_u64(seed ^ 0x0d_5e_4d);
    for (from, weeks) in payment_periods()? {
        // What the versions in force say is paid, and, for budgets without a plan's
        // lines (those imported), what is done with it: direct payments mostly spent, the
        // others invoiced by their provider, in the same batch.
        let live = store.live_budgets(from)?;
        let mut batch = onebudget_store::budget_payments_for(scheme, &live, from, weeks)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for version in &live {
            if !version.decision.lines.is_empty() {
                continue;
            }
            let who = version.person_code.as_str();
            for c in &version.decision.components {
                let paid = c.funder_pays.checked_mul(i64::from(weeks))?;
                if !paid.is_positive() {
                    continue;
                }
                let key = format!("demo/{from}/{who}/{}", c.stream);
                if c.mode == onebudget_core::budget::plan::DeliveryMode::DirectPayment {
                    // People spend most of their direct payment; a little builds up.
                    let spent = paid.mul_div(
                        spend_rng.random_range(93..=100),
                        100,
                        Rounding::TowardZero,
                        "spend",
                    )?;
                    if spent.is_positive() {
                        batch.push(transfer(
                            format!("{key}/spend"),
                            &onebudget_store::direct_payment_account(who),
                            "DP-SPEND",
                            spent,
                            &c.stream,
                            from,
                            "spend",
                            format!("Care and support bought with the direct payment from {from}"),
                        )?);
                    }
                } else if let Some(provider) = &c.provider {
                    batch.push(transfer(
                        format!("{key}/invoice"),
                        &onebudget_store::budget_account(who, &c.stream),
                        provider,
                        paid,
                        &c.stream,
                        from,
                        "provider_payment",
                        format!("Invoice for {weeks} week(s) of care from {from}"),
                    )?);
                }
            }
        }
        posted += store.post(&batch).map_err(|e| anyhow::anyhow!("{e}"))?.len();
        for person in people {
            let who = person.code.as_str();
            let Some(budget) = store.budget_on(who, from)?.filter(|b| !b.decision.lines.is_empty())
            else {
                continue;
            };
            let i = people.iter().position(|p| p.code == who).unwrap_or(0);
            let mid = from + Duration::days(10);
            for line in &budget.decision.lines {
                let funded: Money = Money::checked_sum(line.funded.iter().map(|f| f.amount))?;
                if !funded.is_positive() {
                    continue;
                }
                let four_weeks = funded.checked_mul(i64::from(weeks))?;
                if direct_people.iter().any(|d| d == who) {
                    // Most people spend most of it; every fifth spends only half, so their
                    // balance builds up and monitoring finds it.
                    let percent = if i % 5 == 2 { 50 } else { rng.random_range(86..=100) };
                    // Direct payments are paid net of the person's contribution, which
                    // they add from their own money outside the ledger; so the ledger
                    // sees them spend at most the funders' share of each line.
                    let net = line
                        .funded
                        .iter()
                        .filter_map(|f| {
                            budget.decision.components.iter().find(|c| c.stream == f.stream)
                        })
                        .filter(|c| c.allocated.is_positive())
                        .map(|c| (c.funder_pays.pence(), c.allocated.pence()))
                        .min_by(|a, b| {
                            (i128::from(a.0) * i128::from(b.1))
                                .cmp(&(i128::from(b.0) * i128::from(a.1)))
                        })
                        .unwrap_or((1, 1));
                    let spent = four_weeks
                        .mul_div(net.0, net.1.max(1), Rounding::TowardZero, "spending")?
                        .mul_div(percent, 100, Rounding::TowardZero, "spending")?;
                    if !spent.is_positive() {
                        continue;
                    }
                    let receipt = format!("R{}-{who}-{}", from.format("%y%m%d"), line.number);
                    posted += store
                        .record_spending(
                            who,
                            line.number,
                            spent,
                            mid,
                            &receipt,
                            &format!("demo/spend/{who}/{from}/{}", line.number),
                            "DP-SPEND",
                        )
                        .map_err(|e| anyhow::anyhow!("the demo's spending for {who}: {e}"))?
                        .len();
                } else {
                    for f in &line.funded {
                        let Some(component) =
                            budget.decision.components.iter().find(|c| c.stream == f.stream)
                        else {
                            continue;
                        };
                        let Some(provider) = component.provider.as_deref() else { continue };
                        // The council bills the person for their contribution, so the
                        // budget pays the provider the funders' share of the invoice.
                        let amount = f.amount.checked_mul(i64::from(weeks))?.mul_div(
                            component.funder_pays.pence(),
                            component.allocated.pence().max(1),
                            Rounding::TowardZero,
                            "invoice",
                        )?;
                        if !amount.is_positive() {
                            continue;
                        }
                        let invoice = format!(
                            "INV-{}-{who}-{}-{}",
                            from.format("%y%m%d"),
                            line.number,
                            f.stream
                        );
                        posted += store
                            .pay_provider_invoice(
                                who,
                                &f.stream,
                                provider,
                                amount,
                                mid,
                                &invoice,
                                &format!("demo/invoice/{invoice}"),
                            )
                            .map_err(|e| anyhow::anyhow!("the demo's invoice for {who}: {e}"))?
                            .len();
                    }
                }
            }
        }
    }
    // Two weeks before the end of the last period.
    let last = start + Duration::weeks(13 * 4 - 2);
    store
        .monitor_direct_payments(last, MONITOR_WEEKS, "finance")
        .map_err(|e| anyhow::anyhow!("the demo's direct-payment monitoring: {e}"))?;
    Ok(posted)
}
