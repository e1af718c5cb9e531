//! People, users, sessions, tokens and the audit log in the database, on SQLite and
//! PostgreSQL: what the store keeps, what it refuses, and that the audit log cannot be
//! changed even by direct SQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::NaiveDate;
use onebudget_store::testing::raw_sql;
use onebudget_store::{
    AuditEntry, AuditFilter, NewUser, OrganisationRecord, PersonRecord, Store, StoreError,
    TeamRecord, backend_tests,
};

fn person(code: &str, team: &str, family_name: &str) -> PersonRecord {
    PersonRecord {
        code: code.into(),
        given_name: "Alex".into(),
        family_name: family_name.into(),
        nhs_number: format!("999000{}", &code[code.len() - 4..]),
        birth_date: NaiveDate::from_ymd_opt(1950, 1, 2).unwrap(),
        team: team.into(),
        setting: "home".into(),
        funding: "social_care".into(),
    }
}

fn entry(at: &str, action: &str, target: &str, outcome: &str, person: Option<&str>) -> AuditEntry {
    AuditEntry {
        at: at.into(),
        actor: target.into(),
        actor_user_id: None,
        role: None,
        via: "anonymous".into(),
        action: action.into(),
        person_code: person.map(str::to_owned),
        target: target.into(),
        source: "127.0.0.1".into(),
        outcome: outcome.into(),
        detail: String::new(),
    }
}

fn user<'a>(username: &'a str, role: &'a str) -> NewUser<'a> {
    NewUser {
        username,
        display_name: username,
        role,
        kind: "person",
        password_hash: Some("$argon2id$placeholder"),
        person_code: (role == "citizen").then_some("P0001"),
        team: (role == "practitioner").then_some("TEAM-NORTH"),
        organisation: None,
    }
}

