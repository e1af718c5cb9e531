//! The demo's pools: the borough's Better Care Fund, a pooled fund between the ICB and
//! the council hosted by the council, over two financial years (2024/25, varied in
//! October for winter discharge money, closed and settled; 2025/26, closed and awaiting
//! the partners' confirmations), and an aligned budget for community equipment in
//! 2025/26, where each partner keeps its own money.
//!
//! Everything goes through the same store operations the `pool` commands and the API
//! use: the agreement is recorded, each month's contributions are posted as the
//! agreement profiles them, scheme payments are split by funding, months are closed and
//! the settlement confirmed. The figures are invented, but of a realistic size for a
//! borough of this population.

use anyhow::Context;
use chrono::NaiveDate;
use onebudget_core::ledger::Transfer;
use onebudget_core::money::{Money, Ratio, Rounding};
use onebudget_core::pool::{
    AgreementInput, FinancialYear, PartnerInput, RiskShareInput, RuleInput, SchemeInput,
};
use onebudget_store::{PoolStoreError, Store};

/// The streams and accounts the pools need, as `ledger open` records (JSON Lines).
pub const RECORDS: &str = r#"
{"type":"funding_stream","code":"IBCF","name":"Improved Better Care Fund grant","owner":"COUNCIL","charging_basis":"means_tested"}
{"type":"funding_stream","code":"CHS","name":"NHS community health services","owner":"ICB","charging_basis":"free_at_point_of_use"}
{"type":"account","code":"COUNCIL-IBCF","name":"Council Improved Better Care Fund grant","kind":"funding","owner":{"organisation":"COUNCIL"},"stream":"IBCF","may_go_negative":true}
{"type":"account","code":"ICB-CHS","name":"ICB community health services","kind":"funding","owner":{"organisation":"ICB"},"stream":"CHS","may_go_negative":true}
{"type":"account","code":"ICB-POOL-SETTLEMENT","name":"ICB pooled fund settlements","kind":"funding","owner":{"organisation":"ICB"}}
{"type":"account","code":"COUNCIL-POOL-SETTLEMENT","name":"Council pooled fund settlements","kind":"funding","owner":{"organisation":"COUNCIL"}}
{"type":"account","code":"BCF-REABLEMENT","name":"BCF scheme: reablement and rehabilitation","kind":"pool","owner":{"organisation":"COUNCIL"}}
{"type":"account","code":"BCF-DISCHARGE","name":"BCF scheme: hospital discharge support","kind":"pool","owner":{"organisation":"COUNCIL"}}
{"type":"account","code":"BCF-CARERS","name":"BCF scheme: carers' support","kind":"pool","owner":{"organisation":"COUNCIL"}}
{"type":"account","code":"BCF-COMMUNITY","name":"BCF scheme: community health and equipment","kind":"pool","owner":{"organisation":"COUNCIL"}}
{"type":"account","code":"BCF-RESERVE","name":"BCF reserve","kind":"pool","owner":{"organisation":"COUNCIL"}}
{"type":"account","code":"ICB-EQUIPMENT","name":"ICB community equipment budget","kind":"funding","owner":{"organisation":"ICB"},"stream":"CHS","may_go_negative":true}
{"type":"account","code":"COUNCIL-EQUIPMENT","name":"Council community equipment budget","kind":"funding","owner":{"organisation":"COUNCIL"},"stream":"ASC","may_go_negative":true}
{"type":"account","code":"EQUIPMENT-STORE","name":"Integrated community equipment store","kind":"expenditure","owner":{"organisation":"COUNCIL"}}
"#;

