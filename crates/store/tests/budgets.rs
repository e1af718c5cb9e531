//! Integrated personal budgets in the database, on SQLite and PostgreSQL from one body:
//! a joint NHS and social care budget from needs assessment to statement, every figure
//! worked out by hand below; the lifecycle's refusals; direct-payment monitoring and a
//! recovery a finance officer confirms; a move between nations; append-only history.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::NaiveDate;
use onebudget_core::budget::config::Scheme;
use onebudget_core::budget::needs::Answers;
use onebudget_core::budget::plan::{ComponentInput, DeliveryMode, LineInput, PlanInput, Status};
use onebudget_core::ledger::{
    AccountCode, AccountInput, FundingStreamInput, OpenRecord, OpenRecordInput, OwnerInput,
    StreamCode,
};
use onebudget_core::money::Money;
use onebudget_store::testing::raw_sql;
use onebudget_store::{
    BudgetChange, BudgetStoreError, NewAssessment, OrganisationRecord, PersonRecord, PostStatus,
    Store, TeamRecord, backend_tests,
};

fn pounds(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn open(store: &Store, inputs: Vec<OpenRecordInput>) {
    let records: Vec<OpenRecord> =
        inputs.iter().map(|i| OpenRecord::try_from(i).unwrap()).collect();
    store.open_records(&records).unwrap();
}

fn stream(code: &str, owner: &str, basis: &str) -> OpenRecordInput {
    OpenRecordInput::FundingStream(FundingStreamInput {
        code: code.into(),
        name: None,
        owner: owner.into(),
        charging_basis: basis.into(),
    })
}

fn account(
    code: &str,
    kind: &str,
    owner: &str,
    stream: Option<&str>,
    negative: bool,
) -> OpenRecordInput {
    OpenRecordInput::Account(AccountInput {
        code: code.into(),
        name: None,
        kind: kind.into(),
        owner: OwnerInput { organisation: Some(owner.into()), person: None },
        stream: stream.map(str::to_owned),
        may_go_negative: negative,
    })
}

fn fixture(url: &str) -> Store {
    let store = Store::open(url).unwrap();
    open(
        &store,
        vec![
            stream("ASC", "COUNCIL", "means_tested"),
            stream("PHB", "ICB", "free_at_point_of_use"),
            stream("CHC", "ICB", "free_at_point_of_use"),
            stream("BCF", "ICB", "free_at_point_of_use"),
            account("COUNCIL-ASC", "funding", "COUNCIL", Some("ASC"), true),
            account("ICB-PHB", "funding", "ICB", Some("PHB"), true),
            account("ICB-CHC", "funding", "ICB", Some("CHC"), true),
            account("ICB-BCF", "funding", "ICB", Some("BCF"), true),
            account("DP-SPEND", "expenditure", "COUNCIL", None, false),
        ],
    );
    store
        .add_people(
            &[OrganisationRecord {
                code: "COUNCIL".into(),
                name: "Council".into(),
                kind: "council".into(),
            }],
            &[TeamRecord { code: "TEAM-NORTH".into(), name: "North".into() }],
            &[PersonRecord {
                code: "P000001".into(),
                given_name: "Ada".into(),
                family_name: "Test".into(),
                nhs_number: "9990000018".into(),
                birth_date: date("1950-01-01"),
                team: "TEAM-NORTH".into(),
                setting: "home".into(),
                funding: "social_care".into(),
            }],
        )
        .unwrap();
    store
}

fn answers(scheme: &Scheme, given: &[(&str, &str)]) -> Answers {
    let q = scheme.questionnaire("2024.1").unwrap();
    let mut a: Answers =
        q.domains.iter().map(|d| (d.code.clone(), d.levels[0].code.clone())).collect();
    for (d, l) in given {
        a.insert((*d).into(), (*l).into());
    }
    a
}

fn line(what: &str, category: &str, cost: &str) -> LineInput {
    LineInput {
        what: what.into(),
        outcome: "an outcome".into(),
        category: category.into(),
        provider: None,
        weekly_cost: pounds(cost),
        streams: vec![],
        override_: None,
    }
}

/// Golden case 02's joint package: PHB 210.00 and ASC 149.60 a week, both as direct
/// payments; personal care 200.00 (PHB 160.00 + ASC 40.00), help in the home 60.00 (ASC),
/// physiotherapy 50.00 (PHB). ASC draws 100.00, PHB 210.00.
fn plan() -> PlanInput {
    PlanInput {
        components: vec![
            ComponentInput {
                stream: "PHB".into(),
                agreed: None,
                reason: None,
                mode: DeliveryMode::DirectPayment,
                provider: None,
            },
            ComponentInput {
                stream: "ASC".into(),
                agreed: None,
                reason: None,
                mode: DeliveryMode::DirectPayment,
                provider: None,
            },
        ],
        lines: vec![
            line("Personal assistant", "personal_care", "200.00"),
            line("Cleaner", "domestic", "60.00"),
            line("Physiotherapy", "therapy", "50.00"),
        ],
    }
}

fn change(on: &str, status: Status, reason: &str) -> BudgetChange {
    BudgetChange {
        effective_from: date(on),
        status,
        needs_assessment: None,
        plan: plan(),
        reason: reason.into(),
    }
}

fn balance(store: &Store, account: &str, stream: &str) -> Money {
    store
        .balances(None, Some(&StreamCode::parse("stream", stream).unwrap()))
        .unwrap()
        .into_iter()
        .find(|b| b.account == account)
        .map_or(Money::ZERO, |b| b.balance)
}

fn financial(store: &Store, nation: &str, on: &str, charge_pence: i64) {
    store
        .record_assessment(&NewAssessment {
            person_code: "P000001",
            recorded_by: "finance",
            nation,
            effective_date: date(on),
            weekly_charge_pence: charge_pence,
            case_json: "{}",
            explanation_json: "{}",
        })
        .unwrap();
}

backend_tests! {
    fn a_joint_budget_from_assessment_to_statement(url: &str) {
        let scheme = Scheme::ashby_vale().unwrap();
        let store = fixture(url);
        let person = "P000001";

        // An answer off the scale keeps nothing.
        let mut bad = answers(&scheme, &[]);
        bad.insert("mobility".into(), "terrible".into());
        let e = store.record_needs_assessment(&scheme, person, date("2024-10-01"), None, &bad, "pat").unwrap_err();
        assert!(e.to_string().contains("answers.mobility"), "{e}");
        assert!(store.needs_assessments(person).unwrap().is_empty());
        let e = store.record_needs_assessment(&scheme, "P999999", date("2024-10-01"), None, &bad, "pat").unwrap_err();
        assert!(matches!(e, BudgetStoreError::NotFound(_)), "{e}");

        let needs = store
            .record_needs_assessment(
                &scheme,
                person,
                date("2024-10-01"),
                None,
                &answers(&scheme, &[("personal_care", "needs_substantial_help"), ("mobility", "needs_help"), ("home", "needs_help"), ("health_clinical", "high"), ("mental_health", "moderate")]),
                "pat",
            )
            .unwrap();
        assert_eq!(needs.questionnaire, "2024.1");
        let eligible: Vec<&str> = needs.eligibility.iter().filter(|d| d.eligible).map(|d| d.stream.as_str()).collect();
        assert_eq!(eligible, ["PHB", "ASC"]);

        // The financial assessment in force: a charge of 30.00 a week.
        financial(&store, "england", "2024-09-01", 3_000);

        // A new budget cannot start active; a draft cannot jump to active.
        let e = store.record_budget(&scheme, person, &change("2024-10-07", Status::Active, "start"), "pat").unwrap_err();
        assert!(e.to_string().contains("starts as draft or agreed"), "{e}");
        let draft = store.record_budget(&scheme, person, &change("2024-10-07", Status::Draft, "support planning"), "pat").unwrap();
        assert_eq!(draft.version, 1);
        assert_eq!(draft.decision.budget, pounds("359.60"));
        assert_eq!(draft.decision.weekly_contribution, pounds("30.00"));
        assert!(draft.decision.steps.iter().any(|s| s.contains("england")), "{:?}", draft.decision.steps);
        let e = store.record_budget(&scheme, person, &change("2024-10-07", Status::Active, "go"), "pat").unwrap_err();
        assert!(e.to_string().contains("may become"), "{e}");
        store.record_budget(&scheme, person, &change("2024-10-07", Status::Agreed, "agreed at panel"), "pat").unwrap();
        let active = store.record_budget(&scheme, person, &change("2024-10-07", Status::Active, "activated"), "pat").unwrap();
        assert_eq!(active.version, 3);

        // Four weeks' payments: PHB 4 x 210.00 = 840.00; ASC 4 x (100.00 - 30.00) = 280.00,
        // each into the budget account and on to the direct-payment account.
        let payments = store.budget_payments(&scheme, date("2024-10-07"), 4).unwrap();
        assert_eq!(payments.len(), 4);
        let posted = store.post(&payments).unwrap();
        assert!(posted.iter().all(|p| p.status == PostStatus::Created));
        let again = store.post(&store.budget_payments(&scheme, date("2024-10-07"), 4).unwrap()).unwrap();
        assert!(again.iter().all(|p| p.status == PostStatus::AlreadyRecorded), "paying a period twice records it once");
        assert_eq!(balance(&store, "P000001-DP", "PHB"), pounds("840.00"));
        assert_eq!(balance(&store, "P000001-DP", "ASC"), pounds("280.00"));
        assert_eq!(balance(&store, "ICB-PHB", "PHB"), pounds("-840.00"));

        // Spending 100.00 on line 1 (PHB 160.00 : ASC 40.00) splits 80.00 : 20.00.
        let e = store.record_spending(person, 1, pounds("100.00"), date("2024-10-10"), " ", "spend/1", "DP-SPEND").unwrap_err();
        assert!(e.to_string().contains("receipt"), "{e}");
        let e = store.record_spending(person, 9, pounds("100.00"), date("2024-10-10"), "R1", "spend/1", "DP-SPEND").unwrap_err();
        assert!(e.to_string().contains("lines 1 to 3"), "{e}");
        store.record_spending(person, 1, pounds("100.00"), date("2024-10-10"), "PA payslip 41", "spend/1", "DP-SPEND").unwrap();
        assert_eq!(balance(&store, "P000001-DP", "PHB"), pounds("760.00"));
        assert_eq!(balance(&store, "P000001-DP", "ASC"), pounds("260.00"));
        // More than the account holds is refused by the ledger and writes nothing.
        let e = store.record_spending(person, 2, pounds("300.00"), date("2024-10-11"), "R2", "spend/2", "DP-SPEND").unwrap_err();
        assert!(matches!(e, BudgetStoreError::Post(_)), "{e}");
        assert_eq!(balance(&store, "P000001-DP", "ASC"), pounds("260.00"));

        // Monitoring at two weeks: PHB threshold 2 x 210.00 = 420.00, balance 760.00,
        // propose 340.00; ASC threshold 2 x 70.00 = 140.00, balance 260.00, propose 120.00.
        let raised = store.monitor_direct_payments(date("2024-11-04"), 2, "finance").unwrap();
        assert_eq!(raised.len(), 2);
        let phb = raised.iter().find(|r| r.stream == "PHB").unwrap();
        assert_eq!((phb.threshold, phb.proposed_recovery), (pounds("420.00"), pounds("340.00")));
        let asc = raised.iter().find(|r| r.stream == "ASC").unwrap();
        assert_eq!((asc.threshold, asc.proposed_recovery), (pounds("140.00"), pounds("120.00")));
        assert_eq!(store.budget_on(person, date("2024-11-04")).unwrap().unwrap().status, Status::UnderReview);
        assert!(store.monitor_direct_payments(date("2024-11-04"), 2, "finance").unwrap().is_empty(), "an undecided review is not raised twice");

        // Nothing moves until finance confirms; more than proposed is refused.
        assert_eq!(balance(&store, "P000001-DP", "PHB"), pounds("760.00"));
        let e = store.decide_dp_review(&scheme, phb.id, Some(pounds("400.00")), "agreed", "finance").unwrap_err();
        assert!(e.to_string().contains("no more than"), "{e}");
        let (decided, posted) = store.decide_dp_review(&scheme, phb.id, Some(pounds("340.00")), "agreed with Ada", "finance").unwrap();
        assert_eq!(decided.decision.as_deref(), Some("recovered"));
        assert_eq!(posted.len(), 1);
        assert_eq!(balance(&store, "P000001-DP", "PHB"), pounds("420.00"));
        assert_eq!(balance(&store, "ICB-PHB", "PHB"), pounds("-500.00"));
        let e = store.decide_dp_review(&scheme, phb.id, None, "again", "finance").unwrap_err();
        assert!(e.to_string().contains("already decided"), "{e}");
        // A recovery larger than the balance now is refused: spend first, then recover.
        store.record_spending(person, 2, pounds("200.00"), date("2024-11-05"), "Cleaner inv 7", "spend/3", "DP-SPEND").unwrap();
        let e = store.decide_dp_review(&scheme, asc.id, Some(pounds("120.00")), "recover", "finance").unwrap_err();
        assert!(e.to_string().contains("larger than the balance"), "{e}");
        store.decide_dp_review(&scheme, asc.id, None, "spent on the cleaner's arrears", "finance").unwrap();
        assert!(store.dp_reviews(true).unwrap().is_empty());

        // The statement: PHB paid in 840.00, paid to the person 840.00, spent 80.00,
        // returned 340.00, held 420.00. ASC paid in 280.00, spent 20.00 + 200.00.
        let st = store.person_statement(&scheme, person, None, None, date("2024-11-06")).unwrap();
        let phb = st.streams.iter().find(|s| s.stream == "PHB").unwrap();
        assert_eq!((phb.paid_in, phb.paid_to_you, phb.spent_by_you, phb.returned, phb.held_by_you),
                   (pounds("840.00"), pounds("840.00"), pounds("80.00"), pounds("340.00"), pounds("420.00")));
        assert_eq!(phb.weekly_you_pay, Money::ZERO, "the NHS part is free");
        let asc = st.streams.iter().find(|s| s.stream == "ASC").unwrap();
        assert_eq!((asc.paid_in, asc.spent_by_you, asc.held_by_you), (pounds("280.00"), pounds("220.00"), pounds("60.00")));
        assert_eq!(asc.weekly_you_pay, pounds("30.00"));
        assert!(st.entries.iter().any(|e| e.words.contains("PA payslip 41")));
        assert!(st.summary.iter().any(|s| s.contains("30.00")));

        // Money in a person-owned account outside any budget onebudget holds (a council's
        // older arrangement) is not part of the funder's share of these budgets.
        open(&store, vec![OpenRecordInput::Account(AccountInput {
            code: "P000002-PHB".into(),
            name: None,
            kind: "personal_budget".into(),
            owner: OwnerInput { organisation: None, person: Some("P000002".into()) },
            stream: Some("PHB".into()),
            may_go_negative: false,
        })]);
        let outside = onebudget_core::ledger::TransferInput {
            idempotency_key: "outside/1".into(),
            from: "ICB-PHB".into(),
            to: "P000002-PHB".into(),
            amount: "500.00".into(),
            stream: "PHB".into(),
            effective_date: "2024-10-07".into(),
            reason: "allocation".into(),
            memo: String::new(),
            reverses: None,
        };
        store.post(&[onebudget_core::ledger::Transfer::try_from(&outside).unwrap()]).unwrap();
        let funder = store.funder_statement(&scheme, "PHB", date("2024-11-06"), date("2024-04-01"), date("2025-03-31")).unwrap();
        assert_eq!((funder.budgets, funder.weekly_agreed, funder.paid_in, funder.spent, funder.returned),
                   (1, pounds("210.00"), pounds("840.00"), pounds("80.00"), pounds("340.00")));

        // She moves to Wales: a Welsh assessment from 2024-12-02 (charge 10.00) applies
        // to the budget's next version from that date.
        financial(&store, "wales", "2024-12-02", 1_000);
        let moved = store.record_budget(&scheme, person, &change("2024-12-02", Status::Active, "moved to Wales; review complete"), "pat").unwrap();
        assert_eq!(moved.decision.weekly_contribution, pounds("10.00"));
        assert!(moved.decision.steps.iter().any(|s| s.contains("wales")), "{:?}", moved.decision.steps);
        let history = store.budget_versions(person).unwrap();
        assert_eq!(history.iter().map(|v| v.status).collect::<Vec<_>>(),
                   [Status::Draft, Status::Agreed, Status::Active, Status::UnderReview, Status::Active]);
        assert_eq!(store.budget_on(person, date("2024-11-30")).unwrap().unwrap().decision.weekly_contribution, pounds("30.00"));
        // An earlier date than the latest version is refused.
        let e = store.record_budget(&scheme, person, &change("2024-11-01", Status::UnderReview, "x"), "pat").unwrap_err();
        assert!(e.to_string().contains("effective_from"), "{e}");

        // History cannot be rewritten.
        for sql in ["UPDATE budget_versions SET reason = 'x'", "DELETE FROM needs_assessments", "DELETE FROM dp_review_decisions"] {
            assert!(raw_sql(url, sql).is_err(), "{sql} must be refused");
        }
        assert!(store.account(&AccountCode::parse("a", "P000001-PHB").unwrap()).unwrap().is_some());
    }
}

backend_tests! {
    fn invoices_are_paid_only_to_the_provider_from_a_provider_held_budget(url: &str) {
        let scheme = Scheme::ashby_vale().unwrap();
        let store = fixture(url);
        open(&store, vec![
            account("PROV-HC", "provider", "PROV-HC", None, false),
            account("PROV-OTHER", "provider", "PROV-OTHER", None, false),
        ]);
        let person = "P000001";
        store
            .record_needs_assessment(&scheme, person, date("2024-10-01"), None, &answers(&scheme, &[("personal_care", "needs_help"), ("mobility", "needs_help"), ("health_clinical", "high")]), "pat")
            .unwrap();
        // Social care: (6 + 6) points x 6.80 = 81.60 a week, managed, held with PROV-HC,
        // paying for help in the home (80.00), which the NHS may not. The NHS joint package
        // (9 health points: the 120.00 band) is notional, with no provider named, paying
        // for therapy (50.00).
        let mut plan = PlanInput {
            components: vec![
                ComponentInput { stream: "PHB".into(), agreed: None, reason: None, mode: DeliveryMode::Notional, provider: None },
                ComponentInput { stream: "ASC".into(), agreed: None, reason: None, mode: DeliveryMode::Managed, provider: Some("PROV-HC".into()) },
            ],
            lines: vec![line("Home help", "domestic", "80.00"), line("Physiotherapy", "therapy", "50.00")],
        };
        for status in [Status::Agreed, Status::Active] {
            let change = BudgetChange { effective_from: date("2024-10-07"), status, needs_assessment: None, plan: plan.clone(), reason: "r".into() };
            store.record_budget(&scheme, person, &change, "pat").unwrap();
        }
        store.post(&store.budget_payments(&scheme, date("2024-10-07"), 4).unwrap()).unwrap();
        // 4 x 80.00 = 320.00 paid in; an invoice of 300.00 to the provider is paid.
        assert_eq!(balance(&store, "P000001-ASC", "ASC"), pounds("320.00"));
        assert_eq!(balance(&store, "P000001-PHB", "PHB"), pounds("200.00"));
        for (stream, to, why) in [
            ("PHB", "DP-SPEND", "not a provider's account"),
            ("PHB", "P000001-ASC", "not a provider's account"),
            ("PHB", "NOWHERE", "no such account"),
            ("ASC", "PROV-OTHER", "held by PROV-HC"),
        ] {
            let e = store.pay_provider_invoice(person, stream, to, pounds("10.00"), date("2024-10-10"), "INV-0", &format!("inv/{to}")).unwrap_err();
            assert!(e.to_string().contains(why), "{to}: {e}");
        }
        store.pay_provider_invoice(person, "PHB", "PROV-OTHER", pounds("50.00"), date("2024-10-10"), "PHYSIO-1", "inv/physio").unwrap();
        assert_eq!(balance(&store, "PROV-OTHER", "PHB"), pounds("50.00"));
        store.pay_provider_invoice(person, "ASC", "PROV-HC", pounds("300.00"), date("2024-10-10"), "INV-1", "inv/1").unwrap();
        assert_eq!(balance(&store, "PROV-HC", "ASC"), pounds("300.00"));
        // More than the budget holds is refused before posting (so a page's check says so
        // too), naming the amount and what is held: nothing moves.
        let e = store.pay_provider_invoice(person, "ASC", "PROV-HC", pounds("30.00"), date("2024-10-11"), "INV-2", "inv/2").unwrap_err();
        assert!(e.to_string().contains("more than the £20.00 the budget holds"), "{e}");
        assert!(store.provider_invoice_transfer(person, "ASC", "PROV-HC", pounds("30.00"), date("2024-10-11"), "INV-2", "inv/2").is_err());
        // The same invoice sent again (its key recorded) is not refused for the balance it
        // itself spent: it is recorded once.
        let again = store.pay_provider_invoice(person, "ASC", "PROV-HC", pounds("300.00"), date("2024-10-10"), "INV-1", "inv/1").unwrap();
        assert_eq!(again[0].status, onebudget_store::PostStatus::AlreadyRecorded, "{again:?}");
        assert_eq!(balance(&store, "PROV-HC", "ASC"), pounds("300.00"));
        assert_eq!(balance(&store, "P000001-ASC", "ASC"), pounds("20.00"));
        plan.components[1].mode = DeliveryMode::DirectPayment;
        plan.components[1].provider = None;
        let review = BudgetChange { effective_from: date("2024-10-14"), status: Status::UnderReview, needs_assessment: None, plan, reason: "now a direct payment".into() };
        store.record_budget(&scheme, person, &review, "pat").unwrap();
        let e = store.pay_provider_invoice(person, "ASC", "PROV-HC", pounds("5.00"), date("2024-10-15"), "INV-3", "inv/3").unwrap_err();
        assert!(e.to_string().contains("direct payment"), "{e}");
    }
}

backend_tests! {
    /// Issue 15: a person's budget is only ever a budget version. Budgets brought from
    /// another system become version 1 in one all-or-nothing import; the record page's
    /// read, the caseload and the statement show the version in force on the day; a
    /// review keeps the figures (and the payments) until the reviewed version.
    fn an_imported_budget_is_the_one_budget_every_view_reads(url: &str) {
        use onebudget_core::budget::plan::ImportedComponent;
        use onebudget_store::BudgetImport;
        let scheme = Scheme::ashby_vale().unwrap();
        let store = fixture(url);
        let mut second = store.person("P000001").unwrap().unwrap();
        second.code = "P000002".into();
        second.nhs_number = "9990000026".into();
        store.add_people(&[], &[], &[second]).unwrap();
        let import = |person: &str, stream: &str, weekly: &str, mode| BudgetImport {
            person: person.into(),
            effective_from: date("2024-04-01"),
            status: Status::Active,
            components: vec![ImportedComponent { stream: stream.into(), weekly: pounds(weekly), mode, provider: None }],
            source: "the council's case-management system".into(),
        };
        let first = import("P000001", "ASC", "150.00", DeliveryMode::DirectPayment);
        let chc = import("P000002", "CHC", "900.00", DeliveryMode::Notional);

        // A person named twice, or a mode the stream does not offer, keeps nothing.
        let e = store.import_budgets(&scheme, &[first.clone(), chc.clone(), first.clone()], "admin").unwrap_err();
        assert!(e.to_string().contains("P000001 already has a budget"), "{e}");
        let managed_chc = import("P000002", "CHC", "900.00", DeliveryMode::Managed);
        let e = store.import_budgets(&scheme, &[first.clone(), managed_chc], "admin").unwrap_err();
        assert!(e.to_string().contains("components[0].mode"), "{e}");
        assert!(store.budget_versions("P000001").unwrap().is_empty(), "nothing imported");

        let versions = store.import_budgets(&scheme, &[first.clone(), chc], "admin").unwrap();
        assert_eq!(versions.iter().map(|v| v.decision.budget).collect::<Vec<_>>(), [pounds("150.00"), pounds("900.00")]);
        let e = store.import_budget(&scheme, &first, "admin").unwrap_err();
        assert!(e.to_string().contains("already has a budget"), "{e}");

        // Before the first version there is no budget; from it, every read gives it.
        assert_eq!(store.budget_summary_on("P000001", date("2024-03-31")).unwrap(), None);
        let on = date("2024-05-01");
        let summary = store.budget_summary_on("P000001", on).unwrap().unwrap();
        assert_eq!((summary.version, summary.weekly_budget), (1, pounds("150.00")));
        assert_eq!(summary.components[0].mode, DeliveryMode::DirectPayment);
        let caseload = store.caseload("TEAM-NORTH", on).unwrap();
        let codes: Vec<&str> = caseload.iter().map(|r| r.person.code.as_str()).collect();
        assert_eq!(codes, ["P000001", "P000002"]);
        assert_eq!(caseload[0].budget.as_ref(), Some(&summary));
        assert_eq!(caseload[1].budget.as_ref().map(|b| b.weekly_budget), Some(pounds("900.00")));
        assert!(store.caseload("TEAM-NORTH", date("2024-03-31")).unwrap().iter().all(|r| r.budget.is_none()));
        let (_, page) = store.person_with_recent_lines("P000001", 5, on).unwrap().unwrap();
        assert_eq!(page.budget.as_ref(), Some(&summary));

        // A review keeps the figures, so the payments, until the reviewed version.
        let e = store.review_budget("P000001", date("2024-03-01"), "annual review", "pat").unwrap_err();
        assert!(e.to_string().contains("a review starts then or later"), "{e}");
        let review = store.review_budget("P000001", date("2024-04-15"), "annual review", "pat").unwrap();
        assert_eq!((review.version, review.status), (2, Status::UnderReview));
        assert_eq!(review.decision, versions[0].decision);
        let e = store.review_budget("P000001", date("2024-04-16"), "again", "pat").unwrap_err();
        assert!(e.to_string().contains("only an active budget is reviewed"), "{e}");
        let paid = store.budget_payments(&scheme, date("2024-04-29"), 4).unwrap();
        let amounts: Vec<(String, Money)> = paid.iter().map(|t| (t.to().as_str().to_owned(), t.amount())).collect();
        assert_eq!(amounts, [
            ("P000001-ASC".to_owned(), pounds("600.00")),
            ("P000001-DP".to_owned(), pounds("600.00")),
            ("P000002-CHC".to_owned(), pounds("3600.00")),
        ]);
        store.post(&paid).unwrap();
        let statement = store.person_statement(&scheme, "P000001", None, None, on).unwrap();
        assert_eq!(statement.budget.as_ref().map(|b| b.version), Some(2));
        assert_eq!(statement.streams[0].paid_in, pounds("600.00"));
        assert!(statement.summary[0].contains("£150.00 a week"), "{:?}", statement.summary);
    }
}
