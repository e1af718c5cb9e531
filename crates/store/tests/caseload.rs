//! The caseload a page at a time, on SQLite and PostgreSQL from one body: search by name,
//! NHS number and code, each filter, each sort and paging, against nine people whose
//! budgets and review dates are set out below and whose expected order is worked out by
//! hand; and the upgrade that fills in the components of budgets recorded before them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use DeliveryMode::{DirectPayment, IndividualServiceFund, Managed, Notional};
use chrono::NaiveDate;
use onebudget_core::budget::config::Scheme;
use onebudget_core::budget::plan::{DeliveryMode, ImportedComponent, Status};
use onebudget_core::ledger::{
    AccountInput, FundingStreamInput, OpenRecord, OpenRecordInput, OwnerInput,
};
use onebudget_core::money::Money;
use onebudget_store::testing::raw_sql;
use onebudget_store::{
    BudgetImport, CaseloadQuery, CaseloadSort, Funding, OrganisationRecord, PersonRecord,
    ReviewDue, Store, TeamRecord, backend_tests,
};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The day every query below is asked on.
const TODAY: &str = "2026-12-07";

fn open_streams(store: &Store) {
    let stream = |code: &str, owner: &str, basis: &str| {
        OpenRecordInput::FundingStream(FundingStreamInput {
            code: code.into(),
            name: None,
            owner: owner.into(),
            charging_basis: basis.into(),
        })
    };
    let account = |code: &str, owner: &str, stream: &str| {
        OpenRecordInput::Account(AccountInput {
            code: code.into(),
            name: None,
            kind: "funding".into(),
            owner: OwnerInput { organisation: Some(owner.into()), person: None },
            stream: Some(stream.into()),
            may_go_negative: true,
        })
    };
    let inputs = [
        stream("ASC", "COUNCIL", "means_tested"),
        stream("PHB", "ICB", "free_at_point_of_use"),
        stream("CHC", "ICB", "free_at_point_of_use"),
        account("COUNCIL-ASC", "COUNCIL", "ASC"),
        account("ICB-PHB", "ICB", "PHB"),
        account("ICB-CHC", "ICB", "CHC"),
    ];
    let records: Vec<OpenRecord> =
        inputs.iter().map(|i| OpenRecord::try_from(i).unwrap()).collect();
    store.open_records(&records).unwrap();
}

/// (code, given, family, NHS number, team, funding, budget components, set on)
type Someone = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str, DeliveryMode)>,
    &'static str,
);

/// Nine people. On 7 December 2026 a budget set on 7 December 2025 is due that day; one
/// set on 4 January 2026 is due in 28 days (the last day of "due soon"); one set on
/// 5 January 2026 is due in 29 days (not soon); one set on 6 December 2025 was due
/// yesterday (overdue). Smith's budget went under review on 1 November 2026: that does
/// not move the day it was set (10 January 2025), so it is overdue.
fn people() -> Vec<Someone> {
    vec![
        (
            "P000001",
            "Ada",
            "Test",
            "9990000018",
            "TEAM-NORTH",
            "social_care",
            vec![("ASC", "150.00", DirectPayment)],
            "2025-12-20",
        ),
        (
            "P000002",
            "Bea",
            "Brown",
            "9990000026",
            "TEAM-NORTH",
            "continuing_healthcare",
            vec![("ASC", "200.00", Managed), ("PHB", "100.00", IndividualServiceFund)],
            "2025-06-01",
        ),
        (
            "P000003",
            "Cal",
            "Young",
            "9990000034",
            "TEAM-NORTH",
            "continuing_healthcare",
            vec![("CHC", "900.00", Notional)],
            "2026-03-01",
        ),
        (
            "P000004",
            "Dee",
            "Smith",
            "9990000042",
            "TEAM-SOUTH",
            "social_care",
            vec![("ASC", "300.00", DirectPayment)],
            "2025-01-10",
        ),
        ("P000005", "Eve", "Adams", "9990000050", "TEAM-NORTH", "social_care", vec![], ""),
        (
            "P000006",
            "Fay",
            "Green",
            "9990000069",
            "TEAM-NORTH",
            "social_care",
            vec![("ASC", "100.00", DirectPayment)],
            "2025-12-07",
        ),
        (
            "P000007",
            "Gus",
            "Hill",
            "9990000077",
            "TEAM-NORTH",
            "social_care",
            vec![("ASC", "120.00", DirectPayment)],
            "2026-01-04",
        ),
        (
            "P000008",
            "Hal",
            "Iles",
            "9990000085",
            "TEAM-NORTH",
            "social_care",
            vec![("ASC", "130.00", DirectPayment)],
            "2026-01-05",
        ),
        (
            "P000009",
            "Ivy",
            "Jones",
            "9990000093",
            "TEAM-NORTH",
            "social_care",
            vec![("ASC", "110.00", DirectPayment)],
            "2025-12-06",
        ),
    ]
}

