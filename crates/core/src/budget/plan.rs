//! The integrated personal budget: one component per funding stream, one support plan,
//! the allocation of its lines to streams, and the person's contribution, which applies
//! only to means-tested components.
//!
//! [`decide`] is the one function from a scored assessment, the scheme in force and the
//! plan as proposed to the budget as decided, with every step in words. The lifecycle
//! (draft, agreed, active, under review, ended) is [`Status::may_become`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::field::FieldError;
use crate::money::Money;

use super::BudgetError;
use super::allocate::{self, Need, Pot};
use super::config::{Charging, Scheme};
use super::needs::{self, Decision, Scores};
use super::ras::{self, Indicative};

/// How a component is held and spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Paid to the person (or their representative), who buys their own support.
    DirectPayment,
    /// Held by a provider of the person's choosing and spent as they direct.
    IndividualServiceFund,
    /// Held by the council, which arranges the support.
    Managed,
    /// NHS-commissioned: the ICB holds the money and arranges what was agreed.
    Notional,
}

impl DeliveryMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::DirectPayment => "direct_payment",
            DeliveryMode::IndividualServiceFund => "individual_service_fund",
            DeliveryMode::Managed => "managed",
            DeliveryMode::Notional => "notional",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            DeliveryMode::DirectPayment => "direct payment",
            DeliveryMode::IndividualServiceFund => "Individual Service Fund",
            DeliveryMode::Managed => "managed by the council",
            DeliveryMode::Notional => "held by the NHS",
        }
    }
}

/// Where a budget is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Agreed,
    Active,
    UnderReview,
    Ended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Agreed => "agreed",
            Status::Active => "active",
            Status::UnderReview => "under_review",
            Status::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Result<Status, FieldError> {
        [Status::Draft, Status::Agreed, Status::Active, Status::UnderReview, Status::Ended]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                FieldError::new("status", text, "one of draft, agreed, active, under_review, ended")
            })
    }

    /// Whether a budget in this status may move to `next`. A draft or agreed budget may
    /// be changed and stay where it is; an active one is changed by review.
    pub fn may_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Draft, Draft | Agreed | Ended)
                | (Agreed, Agreed | Draft | Active | Ended)
                | (Active, UnderReview | Ended)
                | (UnderReview, UnderReview | Active | Ended)
        )
    }
}

// ----- the plan as proposed -----

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The practitioner's choices per component; an eligible stream not listed gets a
    /// component at its indicative amount in its first delivery mode.
    #[serde(default)]
    pub components: Vec<ComponentInput>,
    #[serde(default)]
    pub lines: Vec<LineInput>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    pub stream: String,
    /// The agreed weekly amount; the indicative amount when absent.
    #[serde(default)]
    pub agreed: Option<Money>,
    /// Why the agreed amount differs from the indicative one (required when it does).
    #[serde(default)]
    pub reason: Option<String>,
    pub mode: DeliveryMode,
    /// The provider holding an Individual Service Fund, or arranging managed support.
    #[serde(default)]
    pub provider: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub what: String,
    pub outcome: String,
    pub category: String,
    #[serde(default)]
    pub provider: Option<String>,
    pub weekly_cost: Money,
    /// Streams that may fund this line; any stream the rules allow when empty.
    #[serde(default)]
    pub streams: Vec<String>,
    #[serde(default, rename = "override")]
    pub override_: Option<OverrideInput>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    pub split: Vec<SplitInput>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitInput {
    pub stream: String,
    pub amount: Money,
}

