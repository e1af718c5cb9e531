//! Who may see or change what: the one place in onebudget that decides.
//!
//! Every page handler, every API handler and every CLI path that acts for someone builds a
//! [`Principal`] (who is asking) and an [`Action`] (what they want), and calls [`decide`].
//! Nothing else in the code compares roles. The rules follow DESIGN.md's table of roles and
//! the principle of least privilege for special-category health data:
//!
//! - a **citizen** sees only their own record (budget, statement, who has looked at it);
//! - a **practitioner** sees only the people on their own team's caseload;
//! - **finance** sees and changes the ledger and sees people's records (payments and
//!   financial assessments need them);
//! - a **commissioner** sees aggregates only, never an identifiable person;
//! - an **administrator** manages organisations, streams, users and tokens, but reads no
//!   person's record;
//! - an **auditor** reads everything, including the audit log, and changes nothing.
//!
//! A machine client (a council's finance system, an NHS payments system) acts through a
//! service account that has one of these roles, and its bearer token narrows it further to
//! a set of [`Scope`]s: a token may do an action only if the role allows it **and** the
//! token carries the action's scope.

use std::fmt;

/// A role from DESIGN.md. A user has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Citizen,
    Practitioner,
    Finance,
    Commissioner,
    Admin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Citizen,
        Role::Practitioner,
        Role::Finance,
        Role::Commissioner,
        Role::Admin,
        Role::Auditor,
    ];

    /// The code stored in the database and used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Practitioner => "practitioner",
            Role::Finance => "finance",
            Role::Commissioner => "commissioner",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// The role in plain English, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Citizen => "Person receiving care",
            Role::Practitioner => "Practitioner",
            Role::Finance => "Finance officer",
            Role::Commissioner => "Commissioner",
            Role::Admin => "Administrator",
            Role::Auditor => "Auditor",
        }
    }

    /// Read a role code, saying which codes exist when it is not one.
    pub fn parse(code: &str) -> Result<Role, crate::field::FieldError> {
        Role::ALL.into_iter().find(|role| role.code() == code.trim()).ok_or_else(|| {
            crate::field::FieldError::new(
                "role",
                code,
                "use one of citizen, practitioner, finance, commissioner, admin, auditor",
            )
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a bearer token may be used for. A token carries one or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read balances, accounts, streams and statements.
    LedgerRead,
    /// Open accounts and post transfers.
    LedgerWrite,
    /// Read people's records.
    PeopleRead,
    /// Run financial assessments.
    Assess,
    /// Read whole-system aggregates.
    Reports,
    /// Read the audit log.
    AuditRead,
    /// Record needs assessments and budgets (a council's import from another system).
    BudgetsWrite,
    /// Import activity events (social care, hospital, deaths) from another system.
    EventsWrite,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::LedgerRead,
        Scope::LedgerWrite,
        Scope::PeopleRead,
        Scope::Assess,
        Scope::Reports,
        Scope::AuditRead,
        Scope::BudgetsWrite,
        Scope::EventsWrite,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Scope::LedgerRead => "ledger:read",
            Scope::LedgerWrite => "ledger:write",
            Scope::PeopleRead => "people:read",
            Scope::Assess => "assess",
            Scope::Reports => "reports",
            Scope::AuditRead => "audit:read",
            Scope::BudgetsWrite => "budgets:write",
            Scope::EventsWrite => "events:write",
        }
    }

    /// Read a comma-separated list of scope codes, e.g. `ledger:read,ledger:write`.
    pub fn parse_list(list: &str) -> Result<Vec<Scope>, crate::field::FieldError> {
        let mut scopes = Vec::new();
        for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let scope = Scope::ALL.into_iter().find(|s| s.code() == code).ok_or_else(|| {
                crate::field::FieldError::new(
                    "scopes",
                    code,
                    "use one or more of ledger:read, ledger:write, people:read, assess, reports, audit:read, budgets:write, events:write, separated by commas",
                )
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(crate::field::FieldError::new(
                "scopes",
                list,
                "a token needs at least one scope, e.g. ledger:read",
            ));
        }
        scopes.sort();
        Ok(scopes)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who is asking: a signed-in person, or a machine client with a bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user's id in the store.
    pub user_id: i64,
    /// The user name, as shown in the audit log.
    pub username: String,
    pub role: Role,
    /// For a citizen: the code of the person whose record is theirs.
    pub person: Option<String>,
    /// For a practitioner: the code of their team.
    pub team: Option<String>,
    /// For a finance officer: the organisation they work for.
    pub organisation: Option<String>,
    /// `Some` when acting through a bearer token: what the token allows.
    pub token_scopes: Option<Vec<Scope>>,
}

/// A person's record, as far as deciding access needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonRef<'a> {
    pub code: &'a str,
    pub team: &'a str,
}

/// What someone wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// Read one person's record: details, budget, accounts, statement.
    ReadPerson(PersonRef<'a>),
    /// Read who has looked at one person's record.
    ReadPersonAccessLog(PersonRef<'a>),
    /// Open the pages about one's own record ("your budget"): only a citizen has one.
    ReadOwnRecord,
    /// List a team's caseload (identifiable people).
    ListCaseload { team: &'a str },
    /// List every person (identifiable).
    ListAllPeople,
    /// Read the ledger: balances, accounts, streams, statements of organisations' and
    /// pools' accounts (person-owned accounts need [`Action::ReadPerson`]).
    ReadLedger,
    /// Open streams and accounts, post transfers.
    WriteLedger,
    /// Read whole-system aggregates with no person in them.
    ReadAggregates,
    /// Run a financial assessment (stateless: nothing is stored).
    Assess,
    /// Record a financial assessment against a person's record.
    RecordAssessment(PersonRef<'a>),
    /// Read the audit log.
    ReadAuditLog,
    /// See organisations, streams, users and tokens; create users; issue and revoke tokens.
    Administer,
    /// Read pools: agreements, monitoring and settlements (figures with no person in them).
    ReadPools,
    /// Record pool agreements and variations, forecasts and commitments; close months;
    /// post contributions and scheme payments.
    ManagePools,
    /// Confirm a pool's year-end settlement for one partner organisation: only a finance
    /// officer of that partner, signed in (no token may do it).
    ConfirmSettlement { partner: &'a str },
    /// Record a person's needs assessment or a new version of their budget and plan.
    PlanBudget(PersonRef<'a>),
    /// Record what a direct payment was spent on, with the receipt: the person, or a
    /// practitioner or finance officer on their behalf.
    RecordSpending(PersonRef<'a>),
    /// Pay budgets (the payment schedule, providers' invoices) and run direct-payment
    /// monitoring, which raises reviews.
    PayBudgets,
    /// Decide a direct-payment review: recover the money or not. Only a finance officer,
    /// signed in (no token may do it).
    DecideRecovery,
    /// Import a file of activity events (social care, hospital spells, deaths): a write to
    /// people's records, linked by pseudonymised NHS number. Only a finance officer (the
    /// role that already reads identifiable people and records their money), or a token
    /// with `events:write`.
    ImportEvents,
}

impl Action<'_> {
    /// The scope a bearer token needs for this action; `None` when no token may do it.
    pub fn scope(&self) -> Option<Scope> {
        Some(match self {
            Action::ReadPerson(_)
            | Action::ReadPersonAccessLog(_)
            | Action::ReadOwnRecord
            | Action::ListCaseload { .. }
            | Action::ListAllPeople => Scope::PeopleRead,
            Action::ReadLedger => Scope::LedgerRead,
            Action::WriteLedger => Scope::LedgerWrite,
            Action::ReadAggregates => Scope::Reports,
            Action::Assess | Action::RecordAssessment(_) => Scope::Assess,
            Action::ReadAuditLog => Scope::AuditRead,
            Action::ReadPools => Scope::Reports,
            Action::ManagePools => Scope::LedgerWrite,
            Action::PlanBudget(_) | Action::RecordSpending(_) => Scope::BudgetsWrite,
            Action::PayBudgets => Scope::LedgerWrite,
            Action::ImportEvents => Scope::EventsWrite,
            // No scope allows administration or confirming a settlement: each is done by
            // a signed-in person.
            Action::Administer | Action::ConfirmSettlement { .. } | Action::DecideRecovery => {
                return None;
            }
        })
    }

    /// A short name for the audit log, e.g. `read_person`.
    pub fn code(&self) -> &'static str {
        match self {
            Action::ReadPerson(_) => "read_person",
            Action::ReadPersonAccessLog(_) => "read_person_access_log",
            Action::ReadOwnRecord => "read_own_record",
            Action::ListCaseload { .. } => "list_caseload",
            Action::ListAllPeople => "list_all_people",
            Action::ReadLedger => "read_ledger",
            Action::WriteLedger => "write_ledger",
            Action::ReadAggregates => "read_aggregates",
            Action::Assess => "assess",
            Action::RecordAssessment(_) => "record_assessment",
            Action::ReadAuditLog => "read_audit_log",
            Action::Administer => "administer",
            Action::ReadPools => "read_pools",
            Action::ManagePools => "manage_pools",
            Action::ConfirmSettlement { .. } => "confirm_settlement",
            Action::PlanBudget(_) => "plan_budget",
            Action::RecordSpending(_) => "record_spending",
            Action::PayBudgets => "pay_budgets",
            Action::DecideRecovery => "decide_recovery",
            Action::ImportEvents => "import_events",
        }
    }

    /// The person whose record this action touches, if any.
    pub fn person(&self) -> Option<&str> {
        match self {
            Action::ReadPerson(person)
            | Action::ReadPersonAccessLog(person)
            | Action::RecordAssessment(person)
            | Action::PlanBudget(person)
            | Action::RecordSpending(person) => Some(person.code),
            _ => None,
        }
    }
}

/// Every action the audit log records, with what it means in plain English: the
/// [`Action`] codes, and what sign-in, the command line and administration write. Pages
/// offer these as the audit search's choices and show the words, never the code.
pub const AUDIT_ACTIONS: [(&str, &str); 29] = [
    ("read_person", "Looked at a person's record"),
    ("read_person_access_log", "Looked at who has seen a person's record"),
    ("read_own_record", "Looked at their own record"),
    ("list_caseload", "Looked at a team's caseload"),
    ("list_all_people", "Looked at everyone's records or budgets"),
    ("read_ledger", "Looked at the ledger"),
    ("write_ledger", "Changed the ledger"),
    ("read_aggregates", "Looked at whole-system figures"),
    ("assess", "Worked out a financial assessment"),
    ("record_assessment", "Recorded a financial assessment"),
    ("read_audit_log", "Looked at the audit log"),
    ("administer", "Used the administration pages"),
    ("read_pools", "Looked at pooled budgets"),
    ("manage_pools", "Managed a pooled budget"),
    ("confirm_settlement", "Confirmed a pool's settlement"),
    ("plan_budget", "Assessed needs or planned a budget"),
    ("record_spending", "Recorded spending from a budget"),
    ("pay_budgets", "Paid personal budgets"),
    ("decide_recovery", "Decided a direct-payment review"),
    ("sign_in", "Signed in"),
    ("sign_out", "Signed out"),
    ("add_user", "Added a user"),
    ("issue_token", "Issued an API token"),
    ("revoke_token", "Revoked an API token"),
    ("disable_user", "Disabled a user"),
    ("enable_user", "Enabled a user again"),
    ("reset_password", "Reset a user's password"),
    ("export_audit", "Exported the audit log"),
    ("import_events", "Imported activity events into people's records"),
];

/// What the audit action `code` means, in plain English (the code itself for one this
/// version does not know, e.g. written by a newer one).
pub fn audit_action_words(code: &str) -> &str {
    AUDIT_ACTIONS.iter().find(|(c, _)| *c == code).map_or(code, |(_, words)| words)
}

/// The outcomes an audit row may have, with their words.
pub const AUDIT_OUTCOMES: [(&str, &str); 4] = [
    ("allowed", "Allowed"),
    ("refused", "Refused"),
    ("success", "Succeeded"),
    ("failure", "Failed"),
];

/// Why an action was refused, in words to show the person and record in the audit log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    pub reason: &'static str,
}

fn refuse(reason: &'static str) -> Result<(), Refusal> {
    Err(Refusal { reason })
}

/// May `principal` do `action`? The one decision; see the module comment for the rules.
pub fn decide(principal: &Principal, action: &Action<'_>) -> Result<(), Refusal> {
    allowed_by_role(principal, action)?;
    let Some(scopes) = &principal.token_scopes else {
        return Ok(());
    };
    match action.scope() {
        None => refuse("this is done by a signed-in person, not with a token"),
        Some(scope) if scopes.contains(&scope) => Ok(()),
        Some(_) => refuse("this token does not carry the scope this request needs"),
    }
}

fn allowed_by_role(principal: &Principal, action: &Action<'_>) -> Result<(), Refusal> {
    use Action as A;
    use Role as R;
    let own_person = |person: &PersonRef<'_>| principal.person.as_deref() == Some(person.code);
    let own_team = |team: &str| principal.team.as_deref() == Some(team);
    match (principal.role, action) {
        (R::Citizen, A::ReadOwnRecord) if principal.person.is_some() => Ok(()),
        (_, A::ReadOwnRecord) => {
            refuse("these pages are for people receiving care, to see their own record")
        }
        (
            R::Auditor,
            A::WriteLedger
            | A::Assess
            | A::RecordAssessment(_)
            | A::Administer
            | A::ManagePools
            | A::ConfirmSettlement { .. }
            | A::PlanBudget(_)
            | A::RecordSpending(_)
            | A::PayBudgets
            | A::DecideRecovery
            | A::ImportEvents,
        ) => refuse("auditors have read-only access"),
        (R::Auditor, _) => Ok(()),

        (R::Citizen, A::ReadPerson(person) | A::ReadPersonAccessLog(person)) => {
            if own_person(person) { Ok(()) } else { refuse("you can see only your own record") }
        }
        (R::Citizen, A::RecordSpending(person)) => {
            if own_person(person) {
                Ok(())
            } else {
                refuse("you can record spending only from your own budget")
            }
        }
        (R::Citizen, _) => refuse("this is not part of your own record"),

        (R::Practitioner, A::ReadPerson(person)) => {
            if own_team(person.team) {
                Ok(())
            } else {
                refuse("this person is not on your team's caseload")
            }
        }
        (R::Practitioner, A::ListCaseload { team }) => {
            if own_team(team) {
                Ok(())
            } else {
                refuse("you can see only your own team's caseload")
            }
        }
        (R::Practitioner, A::Assess) => Ok(()),
        (R::Practitioner, A::PlanBudget(person) | A::RecordSpending(person)) => {
            if own_team(person.team) {
                Ok(())
            } else {
                refuse("this person is not on your team's caseload")
            }
        }
        (R::Practitioner, _) => refuse("practitioners see their own team's caseload only"),

        (
            R::Finance,
            A::ReadPerson(_)
            | A::ListAllPeople
            | A::ReadLedger
            | A::WriteLedger
            | A::ReadAggregates
            | A::Assess
            | A::RecordAssessment(_),
        ) => Ok(()),
        (R::Finance, A::ListCaseload { .. } | A::ReadPools | A::ManagePools) => Ok(()),
        (R::Finance, A::RecordSpending(_) | A::PayBudgets | A::DecideRecovery) => Ok(()),
        (R::Finance, A::ImportEvents) => Ok(()),
        (R::Finance, A::PlanBudget(_)) => {
            refuse("budgets and support plans are made by the person's practitioner")
        }
        (R::Finance, A::ConfirmSettlement { partner }) => {
            if principal.organisation.as_deref() == Some(*partner) {
                Ok(())
            } else {
                refuse(
                    "a settlement is confirmed for each partner by a finance officer of that partner",
                )
            }
        }
        (R::Finance, _) => refuse("finance officers cannot do this"),

        (R::Commissioner, A::ReadAggregates | A::ReadPools) => Ok(()),
        (R::Commissioner, _) => {
            refuse("commissioners see whole-system figures only, never an identifiable person")
        }

        (R::Admin, A::Administer) => Ok(()),
        (R::Admin, _) => refuse("administrators manage users and settings but do not read records"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: 1,
            username: "someone".into(),
            role,
            person: (role == Role::Citizen).then(|| "P000001".to_owned()),
            team: (role == Role::Practitioner).then(|| "TEAM-NORTH".to_owned()),
            organisation: (role == Role::Finance).then(|| "COUNCIL".to_owned()),
            token_scopes: None,
        }
    }

    const MINE: PersonRef<'static> = PersonRef { code: "P000001", team: "TEAM-NORTH" };
    const TEAMMATE: PersonRef<'static> = PersonRef { code: "P000002", team: "TEAM-NORTH" };
    const ELSEWHERE: PersonRef<'static> = PersonRef { code: "P000003", team: "TEAM-SOUTH" };

    /// Every action's code has its words, so the audit pages never show a code.
    #[test]
    fn every_action_has_its_words_in_the_audit_list() {
        // A match with no wildcard: a new action fails to compile here until it is listed.
        let example = |action: &Action<'_>| match action {
            Action::ReadPerson(_)
            | Action::ReadPersonAccessLog(_)
            | Action::ReadOwnRecord
            | Action::ListCaseload { .. }
            | Action::ListAllPeople
            | Action::ReadLedger
            | Action::WriteLedger
            | Action::ReadAggregates
            | Action::Assess
            | Action::RecordAssessment(_)
            | Action::ReadAuditLog
            | Action::Administer
            | Action::ReadPools
            | Action::ManagePools
            | Action::ConfirmSettlement { .. }
            | Action::PlanBudget(_)
            | Action::RecordSpending(_)
            | Action::PayBudgets
            | Action::DecideRecovery
            | Action::ImportEvents => action.code(),
        };
        let all = [
            Action::ReadPerson(MINE),
            Action::ReadPersonAccessLog(MINE),
            Action::ReadOwnRecord,
            Action::ListCaseload { team: "TEAM-NORTH" },
            Action::ListAllPeople,
            Action::ReadLedger,
            Action::WriteLedger,
            Action::ReadAggregates,
            Action::Assess,
            Action::RecordAssessment(MINE),
            Action::ReadAuditLog,
            Action::Administer,
            Action::ReadPools,
            Action::ManagePools,
            Action::ConfirmSettlement { partner: "ICB" },
            Action::PlanBudget(MINE),
            Action::RecordSpending(MINE),
            Action::PayBudgets,
            Action::DecideRecovery,
            Action::ImportEvents,
        ];
        for action in &all {
            let code = example(action);
            assert_ne!(audit_action_words(code), code, "{code} has no words in AUDIT_ACTIONS");
        }
        let codes: std::collections::BTreeSet<_> = AUDIT_ACTIONS.iter().map(|(c, _)| c).collect();
        assert_eq!(codes.len(), AUDIT_ACTIONS.len(), "each action listed once");
    }

    /// Who may plan a budget, record spending, pay budgets and decide recoveries.
    #[test]
    fn budget_actions_follow_the_roles() {
        use Role::*;
        let plan = |p| Action::PlanBudget(p);
        let spend = |p| Action::RecordSpending(p);
        // (role, action, allowed)
        let cases: Vec<(Role, Action<'_>, bool)> = vec![
            (Citizen, spend(MINE), true),
            (Citizen, spend(TEAMMATE), false),
            (Citizen, plan(MINE), false),
            (Citizen, Action::PayBudgets, false),
            (Practitioner, plan(TEAMMATE), true),
            (Practitioner, plan(ELSEWHERE), false),
            (Practitioner, spend(TEAMMATE), true),
            (Practitioner, Action::PayBudgets, false),
            (Practitioner, Action::DecideRecovery, false),
            (Finance, plan(MINE), false),
            (Finance, spend(ELSEWHERE), true),
            (Finance, Action::PayBudgets, true),
            (Finance, Action::DecideRecovery, true),
            (Commissioner, plan(MINE), false),
            (Commissioner, Action::PayBudgets, false),
            (Admin, spend(MINE), false),
            (Auditor, plan(MINE), false),
            (Auditor, spend(MINE), false),
            (Auditor, Action::DecideRecovery, false),
            (Finance, Action::ImportEvents, true),
            (Commissioner, Action::ImportEvents, false),
            (Admin, Action::ImportEvents, false),
            (Practitioner, Action::ImportEvents, false),
            (Citizen, Action::ImportEvents, false),
            (Auditor, Action::ImportEvents, false),
        ];
        for (role, action, allowed) in cases {
            assert_eq!(decide(&principal(role), &action).is_ok(), allowed, "{role:?} {action:?}");
        }
        let mut token = principal(Finance);
        token.token_scopes = Some(vec![Scope::LedgerWrite, Scope::BudgetsWrite]);
        assert!(decide(&token, &Action::PayBudgets).is_ok());
        assert!(
            decide(&token, &Action::DecideRecovery).is_err(),
            "a recovery is confirmed by a person"
        );
    }

    /// Which roles may read which person, spelled out role by role.
    #[test]
    fn person_records_follow_the_roles() {
        let cases: [(Role, PersonRef<'_>, bool); 18] = [
            (Role::Citizen, MINE, true),
            (Role::Citizen, TEAMMATE, false),
            (Role::Citizen, ELSEWHERE, false),
            (Role::Practitioner, MINE, true),
            (Role::Practitioner, TEAMMATE, true),
            (Role::Practitioner, ELSEWHERE, false),
            (Role::Finance, MINE, true),
            (Role::Finance, TEAMMATE, true),
            (Role::Finance, ELSEWHERE, true),
            (Role::Commissioner, MINE, false),
            (Role::Commissioner, TEAMMATE, false),
            (Role::Commissioner, ELSEWHERE, false),
            (Role::Admin, MINE, false),
            (Role::Admin, TEAMMATE, false),
            (Role::Admin, ELSEWHERE, false),
            (Role::Auditor, MINE, true),
            (Role::Auditor, TEAMMATE, true),
            (Role::Auditor, ELSEWHERE, true),
        ];
        for (role, person, allowed) in cases {
            assert_eq!(
                decide(&principal(role), &Action::ReadPerson(person)).is_ok(),
                allowed,
                "{role} reading {}",
                person.code
            );
        }
    }

    #[test]
    fn only_finance_records_a_financial_assessment() {
        for role in Role::ALL {
            assert_eq!(
                decide(&principal(role), &Action::RecordAssessment(MINE)).is_ok(),
                role == Role::Finance,
                "{role}"
            );
        }
    }

    #[test]
    fn only_a_citizen_has_an_own_record() {
        for role in Role::ALL {
            assert_eq!(
                decide(&principal(role), &Action::ReadOwnRecord).is_ok(),
                role == Role::Citizen,
                "{role}"
            );
        }
        let mut without_person = principal(Role::Citizen);
        without_person.person = None;
        assert!(decide(&without_person, &Action::ReadOwnRecord).is_err());
    }

    #[test]
    fn commissioners_see_aggregates_and_nobody_identifiable() {
        let commissioner = principal(Role::Commissioner);
        assert!(decide(&commissioner, &Action::ReadAggregates).is_ok());
        for action in [
            Action::ListAllPeople,
            Action::ListCaseload { team: "TEAM-NORTH" },
            Action::ReadLedger,
            Action::ReadPersonAccessLog(MINE),
        ] {
            assert!(decide(&commissioner, &action).is_err(), "{action:?}");
        }
    }

    #[test]
    fn auditors_read_everything_and_change_nothing() {
        let auditor = principal(Role::Auditor);
        for action in [Action::ReadAuditLog, Action::ReadLedger, Action::ListAllPeople] {
            assert!(decide(&auditor, &action).is_ok(), "{action:?}");
        }
        for action in [Action::WriteLedger, Action::Administer, Action::Assess] {
            assert!(decide(&auditor, &action).is_err(), "{action:?}");
        }
    }

    #[test]
    fn only_administrators_administer_and_they_read_no_records() {
        for role in Role::ALL {
            assert_eq!(decide(&principal(role), &Action::Administer).is_ok(), role == Role::Admin);
        }
        assert!(decide(&principal(Role::Admin), &Action::ListAllPeople).is_err());
        assert!(decide(&principal(Role::Admin), &Action::ReadLedger).is_err());
    }

    #[test]
    fn pools_are_read_by_finance_commissioners_and_auditors_and_settled_by_each_partner() {
        for role in Role::ALL {
            let reads = decide(&principal(role), &Action::ReadPools).is_ok();
            assert_eq!(
                reads,
                matches!(role, Role::Finance | Role::Commissioner | Role::Auditor),
                "{role}"
            );
            let manages = decide(&principal(role), &Action::ManagePools).is_ok();
            assert_eq!(manages, role == Role::Finance, "{role}");
        }
        let council_finance = principal(Role::Finance);
        assert!(
            decide(&council_finance, &Action::ConfirmSettlement { partner: "COUNCIL" }).is_ok()
        );
        assert!(decide(&council_finance, &Action::ConfirmSettlement { partner: "ICB" }).is_err());
        let mut no_organisation = principal(Role::Finance);
        no_organisation.organisation = None;
        assert!(
            decide(&no_organisation, &Action::ConfirmSettlement { partner: "COUNCIL" }).is_err()
        );
        let mut token = principal(Role::Finance);
        token.token_scopes = Some(Scope::ALL.to_vec());
        assert!(decide(&token, &Action::ConfirmSettlement { partner: "COUNCIL" }).is_err());
        assert!(
            decide(&principal(Role::Auditor), &Action::ConfirmSettlement { partner: "COUNCIL" })
                .is_err()
        );
    }

    #[test]
    fn a_token_needs_both_the_role_and_the_scope() {
        let mut finance_system = principal(Role::Finance);
        finance_system.token_scopes = Some(vec![Scope::LedgerRead]);
        assert!(decide(&finance_system, &Action::ReadLedger).is_ok());
        assert!(decide(&finance_system, &Action::WriteLedger).is_err(), "no ledger:write scope");
        finance_system.token_scopes = Some(vec![Scope::LedgerRead, Scope::LedgerWrite]);
        assert!(decide(&finance_system, &Action::WriteLedger).is_ok());

        // A scope never widens a role: a commissioner's token with ledger:read still
        // cannot read the ledger.
        let mut commissioner = principal(Role::Commissioner);
        commissioner.token_scopes = Some(Scope::ALL.to_vec());
        assert!(decide(&commissioner, &Action::ReadLedger).is_err());
        // And no token administers, whatever its role.
        let mut admin = principal(Role::Admin);
        admin.token_scopes = Some(Scope::ALL.to_vec());
        assert!(decide(&admin, &Action::Administer).is_err());
    }

    #[test]
    fn codes_round_trip_and_bad_ones_say_what_exists() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
        }
        let error = Role::parse("superuser").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("citizen, practitioner"), "{error}");
        assert_eq!(
            Scope::parse_list("ledger:write, ledger:read,ledger:read"),
            Ok(vec![Scope::LedgerRead, Scope::LedgerWrite])
        );
        assert!(Scope::parse_list("ledger:delete").is_err());
        assert!(Scope::parse_list(" , ").is_err());
    }
}