fn fixture(url: &str) -> Store {
    let store = Store::open(url).unwrap();
    open_streams(&store);
    let people = people();
    let records: Vec<PersonRecord> = people
        .iter()
        .map(|(code, given, family, nhs, team, funding, _, _)| PersonRecord {
            code: (*code).into(),
            given_name: (*given).into(),
            family_name: (*family).into(),
            nhs_number: (*nhs).into(),
            birth_date: date("1950-01-01"),
            team: (*team).into(),
            setting: "home".into(),
            funding: (*funding).into(),
        })
        .collect();
    store
        .add_people(
            &[
                OrganisationRecord {
                    code: "COUNCIL".into(),
                    name: "Council".into(),
                    kind: "council".into(),
                },
                OrganisationRecord { code: "ICB".into(), name: "ICB".into(), kind: "icb".into() },
            ],
            &[
                TeamRecord { code: "TEAM-NORTH".into(), name: "North".into() },
                TeamRecord { code: "TEAM-SOUTH".into(), name: "South".into() },
            ],
            &records,
        )
        .unwrap();
    let imports: Vec<BudgetImport> = people
        .iter()
        .filter(|p| !p.6.is_empty())
        .map(|(code, _, _, _, _, _, components, set_on)| BudgetImport {
            person: (*code).into(),
            effective_from: date(set_on),
            status: Status::Active,
            components: components
                .iter()
                .map(|(stream, weekly, mode)| ImportedComponent {
                    stream: (*stream).into(),
                    weekly: Money::parse(weekly).unwrap(),
                    mode: *mode,
                    provider: (*mode == IndividualServiceFund).then(|| "Acme Care".to_owned()),
                })
                .collect(),
            source: "a test".into(),
        })
        .collect();
    store.import_budgets(&Scheme::ashby_vale().unwrap(), &imports, "admin").unwrap();
    store.review_budget("P000004", date("2026-11-01"), "annual review", "pat").unwrap();
    store
}

/// The family names of the page `query` gives on [`TODAY`], and how many match in all.
fn names(store: &Store, query: &CaseloadQuery) -> (Vec<String>, u64) {
    let page = store.caseload_page(query, date(TODAY)).unwrap();
    (page.rows.iter().map(|r| r.person.family_name.clone()).collect(), page.total)
}

fn all() -> CaseloadQuery {
    CaseloadQuery { limit: 50, ..CaseloadQuery::default() }
}

fn expect(store: &Store, query: CaseloadQuery, expected: &[&str]) {
    let (found, total) = names(store, &query);
    assert_eq!(found, expected, "{query:?}");
    assert_eq!(total, expected.len() as u64, "{query:?}");
}