// ----- the budget as decided -----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub stream: String,
    pub funder: String,
    pub charging: Charging,
    pub indicative: Indicative,
    pub agreed: Money,
    pub reason: Option<String>,
    pub mode: DeliveryMode,
    pub provider: Option<String>,
    /// What the plan's lines draw from this component.
    pub allocated: Money,
    /// The person's contribution towards this component (zero unless means-tested).
    pub person_pays: Money,
    /// What the funder pays: allocated less the person's contribution.
    pub funder_pays: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funding {
    pub stream: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub number: usize,
    pub what: String,
    pub outcome: String,
    pub category: String,
    pub provider: Option<String>,
    pub weekly_cost: Money,
    pub funded: Vec<Funding>,
    /// What no stream may or can pay for: kept on the plan and flagged, never dropped.
    pub unfunded: Money,
    pub override_reason: Option<String>,
    pub explanation: Vec<String>,
}

/// A budget as decided: components, lines and the contribution, with every step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetDecision {
    pub date: NaiveDate,
    pub questionnaire: String,
    pub eligibility: Vec<Decision>,
    pub components: Vec<Component>,
    pub lines: Vec<Line>,
    /// The sum of the components' agreed amounts.
    pub budget: Money,
    pub plan_cost: Money,
    pub unfunded: Money,
    /// The person's assessed weekly charge, as given.
    pub assessed_charge: Money,
    /// What the person pays: the lesser of the assessed charge and the means-tested
    /// part of the plan.
    pub weekly_contribution: Money,
    pub warnings: Vec<String>,
    pub steps: Vec<String>,
}

fn field(field: &str, value: &str, problem: impl Into<String>) -> BudgetError {
    BudgetError::Field(FieldError::new(field, value, problem))
}

/// Decide a budget. `assessed_charge` is the weekly charge from the person's financial
/// assessment (zero when there is none or it found nothing to pay); it is applied only
/// to means-tested components, and never beyond what the plan draws from them.
pub fn decide(
    scheme: &Scheme,
    scores: &Scores,
    date: NaiveDate,
    plan: &PlanInput,
    assessed_charge: Money,
) -> Result<BudgetDecision, BudgetError> {
    let mut steps = Vec::new();
    let mut decision = decide_with(scheme, scores, date, plan, assessed_charge, &mut steps)?;
    decision.steps = steps;
    Ok(decision)
}

/// Records the steps of a decision in words, or (for [`Quiet`]) never builds them.
pub trait Say {
    /// Whether the words are kept (so callers may skip work that only feeds them).
    const KEEPS: bool;
    fn say(&mut self, words: impl FnOnce() -> String);
}

impl Say for Vec<String> {
    const KEEPS: bool = true;
    fn say(&mut self, words: impl FnOnce() -> String) {
        self.push(words());
    }
}

/// Builds no words: the same decision, for whole-caseload runs.
pub struct Quiet;

impl Say for Quiet {
    const KEEPS: bool = false;
    fn say(&mut self, _words: impl FnOnce() -> String) {}
}

