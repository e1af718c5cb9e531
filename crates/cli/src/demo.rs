//! `onebudget demo`: a deterministic synthetic place in the ledger, built once into an
//! empty database, so a newcomer can see money flow from funders through a Better Care
//! Fund pool to people's budgets and on to providers.
//!
//! The place: an ICB and a metropolitan borough council; funding streams for adult social
//! care (means-tested), NHS continuing healthcare and personal health budgets (free),
//! the Disabled Facilities Grant and the Better Care Fund; a pool the council hosts; a
//! provider market; and people whose budgets are paid monthly for two financial years
//! (April 2024 to March 2026), some as direct payments. All names are synthetic.

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use onebudget_core::ledger::{
    AccountInput, FundingStreamInput, OpenRecord, OpenRecordInput, OwnerInput, Transfer,
    TransferInput,
};
use onebudget_core::money::Money;
use onebudget_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How many people hold a budget in the demo ledger.
const PEOPLE: usize = 400;
const PROVIDERS: [&str; 6] = [
    "PROV-HOMECARE-NORTH",
    "PROV-HOMECARE-SOUTH",
    "PROV-CAREHOME-ELMS",
    "PROV-CAREHOME-OAKS",
    "PROV-REABLEMENT",
    "PROV-DAYSERVICES",
];

fn stream(code: &str, name: &str, owner: &str, basis: &str) -> OpenRecordInput {
    OpenRecordInput::FundingStream(FundingStreamInput {
        code: code.into(),
        name: Some(name.into()),
        owner: owner.into(),
        charging_basis: basis.into(),
    })
}

fn account(
    code: &str,
    name: &str,
    kind: &str,
    organisation: Option<&str>,
    person: Option<&str>,
    stream: Option<&str>,
    negative: bool,
) -> OpenRecordInput {
    OpenRecordInput::Account(AccountInput {
        code: code.into(),
        name: Some(name.into()),
        kind: kind.into(),
        owner: OwnerInput {
            organisation: organisation.map(str::to_owned),
            person: person.map(str::to_owned),
        },
        stream: stream.map(str::to_owned),
        may_go_negative: negative,
    })
}