/// (code, name, account, lead, budget in pounds, the ICB's share in per mille (the
/// council funds the rest), payee, how far the year's spending runs over or under
/// budget, in per mille of the budget)
type SchemeRow =
    (&'static str, &'static str, &'static str, &'static str, i64, i64, &'static str, i64);

const SCHEMES: [SchemeRow; 4] = [
    (
        "REABLEMENT",
        "Reablement and rehabilitation",
        "BCF-REABLEMENT",
        "COUNCIL",
        14_500_000,
        700,
        "PROV-REABLEMENT",
        1_040,
    ),
    (
        "DISCHARGE",
        "Hospital discharge support",
        "BCF-DISCHARGE",
        "ICB",
        6_000_000,
        600,
        "PROV-HOMECARE-01",
        985,
    ),
    ("CARERS", "Carers' support", "BCF-CARERS", "COUNCIL", 2_500_000, 500, "PROV-DAYSERVICES", 995),
    (
        "COMMUNITY",
        "Community health and equipment",
        "BCF-COMMUNITY",
        "ICB",
        3_000_000,
        800,
        "EQUIPMENT-STORE",
        970,
    ),
];

fn share(per_mille: i64) -> String {
    Ratio::from_millionths(per_mille * 1000).to_string()
}

fn pounds(amount: i64) -> String {
    format!("{amount}.00")
}

/// The Better Care Fund agreement for `year`; `winter` adds £600,000 of discharge money
/// (a variation), split 60/40.
fn bcf(year: i32, effective_from: &str, winter: bool) -> AgreementInput {
    let extra = if winter { 600_000 } else { 0 };
    let mut icb_total = 0;
    let mut council_total = 0;
    let schemes = SCHEMES
        .iter()
        .map(|(code, name, account, lead, budget, icb, _, _)| {
            let budget = if *code == "DISCHARGE" { budget + extra } else { *budget };
            icb_total += budget * icb / 1000;
            council_total += budget - budget * icb / 1000;
            SchemeInput {
                code: (*code).into(),
                name: Some((*name).into()),
                account: (*account).into(),
                lead: (*lead).into(),
                planned_budget: pounds(budget),
                funding: [
                    ("ICB".to_owned(), share(*icb)),
                    ("COUNCIL".to_owned(), share(1000 - icb)),
                ]
                .into(),
            }
        })
        .collect();
    AgreementInput {
        pool: "BCF".into(),
        name: Some("Ashby Vale Better Care Fund".into()),
        kind: "pooled".into(),
        host: "COUNCIL".into(),
        year: i64::from(year),
        effective_from: effective_from.into(),
        partners: vec![
            PartnerInput {
                organisation: "ICB".into(),
                stream: "BCF".into(),
                account: "ICB-BCF".into(),
                settlement_account: Some("ICB-POOL-SETTLEMENT".into()),
                annual_contribution: pounds(icb_total),
                // The NHS minimum contribution (fictional figure for this borough).
                minimum_contribution: Some(pounds(17_400_000)),
                profile: None,
            },
            PartnerInput {
                organisation: "COUNCIL".into(),
                stream: "IBCF".into(),
                account: "COUNCIL-IBCF".into(),
                settlement_account: Some("COUNCIL-POOL-SETTLEMENT".into()),
                annual_contribution: pounds(council_total),
                // The Improved Better Care Fund grant is pooled in full.
                minimum_contribution: Some(pounds(8_600_000)),
                profile: None,
            },
        ],
        schemes,
        risk_share: RiskShareInput {
            overspend: RuleInput {
                rule: "capped".into(),
                shares: None,
                caps: Some([("ICB".to_owned(), pounds(250_000))].into()),
            },
            underspend: RuleInput { rule: "proportional".into(), shares: None, caps: None },
        },
        reserve_account: Some("BCF-RESERVE".into()),
    }
}

fn aligned() -> AgreementInput {
    AgreementInput {
        pool: "ICES".into(),
        name: Some("Integrated community equipment service (aligned budget)".into()),
        kind: "aligned".into(),
        host: "COUNCIL".into(),
        year: 2025,
        effective_from: "2025-04-01".into(),
        partners: vec![
            PartnerInput {
                organisation: "ICB".into(),
                stream: "CHS".into(),
                account: "ICB-CHS".into(),
                annual_contribution: pounds(1_200_000),
                ..PartnerInput::default()
            },
            PartnerInput {
                organisation: "COUNCIL".into(),
                stream: "ASC".into(),
                account: "COUNCIL-ASC".into(),
                annual_contribution: pounds(800_000),
                ..PartnerInput::default()
            },
        ],
        schemes: vec![
            SchemeInput {
                code: "HEALTH-EQUIPMENT".into(),
                name: Some("Equipment for health needs".into()),
                account: "ICB-EQUIPMENT".into(),
                lead: "ICB".into(),
                planned_budget: pounds(1_200_000),
                funding: [("ICB".to_owned(), "1".to_owned())].into(),
            },
            SchemeInput {
                code: "CARE-EQUIPMENT".into(),
                name: Some("Equipment for care needs".into()),
                account: "COUNCIL-EQUIPMENT".into(),
                lead: "COUNCIL".into(),
                planned_budget: pounds(800_000),
                funding: [("COUNCIL".to_owned(), "1".to_owned())].into(),
            },
        ],
        risk_share: RiskShareInput {
            overspend: RuleInput { rule: "lead_partner".into(), shares: None, caps: None },
            underspend: RuleInput { rule: "lead_partner".into(), shares: None, caps: None },
        },
        reserve_account: None,
    }
}

fn pool_error(error: PoolStoreError) -> anyhow::Error {
    anyhow::anyhow!("building the demo's pools: {error}")
}

/// A year of monthly scheme payments: each month's share of the budget, run over or
/// under by the scheme's factor. A scheme varied in October (`varied`) spends at the
/// varied rate from then on, as its contributions arrive.
fn payments(
    store: &Store,
    pool: &str,
    year: FinancialYear,
    schemes: &[(&str, i64, &str, i64, bool)],
) -> anyhow::Result<Vec<Transfer>> {
    let mut transfers = Vec::new();
    for (code, budget_pounds, payee, per_mille, varied) in schemes {
        let year_spend = Money::from_pounds(*budget_pounds)?.mul_div(
            *per_mille,
            1000,
            Rounding::HalfAwayFromZero,
            "demo spend",
        )?;
        let weights: [i64; 12] =
            if *varied { [5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6] } else { [1; 12] };
        let months = onebudget_core::pool::apportion(year_spend, &weights)?;
        for (index, amount) in months.into_iter().enumerate() {
            let month = index + 1;
            let date = year.month_start(month).with_day_of_month(20).context("a date")?;
            let key =
                format!("demo/{pool}/{}/{code}/{}", year.start_year(), year.month_label(month));
            let memo = format!("{code} payments {}", year.month_label(month));
            transfers.extend(
                store
                    .pool_payment(
                        pool,
                        year,
                        code,
                        payee,
                        amount,
                        date,
                        &key,
                        "provider_payment",
                        &memo,
                    )
                    .map_err(pool_error)?,
            );
        }
    }
    Ok(transfers)
}

trait DayOfMonth {
    fn with_day_of_month(self, day: u32) -> Option<NaiveDate>;
}

impl DayOfMonth for NaiveDate {
    fn with_day_of_month(self, day: u32) -> Option<NaiveDate> {
        chrono::Datelike::with_day(&self, day)
    }
}

fn post(store: &Store, transfers: &[Transfer]) -> anyhow::Result<usize> {
    Ok(store.post(transfers).map_err(|e| anyhow::anyhow!("building the demo's pools: {e}"))?.len())
}

/// In-year additional contributions, in the funding proportions, to a scheme forecast to
/// overspend (as partners agree to do pending the year-end risk share).
fn advances(
    year: FinancialYear,
    schemes: &[(&str, i64, &str, i64, bool)],
) -> anyhow::Result<Vec<Transfer>> {
    let mut transfers = Vec::new();
    for (row, (code, budget, _, per_mille, _)) in SCHEMES.iter().zip(schemes) {
        if *per_mille <= 1000 {
            continue;
        }
        // A little more than the overspend, in each partner's share, so that neither
        // partner's money in the scheme runs out before the year ends.
        let over = Money::from_pounds(*budget)?.mul_div(
            per_mille - 1000 + 1,
            1000,
            Rounding::AwayFromZero,
            "demo advance",
        )?;
        let icb = over.mul_div(row.5, 1000, Rounding::AwayFromZero, "demo advance")?;
        let council = over.mul_div(1000 - row.5, 1000, Rounding::AwayFromZero, "demo advance")?;
        for (from, stream, amount) in [("ICB-BCF", "BCF", icb), ("COUNCIL-IBCF", "IBCF", council)] {
            transfers.push(Transfer::try_from(&onebudget_core::ledger::TransferInput {
                idempotency_key: format!("demo/BCF/{}/advance/{code}/{stream}", year.start_year()),
                from: from.into(),
                to: row.2.into(),
                amount: amount.to_plain_string(),
                stream: stream.into(),
                effective_date: year.month_start(1).to_string(),
                reason: "contribution".into(),
                memo: format!(
                    "In-year additional contribution to {code}, pending the year-end risk share"
                ),
                reverses: None,
            })?);
        }
    }
    Ok(transfers)
}

/// Record the pools and two years of their money. Returns the transfers posted.
pub fn build(store: &Store) -> anyhow::Result<usize> {
    let mut posted = 0;
    for (year, winter_budget) in [(2024_i32, 6_600_000), (2025, 6_000_000)] {
        let fy = FinancialYear::new("year", i64::from(year))?;
        store
            .record_agreement(&bcf(year, &format!("{year}-04-01"), false), "demo")
            .map_err(pool_error)?;
        let schemes: Vec<(&str, i64, &str, i64, bool)> = SCHEMES
            .iter()
            .map(|(code, _, _, _, budget, _, payee, per_mille)| {
                let varied = *code == "DISCHARGE" && winter_budget != *budget;
                (
                    *code,
                    if *code == "DISCHARGE" { winter_budget } else { *budget },
                    *payee,
                    *per_mille,
                    varied,
                )
            })
            .collect();
        for month in 1..=12 {
            if year == 2024 && month == 7 {
                // October 2024: winter discharge money, a variation of the agreement.
                store
                    .record_agreement(&bcf(year, "2024-10-01", true), "demo")
                    .map_err(pool_error)?;
            }
            posted +=
                post(store, &store.pool_contributions_due("BCF", fy, month).map_err(pool_error)?)?;
        }
        // Posted after the year's contributions: `pool contribute` counts whatever a
        // partner has already paid into a scheme towards what is still due.
        posted += post(store, &advances(fy, &schemes)?)?;
        posted += post(store, &payments(store, "BCF", fy, &schemes)?)?;
        store.close_pool_months("BCF", fy, 12, "demo").map_err(pool_error)?;
        if year == 2024 {
            let view = store.pool_settlement("BCF", fy).map_err(pool_error)?;
            for (organisation, username) in [("COUNCIL", "finance"), ("ICB", "icb-finance")] {
                let (_, transfers) = store
                    .confirm_pool_settlement("BCF", fy, organisation, username, &view.digest)
                    .map_err(pool_error)?;
                posted += transfers.len();
            }
        }
    }
    let fy = FinancialYear::new("year", 2025)?;
    store.record_agreement(&aligned(), "demo").map_err(pool_error)?;
    posted += post(
        store,
        &payments(
            store,
            "ICES",
            fy,
            &[
                ("HEALTH-EQUIPMENT", 1_200_000, "EQUIPMENT-STORE", 1_030, false),
                ("CARE-EQUIPMENT", 800_000, "EQUIPMENT-STORE", 960, false),
            ],
        )?,
    )?;
    store.close_pool_months("ICES", fy, 12, "demo").map_err(pool_error)?;
    Ok(posted)
}