/// [`decide`], with the steps going to `steps`; the figures are the same whatever the
/// recorder. Eligibility reasons and line explanations are left empty when it is
/// [`Quiet`].
pub fn decide_with<S: Say>(
    scheme: &Scheme,
    scores: &Scores,
    date: NaiveDate,
    plan: &PlanInput,
    assessed_charge: Money,
    steps: &mut S,
) -> Result<BudgetDecision, BudgetError> {
    if assessed_charge.is_negative() {
        return Err(field(
            "assessed_charge",
            &assessed_charge.to_plain_string(),
            "a weekly charge is zero or more",
        ));
    }
    let questionnaire = scheme.questionnaire(&scores.questionnaire)?;
    let scored = needs::Scored::with(scheme, Some(questionnaire), scores);
    let eligibility = needs::eligibility_scored(scheme, &scored, S::KEEPS);
    steps.say(|| {
        format!(
            "Needs assessed with questionnaire {} ({}): {} points in all",
            questionnaire.version,
            questionnaire.reference.title,
            scores.total()
        )
    });
    for d in &eligibility {
        steps.say(|| format!("{}: {}", d.stream, d.reason));
    }
    for (i, c) in plan.components.iter().enumerate() {
        if plan.components.iter().take(i).any(|o| o.stream == c.stream) {
            return Err(field(
                &format!("components[{i}].stream"),
                &c.stream,
                "one component per stream",
            ));
        }
        let Some(d) = eligibility.iter().find(|d| d.stream == c.stream) else {
            return Err(field(
                &format!("components[{i}].stream"),
                &c.stream,
                format!(
                    "not a stream of the scheme; its streams are {}",
                    scheme.streams.iter().map(|s| s.code.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        if !d.eligible {
            return Err(field(
                &format!("components[{i}].stream"),
                &c.stream,
                format!("the person is {}", d.reason),
            ));
        }
    }

    let mut components = Vec::new();
    // The allocator's view of each component, built beside it.
    let mut pots: Vec<Pot> = Vec::new();
    // Eligibility is decided in the scheme's order.
    for (stream, d) in scheme.streams.iter().zip(&eligibility) {
        if !d.eligible {
            continue;
        }
        let ras_version = stream.ras_on(date)?;
        let indicative = ras::indicative(ras_version, scored.points(ras_version.domain_set))?;
        if S::KEEPS {
            for words in ras::explain(&stream.code, ras_version, &indicative) {
                steps.say(|| words);
            }
        }
        let chosen = plan.components.iter().enumerate().find(|(_, c)| c.stream == stream.code);
        let (agreed, reason, mode, provider) = match chosen {
            None => {
                let Some(mode) = stream.modes.first().copied() else {
                    return Err(BudgetError::Internal("stream without a mode"));
                };
                (indicative.weekly, None, mode, None)
            }
            Some((i, c)) => {
                let agreed = c.agreed.unwrap_or(indicative.weekly);
                let at = format_args!("components[{i}]");
                if agreed.is_negative() {
                    return Err(field(
                        &format!("{at}.agreed"),
                        &agreed.to_plain_string(),
                        "an agreed amount is zero or more",
                    ));
                }
                let reason =
                    c.reason.as_ref().map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
                if agreed != indicative.weekly && reason.is_none() {
                    return Err(field(
                        &format!("{at}.reason"),
                        "",
                        format!(
                            "the agreed {agreed} differs from the indicative {}: give the \
                             reason (for example the support plan's costs, or a panel decision)",
                            indicative.weekly
                        ),
                    ));
                }
                if !stream.modes.contains(&c.mode) {
                    return Err(field(
                        &format!("{at}.mode"),
                        c.mode.as_str(),
                        format!(
                            "{} offers {}",
                            stream.name,
                            stream.modes.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                let provider =
                    c.provider.as_ref().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
                match (c.mode, &provider) {
                    (DeliveryMode::IndividualServiceFund, None) => {
                        return Err(field(
                            &format!("{at}.provider"),
                            "",
                            "an Individual Service Fund is held by a provider: name it",
                        ));
                    }
                    (DeliveryMode::DirectPayment, Some(p)) => {
                        return Err(field(
                            &format!("{at}.provider"),
                            p,
                            "a direct payment is paid to the person, not a provider; leave \
                             the provider out",
                        ));
                    }
                    _ => {}
                }
                (agreed, reason, c.mode, provider)
            }
        };
        steps.say(|| match &reason {
            None => format!("{}: agreed {agreed} a week, {}", stream.code, mode.words()),
            Some(r) => format!(
                "{}: agreed {agreed} a week ({}), {}, because {r}",
                stream.code,
                indicative.weekly,
                mode.words()
            ),
        });
        pots.push(Pot { charging: stream.charging, capacity: agreed, may_fund: stream.may_fund });
        components.push(Component {
            stream: stream.code.clone(),
            funder: stream.funder.clone(),
            charging: stream.charging,
            indicative,
            agreed,
            reason,
            mode,
            provider,
            allocated: Money::ZERO,
            person_pays: Money::ZERO,
            funder_pays: Money::ZERO,
        });
    }

    // The allocation.
    let pot_of = |code: &str| components.iter().position(|c| c.stream == code);
    let mut needs_in = Vec::with_capacity(plan.lines.len());
    for (i, l) in plan.lines.iter().enumerate() {
        let at = format_args!("lines[{i}]");
        if l.weekly_cost.is_negative() || l.weekly_cost.is_zero() {
            return Err(field(
                &format!("{at}.weekly_cost"),
                &l.weekly_cost.to_plain_string(),
                "a plan line costs more than zero a week",
            ));
        }
        if l.what.trim().is_empty() {
            return Err(field(&format!("{at}.what"), "", "say what the line is for"));
        }
        let mut need = Need::new(scheme.category_index(&l.category), l.weekly_cost);
        if !l.streams.is_empty() {
            need.allowed_pots = 0;
            for (j, s) in l.streams.iter().enumerate() {
                if scheme.stream(s).is_none() {
                    return Err(field(
                        &format!("{at}.streams[{j}]"),
                        s,
                        "not a stream of the scheme",
                    ));
                }
                if let Some(p) = pot_of(s) {
                    need.allowed_pots |= 1_u64 << p;
                }
            }
        }
        if let Some(o) = &l.override_ {
            if o.reason.trim().is_empty() {
                return Err(field(
                    &format!("{at}.override.reason"),
                    "",
                    "an override needs the practitioner's reason",
                ));
            }
            for (j, s) in o.split.iter().enumerate() {
                let Some(p) = pot_of(&s.stream) else {
                    return Err(field(
                        &format!("{at}.override.split[{j}].stream"),
                        &s.stream,
                        "the budget has no component in this stream",
                    ));
                };
                need.fixed.push((p, s.amount));
            }
        }
        needs_in.push(need);
    }
    let allocation = allocate::allocate(&pots, &needs_in)?;

    let mut lines = Vec::with_capacity(plan.lines.len());
    for (i, (l, need)) in plan.lines.iter().zip(&needs_in).enumerate() {
        let funded: Vec<Funding> = components
            .iter()
            .enumerate()
            .map(|(p, c)| (c, allocation.funded(i, p)))
            .filter(|(_, amount)| amount.is_positive())
            .map(|(c, amount)| Funding { stream: c.stream.clone(), amount })
            .collect();
        let unfunded = allocation.unfunded.get(i).copied().unwrap_or(Money::ZERO);
        let explanation = if S::KEEPS {
            explain_line(scheme, &components, &pots, &allocation, i, l, need)
        } else {
            Vec::new()
        };
        lines.push(Line {
            number: i + 1,
            what: l.what.clone(),
            outcome: l.outcome.clone(),
            category: l.category.clone(),
            provider: l.provider.clone(),
            weekly_cost: l.weekly_cost,
            funded,
            unfunded,
            override_reason: l.override_.as_ref().map(|o| o.reason.trim().to_owned()),
            explanation,
        });
    }
    for (p, c) in components.iter_mut().enumerate() {
        c.allocated = allocation.used.get(p).copied().unwrap_or(Money::ZERO);
    }

    // The contribution: only means-tested components, in proportion to what the plan
    // draws from each, and never more than that.
    let (means_tested, weekly_contribution) = apply_contribution(&mut components, assessed_charge)?;
    steps.say(|| {
        format!(
            "Assessed weekly charge {assessed_charge}; the means-tested part of the plan is \
             {means_tested}; the person contributes the lesser, {weekly_contribution}, and \
             nothing towards free or grant components"
        )
    });

    let budget = Money::checked_sum(components.iter().map(|c| c.agreed))?;
    let plan_cost = Money::checked_sum(plan.lines.iter().map(|l| l.weekly_cost))?;
    let unfunded = allocation.unfunded_total();
    let mut warnings = Vec::new();
    if plan_cost > budget {
        warnings.push(format!(
            "the plan costs {plan_cost} a week, {} more than the budget of {budget}",
            plan_cost.checked_sub(budget)?
        ));
    }
    for line in lines.iter().filter(|l| l.unfunded.is_positive()) {
        warnings.push(format!(
            "line {} ({}) has {} a week unfunded",
            line.number, line.what, line.unfunded
        ));
    }
    if components.is_empty() {
        warnings.push("the person is eligible for no stream: there is no budget".to_owned());
    }
    Ok(BudgetDecision {
        date,
        questionnaire: scores.questionnaire.clone(),
        eligibility,
        components,
        lines,
        budget,
        plan_cost,
        unfunded,
        assessed_charge,
        weekly_contribution,
        warnings,
        steps: Vec::new(),
    })
}

/// Share the person's contribution over the means-tested components, in proportion to
/// what each pays for (largest remainder), and set what each funder pays. Returns the
/// means-tested total and the contribution: the lesser of it and the assessed charge.
fn apply_contribution(
    components: &mut [Component],
    assessed_charge: Money,
) -> Result<(Money, Money), BudgetError> {
    let means_tested: Money = Money::checked_sum(
        components.iter().filter(|c| c.charging == Charging::MeansTested).map(|c| c.allocated),
    )?;
    let weekly_contribution = assessed_charge.min(means_tested);
    if weekly_contribution.is_positive() {
        let weights: Vec<i64> = components
            .iter()
            .map(|c| if c.charging == Charging::MeansTested { c.allocated.pence() } else { 0 })
            .collect();
        let shares = crate::pool::apportion(weekly_contribution, &weights)
            .map_err(|_| BudgetError::Internal("apportioning the contribution"))?;
        for (c, share) in components.iter_mut().zip(shares) {
            c.person_pays = share;
        }
    }
    for c in components.iter_mut() {
        c.funder_pays = c.allocated.checked_sub(c.person_pays)?;
    }
    Ok((means_tested, weekly_contribution))
}

/// One component of a budget brought from another system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedComponent {
    pub stream: String,
    pub weekly: Money,
    pub mode: DeliveryMode,
    pub provider: Option<String>,
}

/// A budget brought from another system, before onebudget has a needs assessment or a
/// support plan for it: each component is carried at its agreed amount, wholly committed,
/// with the contribution applied to means-tested components by the same rule as
/// [`decide`]. The practitioner records an assessment and a plan at the next review.
pub fn imported(
    scheme: &Scheme,
    date: NaiveDate,
    components_in: &[ImportedComponent],
    assessed_charge: Money,
    source: &str,
) -> Result<BudgetDecision, BudgetError> {
    if components_in.is_empty() {
        return Err(field("components", "", "an imported budget has at least one component"));
    }
    let mut components = Vec::new();
    for (i, c) in components_in.iter().enumerate() {
        let at = format!("components[{i}]");
        let Some(stream) = scheme.stream(&c.stream) else {
            return Err(field(&format!("{at}.stream"), &c.stream, "not a stream of the scheme"));
        };
        if components_in.iter().take(i).any(|o| o.stream == c.stream) {
            return Err(field(&format!("{at}.stream"), &c.stream, "one component per stream"));
        }
        if !c.weekly.is_positive() {
            return Err(field(
                &format!("{at}.weekly"),
                &c.weekly.to_plain_string(),
                "a weekly amount more than zero",
            ));
        }
        if !stream.modes.contains(&c.mode) {
            return Err(field(
                &format!("{at}.mode"),
                c.mode.as_str(),
                format!("{} does not offer this mode", stream.name),
            ));
        }
        let provider = c.provider.as_ref().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        match (c.mode, &provider) {
            (DeliveryMode::IndividualServiceFund, None) => {
                return Err(field(
                    &format!("{at}.provider"),
                    "",
                    "an Individual Service Fund is held by a provider: name it",
                ));
            }
            (DeliveryMode::DirectPayment, Some(p)) => {
                return Err(field(
                    &format!("{at}.provider"),
                    p,
                    "a direct payment has no provider",
                ));
            }
            _ => {}
        }
        components.push(Component {
            stream: c.stream.clone(),
            funder: stream.funder.clone(),
            charging: stream.charging,
            indicative: Indicative {
                points: 0,
                before_limits: c.weekly,
                weekly: c.weekly,
                clamp: ras::Clamp::None,
            },
            agreed: c.weekly,
            reason: Some(format!("imported from {source}")),
            mode: c.mode,
            provider,
            allocated: c.weekly,
            person_pays: Money::ZERO,
            funder_pays: Money::ZERO,
        });
    }
    let (means_tested, weekly_contribution) = apply_contribution(&mut components, assessed_charge)?;
    let budget = Money::checked_sum(components.iter().map(|c| c.agreed))?;
    let steps = vec![
        format!(
            "Imported from {source} on {date}: {} component(s), {budget} a week, carried at the agreed amounts",
            components.len()
        ),
        format!(
            "Assessed weekly charge {assessed_charge}; the means-tested part is {means_tested}; \
             the person contributes the lesser, {weekly_contribution}"
        ),
    ];
    Ok(BudgetDecision {
        date,
        questionnaire: String::new(),
        eligibility: Vec::new(),
        components,
        lines: Vec::new(),
        budget,
        plan_cost: Money::ZERO,
        unfunded: Money::ZERO,
        assessed_charge,
        weekly_contribution,
        warnings: vec![
            "no needs assessment or support plan in onebudget yet: record both at the next review"
                .to_owned(),
        ],
        steps,
    })
}

fn explain_line(
    scheme: &Scheme,
    components: &[Component],
    pots: &[Pot],
    allocation: &allocate::Allocation,
    i: usize,
    line: &LineInput,
    need: &Need,
) -> Vec<String> {
    let mut out = Vec::new();
    let title = need
        .category
        .and_then(|c| scheme.categories.get(c))
        .map_or(line.category.as_str(), |c| c.title.as_str());
    if need.category.is_none() {
        out.push(format!(
            "{} is not a category of spend in the scheme, so no stream may pay for it",
            line.category
        ));
    }
    if let Some(o) = &line.override_ {
        out.push(format!("the practitioner fixed the split because {}", o.reason.trim()));
    }
    for (p, (c, pot)) in components.iter().zip(pots).enumerate() {
        let amount = allocation.funded(i, p);
        let name = scheme.stream(&c.stream).map_or(c.stream.as_str(), |s| s.name.as_str());
        if amount.is_positive() {
            out.push(format!("{amount} from {name} ({})", charging_words(c.charging)));
        } else if !allocate::may_fund(pot, p, need) {
            let why = scheme
                .stream(&c.stream)
                .and_then(|s| s.excluded.iter().find(|(cat, _)| *cat == line.category))
                .map(|(_, r)| r.clone());
            let line_excludes =
                need.category.is_some_and(|cat| cat < 64 && pot.may_fund & (1_u64 << cat) != 0);
            out.push(match (why, line_excludes) {
                (_, true) => format!("not {name}: the line names other streams"),
                (Some(r), _) => format!("not {name}: it may not pay for {title} ({r})"),
                (None, _) => format!("not {name}: it may not pay for {title}"),
            });
        } else if allocation.used.get(p).is_some_and(|u| *u >= c.agreed) {
            out.push(format!("not {name}: its agreed {} is used by other lines", c.agreed));
        }
    }
    let unfunded = allocation.unfunded.get(i).copied().unwrap_or(Money::ZERO);
    if unfunded.is_positive() {
        out.push(format!(
            "{unfunded} a week is unfunded: kept on the plan for the practitioner to resolve \
             (raise an agreed amount, change the line, or fund it another way)"
        ));
    }
    out
}

fn charging_words(c: Charging) -> &'static str {
    match c {
        Charging::Free => "free to the person",
        Charging::Grant => "a grant",
        Charging::MeansTested => "means-tested",
    }
}