/// Build the demo place if the database has no accounts yet; returns a summary line.
pub fn build(store: &Store, seed: u64) -> anyhow::Result<String> {
    if !store.accounts()?.is_empty() {
        return Ok(format!(
            "using the existing data in {} ({} transfers); delete it to rebuild the demo",
            store.description(),
            store.transfer_count()?
        ));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut inputs = vec![
        stream("ASC", "Adult social care", "COUNCIL", "means_tested"),
        stream("CHC", "NHS continuing healthcare", "ICB", "free_at_point_of_use"),
        stream("PHB", "Personal health budgets", "ICB", "free_at_point_of_use"),
        stream("DFG", "Disabled Facilities Grant", "COUNCIL", "means_tested"),
        stream("BCF", "Better Care Fund", "ICB", "free_at_point_of_use"),
        account(
            "COUNCIL-ASC",
            "Council adult social care budget",
            "funding",
            Some("COUNCIL"),
            None,
            Some("ASC"),
            true,
        ),
        account(
            "ICB-CHC",
            "ICB continuing healthcare budget",
            "funding",
            Some("ICB"),
            None,
            Some("CHC"),
            true,
        ),
        account(
            "ICB-PHB",
            "ICB personal health budgets",
            "funding",
            Some("ICB"),
            None,
            Some("PHB"),
            true,
        ),
        account(
            "COUNCIL-DFG",
            "Disabled Facilities Grant allocation",
            "funding",
            Some("COUNCIL"),
            None,
            Some("DFG"),
            true,
        ),
        account(
            "ICB-BCF",
            "ICB Better Care Fund contribution",
            "funding",
            Some("ICB"),
            None,
            Some("BCF"),
            true,
        ),
        account(
            "BCF-POOL",
            "Better Care Fund pooled budget (council host)",
            "pool",
            Some("COUNCIL"),
            None,
            None,
            false,
        ),
        account(
            "DISTRICT-DFG",
            "District council adaptations",
            "expenditure",
            Some("DISTRICT"),
            None,
            Some("DFG"),
            false,
        ),
    ];
    for provider in PROVIDERS {
        inputs.push(account(provider, provider, "provider", Some(provider), None, None, false));
    }
    let mut people = Vec::with_capacity(PEOPLE);
    for n in 0..PEOPLE {
        let person = format!("P{:06}", n + 1);
        // About one in eight takes a direct payment; about one in ten is NHS-funded.
        let nhs = rng.random_ratio(1, 10);
        let direct = !nhs && rng.random_ratio(1, 8);
        let stream = if nhs { "CHC" } else { "ASC" };
        let weekly_pence: i64 =
            if nhs { rng.random_range(60_000..180_000) } else { rng.random_range(12_000..70_000) };
        let provider = PROVIDERS
            .get(rng.random_range(0..PROVIDERS.len()))
            .copied()
            .unwrap_or("PROV-DAYSERVICES");
        inputs.push(account(
            &format!("{person}-{stream}"),
            &format!("Personal budget ({stream})"),
            "personal_budget",
            None,
            Some(&person),
            Some(stream),
            false,
        ));
        if direct {
            inputs.push(account(
                &format!("{person}-DP"),
                "Direct payment account",
                "direct_payment",
                None,
                Some(&person),
                None,
                false,
            ));
        }
        people.push((person, stream, weekly_pence, direct, provider));
    }
    inputs.push(account(
        "DP-SPEND",
        "Spending from direct payments",
        "expenditure",
        Some("COUNCIL"),
        None,
        None,
        false,
    ));
    let records: Vec<OpenRecord> =
        inputs.iter().map(OpenRecord::try_from).collect::<Result<_, _>>()?;
    store.open_records(&records).map_err(|e| anyhow::anyhow!("{e}"))?;

    let mut transfers = Vec::new();
    let mut push = |key: String,
                    from: &str,
                    to: &str,
                    amount: Money,
                    stream: &str,
                    date: NaiveDate,
                    reason: &str,
                    memo: String|
     -> anyhow::Result<()> {
        transfers.push(Transfer::try_from(&TransferInput {
            idempotency_key: key,
            from: from.into(),
            to: to.into(),
            amount: amount.to_plain_string(),
            stream: stream.into(),
            effective_date: date.format("%Y-%m-%d").to_string(),
            reason: reason.into(),
            memo,
            reverses: None,
        })?);
        Ok(())
    };
    for month in 0..24u32 {
        let year = 2024 + i32::try_from((3 + month) / 12).unwrap_or(0);
        let date = NaiveDate::from_ymd_opt(year, (3 + month) % 12 + 1, 1).context("month")?;
        let tag = format!("{}-{:02}", date.year(), date.month());
        // The Better Care Fund: the ICB's contribution into the pool, and a month of
        // reablement and adaptations from it.
        let bcf = Money::from_pounds(1_450_000)?;
        push(
            format!("demo-{tag}-bcf-contribution"),
            "ICB-BCF",
            "BCF-POOL",
            bcf,
            "BCF",
            date,
            "contribution",
            format!("ICB Better Care Fund contribution {tag}"),
        )?;
        let reablement = Money::from_pence(rng.random_range(110_000_000..135_000_000));
        push(
            format!("demo-{tag}-bcf-reablement"),
            "BCF-POOL",
            "PROV-REABLEMENT",
            reablement,
            "BCF",
            date,
            "provider_payment",
            format!("Reablement service {tag}"),
        )?;
        let dfg = Money::from_pence(rng.random_range(9_000_000..14_000_000));
        push(
            format!("demo-{tag}-dfg"),
            "COUNCIL-DFG",
            "DISTRICT-DFG",
            dfg,
            "DFG",
            date,
            "allocation",
            format!("Disabled Facilities Grant passed to the district {tag}"),
        )?;
        for (person, stream, weekly_pence, direct, provider) in &people {
            let funder = if *stream == "CHC" { "ICB-CHC" } else { "COUNCIL-ASC" };
            let budget_account = format!("{person}-{stream}");
            let monthly = Money::from_pence(*weekly_pence).weekly_to_monthly()?;
            push(
                format!("demo-{tag}-{person}-fund"),
                funder,
                &budget_account,
                monthly,
                stream,
                date,
                "allocation",
                format!("Monthly budget {tag}"),
            )?;
            if *direct {
                let dp = format!("{person}-DP");
                push(
                    format!("demo-{tag}-{person}-dp"),
                    &budget_account,
                    &dp,
                    monthly,
                    stream,
                    date,
                    "direct_payment",
                    format!("Direct payment {tag}"),
                )?;
                // People spend most of their direct payment; a little builds up.
                let spent = monthly.mul_div(
                    rng.random_range(85..100),
                    100,
                    onebudget_core::money::Rounding::TowardZero,
                    "spend",
                )?;
                push(
                    format!("demo-{tag}-{person}-spend"),
                    &dp,
                    "DP-SPEND",
                    spent,
                    stream,
                    date,
                    "spend",
                    format!("Personal assistant wages {tag}"),
                )?;
            } else {
                push(
                    format!("demo-{tag}-{person}-invoice"),
                    &budget_account,
                    provider,
                    monthly,
                    stream,
                    date,
                    "provider_payment",
                    format!("Invoice {tag}"),
                )?;
            }
        }
    }
    let posted = store.post(&transfers).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(format!(
        "built the demo place in {}: {} accounts, {} transfers over April 2024 to March 2026",
        store.description(),
        records.len(),
        posted.len()
    ))
}

/// What to tell the person who started the demo.
pub fn guide(url: &str) -> String {
    format!(
        "onebudget demo is running on {url}\n\
         \n  what might I pay?    {url}/check-what-you-might-pay\
         \n  health check         {url}/health\
         \n  balances             {url}/api/balances\
         \n  balances by stream   {url}/api/balances?stream=BCF\
         \n  a pool's statement   {url}/api/accounts/BCF-POOL/statement\
         \n  API description      {url}/api/openapi.json\
         \n\nPress Ctrl-C to stop."
    )
}