backend_tests! {
    fn the_audit_log_cannot_be_changed_or_deleted(url: &str) {
        let store = Store::open(url).unwrap();
        store.append_audit(&[entry("2026-01-01T00:00:00.000000Z", "sign_in", "x", "failure", None)]).unwrap();
        for sql in ["UPDATE audit_log SET outcome = 'success'", "DELETE FROM audit_log"] {
            let error = raw_sql(url, sql).unwrap_err();
            assert!(error.contains("append-only"), "{sql}: {error}");
        }
        if url.starts_with("postgres") {
            let error = raw_sql(url, "TRUNCATE audit_log").unwrap_err();
            assert!(error.contains("append-only"), "{error}");
        }
        let rows = store.audit_search(&AuditFilter::default(), 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].entry.outcome, "failure");
    }

    fn recorded_assessments_are_kept_whole(url: &str) {
        let store = Store::open(url).unwrap();
        let record = |charge: i64| {
            store
                .record_assessment(&onebudget_store::NewAssessment {
                    person_code: "P0001",
                    recorded_by: "finance",
                    nation: "england",
                    effective_date: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
                    weekly_charge_pence: charge,
                    case_json: "{}",
                    explanation_json: "{}",
                })
                .unwrap()
        };
        let first = record(11_010);
        let second = record(9_000);
        assert!(second.id > first.id);
        assert_eq!(store.assessments_for("P0001").unwrap()[1], first, "stored as returned");
        let history: Vec<i64> =
            store.assessments_for("P0001").unwrap().iter().map(|a| a.weekly_charge_pence).collect();
        assert_eq!(history, [9_000, 11_010], "newest first");
        for sql in ["UPDATE financial_assessments SET weekly_charge_pence = 0", "DELETE FROM financial_assessments"] {
            let error = raw_sql(url, sql).unwrap_err();
            assert!(error.contains("append-only"), "{sql}: {error}");
        }
        assert!(store.assessments_for("P0002").unwrap().is_empty());
    }

    fn people_are_found_by_code_and_team(url: &str) {
        let store = Store::open(url).unwrap();
        store
            .add_people(
                &[OrganisationRecord { code: "COUNCIL".into(), name: "Council".into(), kind: "council".into() }],
                &[TeamRecord { code: "TEAM-NORTH".into(), name: "North".into() }],
                &[person("P0002", "TEAM-NORTH", "Zed"), person("P0001", "TEAM-NORTH", "Able"), person("P0003", "TEAM-SOUTH", "Mid")],
            )
            .unwrap();
        assert_eq!(store.person("P0003").unwrap().unwrap().team, "TEAM-SOUTH");
        assert!(store.person("P9999").unwrap().is_none());
        let north: Vec<String> =
            store.people_in_team("TEAM-NORTH").unwrap().into_iter().map(|p| p.family_name).collect();
        assert_eq!(north, ["Able", "Zed"]);
        // A second person with the same NHS number is refused, and nothing of the batch is kept.
        let clash = store.add_people(&[], &[], &[person("P0009", "TEAM-NORTH", "New"), person("P0001", "TEAM-NORTH", "Again")]);
        assert!(matches!(clash, Err(StoreError::UniqueViolation(_))), "{clash:?}");
        assert_eq!(store.people_count().unwrap(), 3);
    }

    fn users_are_unique_and_role_rules_hold(url: &str) {
        let store = Store::open(url).unwrap();
        store.create_user(&user("finance", "finance")).unwrap();
        assert!(matches!(store.create_user(&user("finance", "auditor")), Err(StoreError::UniqueViolation(_))));
        // The schema itself refuses a citizen without a person and an unknown role.
        let mut citizen = user("citizen", "citizen");
        citizen.person_code = None;
        assert!(store.create_user(&citizen).is_err());
        assert!(store.create_user(&user("boss", "superuser")).is_err());
        assert_eq!(store.user_by_username("finance").unwrap().unwrap().role, "finance");
    }

    fn sessions_end_and_expire(url: &str) {
        let store = Store::open(url).unwrap();
        let id = store.create_user(&user("finance", "finance")).unwrap();
        store.create_session("hash-a", id, "csrf-a", "2999-01-01T00:00:00.000000Z").unwrap();
        store.create_session("hash-b", id, "csrf-b", "2020-01-01T00:00:00.000000Z").unwrap();
        let now = "2026-06-01T00:00:00.000000Z";
        assert_eq!(store.session("hash-a", now).unwrap().unwrap().csrf_token, "csrf-a");
        assert!(store.session("hash-b", now).unwrap().is_none(), "expired");
        // Regression: the UPDATE numbered its parameters out of order, which SQLite binds
        // by order of appearance, so sign-out ended nothing.
        store.end_session("hash-a").unwrap();
        assert!(store.session("hash-a", now).unwrap().is_none(), "ended");
    }

    fn tokens_resolve_until_revoked_or_expired(url: &str) {
        let store = Store::open(url).unwrap();
        let mut service = user("payments", "finance");
        service.kind = "service";
        service.password_hash = None;
        let id = store.create_user(&service).unwrap();
        let live = store.create_token(id, "t", "ob_a", "hash-live", "ledger:read", "2999-01-01T00:00:00.000000Z").unwrap();
        store.create_token(id, "t", "ob_b", "hash-old", "ledger:read", "2020-01-01T00:00:00.000000Z").unwrap();
        let now = "2026-06-01T00:00:00.000000Z";
        let (found, scopes) = store.token_user("hash-live", now).unwrap().unwrap();
        assert_eq!((found.username.as_str(), scopes.as_str()), ("payments", "ledger:read"));
        assert!(store.token_user("hash-old", now).unwrap().is_none());
        assert!(store.revoke_token(live).unwrap());
        assert!(!store.revoke_token(live).unwrap(), "already revoked");
        assert!(store.token_user("hash-live", now).unwrap().is_none());
    }

    fn a_disabled_users_sessions_and_tokens_are_refused_until_enabled(url: &str) {
        let store = Store::open(url).unwrap();
        let person = store.create_user(&user("finance", "finance")).unwrap();
        let mut service = user("payments", "finance");
        service.kind = "service";
        service.password_hash = None;
        let machine = store.create_user(&service).unwrap();
        store.create_session("hash-s", person, "csrf", "2999-01-01T00:00:00.000000Z").unwrap();
        store.create_token(machine, "t", "ob_a", "hash-t", "ledger:read", "2999-01-01T00:00:00.000000Z").unwrap();
        let now = "2026-06-01T00:00:00.000000Z";
        assert!(store.session("hash-s", now).unwrap().is_some());
        assert!(store.token_user("hash-t", now).unwrap().is_some());
        let audited = |action: &str, target: &str| entry(now, action, target, "success", None);

        let done = store.disable_user("finance", &audited("disable_user", "finance")).unwrap();
        assert_eq!((done.already, done.sessions_ended, done.tokens_revoked), (false, 1, 0));
        assert!(store.session("hash-s", now).unwrap().is_none(), "a disabled user's session is refused");
        assert!(store.user_by_username("finance").unwrap().unwrap().disabled_at.is_some());
        let done = store.disable_user("payments", &audited("disable_user", "payments")).unwrap();
        assert_eq!(done.tokens_revoked, 1);
        assert!(store.token_user("hash-t", now).unwrap().is_none(), "a disabled account's token is refused");
        // Disabling again changes nothing and writes no second audit row.
        assert!(store.disable_user("payments", &audited("disable_user", "payments")).unwrap().already);
        let rows = |action: &str| {
            let filter = AuditFilter { action: Some(action.to_owned()), ..AuditFilter::default() };
            store.audit_search(&filter, 100).unwrap().len()
        };
        assert_eq!(rows("disable_user"), 2);
        assert!(matches!(store.disable_user("nobody", &audited("disable_user", "nobody")), Err(StoreError::NotFound { .. })));
        // No token is issued to a disabled account, and no password set for a disabled user.
        let token = onebudget_store::NewToken { username: "payments", label: "t", scopes: "ledger:read", days: 30, token_hash: "hash-u", prefix: "ob_u" };
        assert!(store.issue_token(&token, &audited("issue_token", "payments")).is_err());
        assert!(store.set_password("finance", "$argon2id$new", &audited("reset_password", "finance")).is_err());

        // Enabled again: a new session works; what disabling ended stays ended.
        assert!(store.enable_user("finance", &audited("enable_user", "finance")).unwrap());
        assert!(!store.enable_user("finance", &audited("enable_user", "finance")).unwrap(), "not disabled now");
        assert_eq!(rows("enable_user"), 1);
        assert!(store.session("hash-s", now).unwrap().is_none(), "the old session stays ended");
        store.create_session("hash-s2", person, "csrf", "2999-01-01T00:00:00.000000Z").unwrap();
        assert!(store.session("hash-s2", now).unwrap().is_some());
        assert!(store.enable_user("payments", &audited("enable_user", "payments")).unwrap());
        assert!(store.token_user("hash-t", now).unwrap().is_none(), "the revoked token stays revoked");
        let issued = store.issue_token(&token, &audited("issue_token", "payments")).unwrap();
        assert_eq!(issued.scopes, "ledger:read");
        assert!(store.token_user("hash-u", now).unwrap().is_some());
        // A new password ends the user's sessions.
        let set = store.set_password("finance", "$argon2id$new", &audited("reset_password", "finance")).unwrap();
        assert_eq!(set.sessions_ended, 1);
        assert!(store.session("hash-s2", now).unwrap().is_none());
        assert_eq!(store.user_by_username("finance").unwrap().unwrap().password_hash.as_deref(), Some("$argon2id$new"));
    }

    fn add_user_checks_everything_and_keeps_nothing_it_refuses(url: &str) {
        let store = Store::open(url).unwrap();
        store
            .add_people(
                &[OrganisationRecord { code: "COUNCIL".into(), name: "Council".into(), kind: "council".into() }],
                &[TeamRecord { code: "TEAM-NORTH".into(), name: "North".into() }],
                &[person("P0001", "TEAM-NORTH", "Able")],
            )
            .unwrap();
        let now = "2026-06-01T00:00:00.000000Z";
        let audited = entry(now, "add_user", "x", "success", None);
        let refused = |user: NewUser<'_>, field: &str| {
            match store.add_user(&user, &audited) {
                Err(onebudget_store::UserError::Field(e)) => assert_eq!(e.field, field, "{e}"),
                other => panic!("{field}: {other:?}"),
            }
        };
        refused(NewUser { username: "a b", ..user("ab", "finance") }, "username");
        refused(NewUser { display_name: " ", ..user("ab", "finance") }, "name");
        refused(user("ab", "superuser"), "role");
        refused(NewUser { team: None, ..user("ab", "practitioner") }, "team");
        refused(NewUser { team: Some("TEAM-NOWHERE"), ..user("ab", "practitioner") }, "team");
        refused(NewUser { person_code: Some("P9999"), ..user("ab", "citizen") }, "person");
        refused(NewUser { organisation: Some("NOWHERE"), ..user("ab", "finance") }, "organisation");
        refused(NewUser { password_hash: None, ..user("ab", "finance") }, "password");
        assert!(store.users().unwrap().is_empty(), "nothing refused is kept");
        let audit_rows = || store.audit_search(&AuditFilter::default(), 100).unwrap().len();
        assert_eq!(audit_rows(), 0, "nor audited as done");
        store.add_user(&user("ab", "practitioner"), &audited).unwrap();
        refused(user("ab", "finance"), "username");
        assert_eq!(store.users().unwrap().len(), 1);
        assert_eq!(audit_rows(), 1, "the user added, audited once");
    }

    fn throttling_counts_failures_since_the_last_success(url: &str) {
        let store = Store::open(url).unwrap();
        store
            .append_audit(&[
                entry("2026-06-01T09:00:00.000000Z", "sign_in", "amy", "failure", None),
                entry("2026-06-01T09:01:00.000000Z", "sign_in", "amy", "failure", None),
                entry("2026-06-01T09:02:00.000000Z", "sign_in", "amy", "success", None),
                entry("2026-06-01T09:03:00.000000Z", "sign_in", "amy", "failure", None),
                entry("2026-06-01T09:04:00.000000Z", "sign_in", "bob", "failure", None),
            ])
            .unwrap();
        assert_eq!(store.recent_sign_in_failures("amy", "2026-06-01T08:00:00.000000Z").unwrap(), 1);
        assert_eq!(store.recent_sign_in_failures("amy", "2026-06-01T09:03:30.000000Z").unwrap(), 0);
        assert_eq!(store.recent_sign_in_failures("bob", "2026-06-01T08:00:00.000000Z").unwrap(), 1);
    }

    fn audit_search_filters_and_pages(url: &str) {
        let store = Store::open(url).unwrap();
        store
            .append_audit(&[
                entry("2026-06-01T09:00:00.000000Z", "read_person", "amy", "allowed", Some("P0001")),
                entry("2026-06-02T09:00:00.000000Z", "read_person", "bob", "refused", Some("P0001")),
                entry("2026-06-03T09:00:00.000000Z", "read_person", "amy", "allowed", Some("P0002")),
            ])
            .unwrap();
        let about_p1 = store
            .audit_search(&AuditFilter { person_code: Some("P0001".into()), ..AuditFilter::default() }, 10)
            .unwrap();
        assert_eq!(about_p1.iter().map(|r| r.entry.actor.as_str()).collect::<Vec<_>>(), ["bob", "amy"], "newest first");
        let on_the_2nd = store
            .audit_search(
                &AuditFilter {
                    from: NaiveDate::from_ymd_opt(2026, 6, 2),
                    to: NaiveDate::from_ymd_opt(2026, 6, 2),
                    ..AuditFilter::default()
                },
                10,
            )
            .unwrap();
        assert_eq!(on_the_2nd.len(), 1);
        assert_eq!(on_the_2nd[0].entry.actor, "bob");
        let refused = store
            .audit_search(&AuditFilter { outcome: Some("refused".into()), ..AuditFilter::default() }, 10)
            .unwrap();
        assert_eq!(refused.len(), 1);
        let older = store
            .audit_search(&AuditFilter { before_id: Some(about_p1[0].id), ..AuditFilter::default() }, 10)
            .unwrap();
        assert!(older.iter().all(|r| r.id < about_p1[0].id));
        // Text that looks like SQL is only ever a value.
        let injected = store
            .audit_search(&AuditFilter { actor: Some("amy' OR '1'='1".into()), ..AuditFilter::default() }, 10)
            .unwrap();
        assert!(injected.is_empty());
    }
}