backend_tests! {
    /// Issue 15 §4: find people on a caseload by name, NHS number or code.
    fn search_finds_by_name_nhs_number_or_code(url: &str) {
        let store = fixture(url);
        let search = |text: &str| CaseloadQuery { search: Some(text.into()), ..all() };
        expect(&store, search("brow"), &["Brown"]);
        expect(&store, search("ADA T"), &["Test"]);
        expect(&store, search("test, ada"), &["Test"]);
        expect(&store, search("999 000 0034"), &["Young"]);
        expect(&store, search("p000004"), &["Smith"]);
        // LIKE's wildcards are matched as themselves, and a near miss finds no one.
        expect(&store, search("%"), &[]);
        expect(&store, search("_"), &[]);
        expect(&store, search("999 000 0035"), &[]);
        // Within a team, someone on another team is not found.
        expect(&store, CaseloadQuery { team: Some("TEAM-NORTH".into()), ..search("smith") }, &[]);
    }

    /// Each filter alone, and several at once.
    fn each_filter_keeps_only_the_people_it_names(url: &str) {
        let store = fixture(url);
        expect(&store, all(), &["Adams", "Brown", "Green", "Hill", "Iles", "Jones", "Smith", "Test", "Young"]);
        expect(&store, CaseloadQuery { team: Some("TEAM-SOUTH".into()), ..all() }, &["Smith"]);
        expect(&store, CaseloadQuery { funding: Some(Funding::ContinuingHealthcare), ..all() }, &["Brown", "Young"]);
        expect(&store, CaseloadQuery { funding: Some(Funding::SocialCare), ..all() }, &["Adams", "Green", "Hill", "Iles", "Jones", "Smith", "Test"]);
        expect(&store, CaseloadQuery { mode: Some(DirectPayment), ..all() }, &["Green", "Hill", "Iles", "Jones", "Smith", "Test"]);
        expect(&store, CaseloadQuery { mode: Some(IndividualServiceFund), ..all() }, &["Brown"]);
        expect(&store, CaseloadQuery { mode: Some(Managed), ..all() }, &["Brown"]);
        expect(&store, CaseloadQuery { mode: Some(Notional), ..all() }, &["Young"]);
        expect(&store, CaseloadQuery { integrated: Some(true), ..all() }, &["Brown"]);
        expect(&store, CaseloadQuery { integrated: Some(false), ..all() }, &["Green", "Hill", "Iles", "Jones", "Smith", "Test", "Young"]);
        // Due today, in 20 days and in 28 days are soon; in 29 days is not.
        expect(&store, CaseloadQuery { review: Some(ReviewDue::Soon), ..all() }, &["Green", "Hill", "Test"]);
        // Due yesterday, in June, and under review since November but set in January 2025.
        expect(&store, CaseloadQuery { review: Some(ReviewDue::Overdue), ..all() }, &["Brown", "Jones", "Smith"]);
        expect(
            &store,
            CaseloadQuery { team: Some("TEAM-NORTH".into()), mode: Some(DirectPayment), review: Some(ReviewDue::Overdue), ..all() },
            &["Jones"],
        );
        // The budget is the version in force on the day: before Test's started, none.
        let earlier = CaseloadQuery { integrated: Some(false), ..all() };
        let page = store.caseload_page(&earlier, date("2025-12-10")).unwrap();
        let found: Vec<&str> = page.rows.iter().map(|r| r.person.family_name.as_str()).collect();
        assert_eq!(found, ["Green", "Jones", "Smith"]);
    }

    /// Sorted by name, weekly budget or review date, either way; no figure sorts last.
    fn sorts_by_name_budget_and_review_date(url: &str) {
        let store = fixture(url);
        let sort = |sort, descending| CaseloadQuery { sort, descending, ..all() };
        expect(&store, sort(CaseloadSort::Name, true), &["Young", "Test", "Smith", "Jones", "Iles", "Hill", "Green", "Brown", "Adams"]);
        // Brown (200 + 100) and Smith (300) tie, and go by name.
        expect(&store, sort(CaseloadSort::WeeklyBudget, true), &["Young", "Brown", "Smith", "Test", "Iles", "Hill", "Jones", "Green", "Adams"]);
        expect(&store, sort(CaseloadSort::WeeklyBudget, false), &["Green", "Jones", "Hill", "Iles", "Test", "Brown", "Smith", "Young", "Adams"]);
        expect(&store, sort(CaseloadSort::ReviewDate, false), &["Smith", "Brown", "Jones", "Green", "Test", "Hill", "Iles", "Young", "Adams"]);
        expect(&store, sort(CaseloadSort::ReviewDate, true), &["Young", "Iles", "Hill", "Test", "Green", "Jones", "Brown", "Smith", "Adams"]);
        let page = store.caseload_page(&sort(CaseloadSort::ReviewDate, false), date(TODAY)).unwrap();
        let due: Vec<Option<NaiveDate>> = page.rows.iter().map(|r| r.review_due).collect();
        assert_eq!(due[0], Some(date("2026-01-10")), "Smith: set 10 January 2025, under review since");
        assert_eq!(page.rows[0].budget.as_ref().map(|b| b.status), Some(Status::UnderReview));
        assert_eq!(due[4], Some(date("2026-12-20")), "Test");
        assert_eq!(due[8], None, "Adams has no budget");
    }

    /// Pages never overlap or skip anyone, and the total counts every match.
    fn pages_cover_every_match_once(url: &str) {
        let store = fixture(url);
        let page = |offset| CaseloadQuery { offset, limit: 4, ..all() };
        assert_eq!(names(&store, &page(0)), (vec!["Adams".into(), "Brown".into(), "Green".into(), "Hill".into()], 9));
        assert_eq!(names(&store, &page(4)), (vec!["Iles".into(), "Jones".into(), "Smith".into(), "Test".into()], 9));
        assert_eq!(names(&store, &page(8)), (vec!["Young".into()], 9));
        assert_eq!(names(&store, &page(12)), (vec![], 9));
        let filtered = CaseloadQuery { mode: Some(DirectPayment), offset: 4, limit: 4, ..all() };
        assert_eq!(names(&store, &filtered), (vec!["Smith".into(), "Test".into()], 6));
    }

    /// A database from before migration 0009 gets the components of the budgets it holds
    /// when it is opened, so the caseload finds them by delivery mode; and the rows are as
    /// append-only as the versions they describe.
    fn upgrading_fills_in_the_components_of_recorded_budgets(url: &str) {
        drop(fixture(url));
        // Back to schema 8: undo 0011, 0010, then 0009.
        raw_sql(
            url,
            "DROP TABLE social_care_events; DROP TABLE hospital_spells; DROP TABLE deaths; \
             DROP TABLE event_import_batches; DROP TABLE demo_pseudonym_key; \
             ALTER TABLE users DROP COLUMN disabled_at; DROP TABLE budget_components; \
             DELETE FROM schema_migrations WHERE version IN (9, 10, 11)",
        )
        .unwrap();
        let store = Store::open(url).unwrap();
        expect(&store, CaseloadQuery { mode: Some(DirectPayment), ..all() }, &["Green", "Hill", "Iles", "Jones", "Smith", "Test"]);
        expect(&store, CaseloadQuery { integrated: Some(true), ..all() }, &["Brown"]);
        for sql in ["UPDATE budget_components SET agreed_pence = 1", "DELETE FROM budget_components"] {
            let error = raw_sql(url, sql).unwrap_err();
            assert!(error.contains("append-only"), "{sql}: {error}");
        }
    }
}
