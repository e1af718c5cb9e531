//! The year-end risk-share settlement of a pool: its outturn against its budget, each
//! partner's share of the variance under the agreement's rule, and the balancing
//! transfers, every step explained so that anyone with the agreement and the ledger can
//! recompute it.
//!
//! The arithmetic, in order:
//! 1. budget `B` = the agreed contributions; outturn `O` = what the schemes spent;
//!    variance `V = O − B` (positive is an overspend).
//! 2. each partner's share `S_p` of `V` by the rule for an overspend or an underspend
//!    ([`shares`]); the shares add up to `V` exactly, by [`super::apportion`]'s remainder rule.
//! 3. each partner should end the year having borne `B_p + S_p`; it paid in `P_p`; its net
//!    settlement is `N_p = B_p + S_p − P_p` (positive: it pays more; negative: it is owed).
//! 4. the transfers: what is left in each scheme's account goes back to the partner whose
//!    stream it is (or, when an underspend is carried forward, to the pool's reserve); then
//!    partners whose money paid for less than they should bear pay those whose money paid
//!    for more, in the payer's own stream. Together these move exactly `N_p` for each
//!    partner, and leave every scheme account at zero.

use serde::Serialize;

use super::figures::YearFigures;
use super::{Agreement, PoolError, PoolKind, ShareRule, UnderspendRule, apportion};
use crate::ledger::{AccountCode, StreamCode};
use crate::money::Money;

/// One explained step of a settlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub title: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
}

fn step(
    steps: &mut Vec<Step>,
    title: impl Into<String>,
    detail: impl Into<String>,
    amount: Option<Money>,
) {
    steps.push(Step { title: title.into(), detail: detail.into(), amount });
}

/// One partner's part of the settlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartnerSettlement {
    pub organisation: String,
    pub agreed: Money,
    pub paid: Money,
    /// What the partner's stream paid for.
    pub spent: Money,
    pub share: Money,
    /// `agreed + share − paid`: positive, the partner pays this; negative, it is owed it.
    pub net: Money,
}

/// A balancing transfer the settlement posts (all on the year's last day, reason
/// `settlement`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettlementTransfer {
    pub from: AccountCode,
    pub to: AccountCode,
    pub stream: StreamCode,
    pub amount: Money,
    pub memo: String,
}

/// The whole settlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub pool: String,
    pub year: String,
    pub kind: PoolKind,
    pub agreement_effective_from: chrono::NaiveDate,
    pub budget: Money,
    pub outturn: Money,
    pub variance: Money,
    /// The rule applied, in words.
    pub rule: String,
    pub carried_forward: Money,
    pub partners: Vec<PartnerSettlement>,
    pub transfers: Vec<SettlementTransfer>,
    pub steps: Vec<Step>,
}

fn rule_words(rule: &ShareRule) -> &'static str {
    match rule {
        ShareRule::Proportional => "in proportion to the partners' agreed contributions",
        ShareRule::Fixed { .. } => "by the fixed split the agreement sets",
        ShareRule::LeadPartner => "each partner bears the variance on the schemes it leads",
        ShareRule::Capped { .. } => {
            "in proportion to contributions, each capped partner bearing at most its cap and the host carrying the rest"
        }
    }
}

/// Each partner's share of `variance` under `rule`, in partner order, adding up to
/// `variance` exactly. `scheme_variances` are each scheme's outturn minus its budget (for
/// the lead-partner rule).
pub fn shares(
    agreement: &Agreement,
    rule: &ShareRule,
    variance: Money,
    scheme_variances: &[Money],
    steps: &mut Vec<Step>,
) -> Result<Vec<Money>, PoolError> {
    let partners = &agreement.partners;
    let contributions: Vec<i64> = partners.iter().map(|p| p.annual_contribution.pence()).collect();
    let budget = agreement.budget();
    if variance.is_zero() {
        return Ok(vec![Money::ZERO; partners.len()]);
    }
    let result = match rule {
        ShareRule::Proportional => {
            let parts = apportion(variance, &contributions)?;
            for (partner, part) in partners.iter().zip(&parts) {
                step(
                    steps,
                    format!("{}'s share", partner.organisation),
                    format!(
                        "{} × {} ÷ {} (its contribution over the budget), rounded by the remainder rule",
                        variance, partner.annual_contribution, budget
                    ),
                    Some(*part),
                );
            }
            parts
        }
        ShareRule::Fixed { shares } => {
            let weights: Vec<i64> = shares.iter().map(|r| r.millionths()).collect();
            let parts = apportion(variance, &weights)?;
            for ((partner, share), part) in partners.iter().zip(shares).zip(&parts) {
                step(
                    steps,
                    format!("{}'s share", partner.organisation),
                    format!(
                        "{variance} × {share} (its fixed share), rounded by the remainder rule"
                    ),
                    Some(*part),
                );
            }
            parts
        }
        ShareRule::LeadPartner => {
            let mut parts = vec![Money::ZERO; partners.len()];
            for (scheme, scheme_variance) in agreement.schemes.iter().zip(scheme_variances) {
                let lead = if agreement.kind == PoolKind::Aligned {
                    // In an aligned budget a scheme's variance is its funder's own.
                    scheme.funding.iter().position(|r| r.millionths() > 0).unwrap_or(scheme.lead)
                } else {
                    scheme.lead
                };
                if let Some(part) = parts.get_mut(lead) {
                    *part = part.checked_add(*scheme_variance)?;
                }
                let lead_code = partners.get(lead).map_or("", |p| p.organisation.as_str());
                step(
                    steps,
                    format!("Scheme {} ({})", scheme.code, scheme.name),
                    format!(
                        "variance {scheme_variance} (outturn less its budget of {}), borne by {lead_code}",
                        scheme.planned_budget
                    ),
                    Some(*scheme_variance),
                );
            }
            parts
        }
        ShareRule::Capped { caps } => {
            let proportional = apportion(variance, &contributions)?;
            let mut parts = proportional.clone();
            let mut others = Money::ZERO;
            for (index, ((partner, cap), part)) in
                partners.iter().zip(caps).zip(parts.iter_mut()).enumerate()
            {
                if index == agreement.host {
                    continue;
                }
                if let Some(cap) = cap {
                    let magnitude = Money::from_pence(part.pence().abs());
                    if magnitude > *cap {
                        let capped = if variance.is_negative() { cap.checked_neg()? } else { *cap };
                        step(
                            steps,
                            format!("{}'s share", partner.organisation),
                            format!("{part} in proportion to its contribution, capped at {cap}"),
                            Some(capped),
                        );
                        *part = capped;
                    } else {
                        step(
                            steps,
                            format!("{}'s share", partner.organisation),
                            format!(
                                "{part} in proportion to its contribution ({} of {budget}), within its cap of {cap}",
                                partner.annual_contribution
                            ),
                            Some(*part),
                        );
                    }
                } else {
                    step(
                        steps,
                        format!("{}'s share", partner.organisation),
                        format!(
                            "{part} in proportion to its contribution ({} of {budget}); no cap",
                            partner.annual_contribution
                        ),
                        Some(*part),
                    );
                }
                others = others.checked_add(*part)?;
            }
            let host_share = variance.checked_sub(others)?;
            if let Some(part) = parts.get_mut(agreement.host) {
                *part = host_share;
            }
            let host_code = partners.get(agreement.host).map_or("", |p| p.organisation.as_str());
            step(
                steps,
                format!("{host_code}'s share (the host)"),
                format!(
                    "the variance {variance} less the other partners' shares {others}: the host carries the rest"
                ),
                Some(host_share),
            );
            parts
        }
    };
    let total = Money::checked_sum(result.iter().copied())?;
    if total != variance {
        return Err(PoolError::Internal("the shares do not add up to the variance"));
    }
    Ok(result)
}

/// Work out the settlement of `agreement`'s year from its `figures`. `closed_through` is
/// the last month (1 to 12) the finance officers have closed; a year is settled only once
/// all twelve are closed.
pub fn settle(
    agreement: &Agreement,
    figures: &YearFigures,
    closed_through: usize,
) -> Result<Settlement, PoolError> {
    let year = agreement.year;
    if closed_through < super::MONTHS {
        let closed = if closed_through == 0 {
            "no month is closed yet".to_owned()
        } else {
            format!("months are closed through {} only", year.month_label(closed_through))
        };
        return Err(PoolError::Refused(format!(
            "the year {} is not closed: {closed}; close every month through {} first (onebudget pool close {} --through {})",
            year.label(),
            year.month_label(super::MONTHS),
            agreement.pool,
            year.month_label(super::MONTHS)
        )));
    }
    if let Some(stream) = figures.foreign_streams.first() {
        return Err(PoolError::Refused(format!(
            "the pool's accounts hold money of stream {stream}, which is no partner's; move it out with a correction before settling"
        )));
    }
    let mut steps = Vec::new();
    step(
        &mut steps,
        "The agreement",
        format!(
            "{} ({}), {} hosted by {}, for {}; the version in force at the year end applies from {}",
            agreement.name,
            agreement.pool,
            agreement.kind.label().to_lowercase(),
            agreement.host_partner().map_or("", |p| p.organisation.as_str()),
            year.label(),
            agreement.effective_from
        ),
        None,
    );
    let budget = agreement.budget();
    step(
        &mut steps,
        "Budget",
        format!(
            "the agreed contributions: {}",
            agreement
                .partners
                .iter()
                .map(|p| format!("{} {}", p.organisation, p.annual_contribution))
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        Some(budget),
    );
    let mut scheme_variances = Vec::with_capacity(agreement.schemes.len());
    let mut outturn = Money::ZERO;
    for (index, scheme) in agreement.schemes.iter().enumerate() {
        let spent = figures.scheme_outturn(index);
        outturn = outturn.checked_add(spent)?;
        scheme_variances.push(spent.checked_sub(scheme.planned_budget)?);
    }
    step(
        &mut steps,
        "Outturn",
        format!(
            "what the schemes spent in the year, from the ledger: {}",
            agreement
                .schemes
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{} {}", s.code, figures.scheme_outturn(i)))
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        Some(outturn),
    );
    let variance = outturn.checked_sub(budget)?;
    let direction = if variance.is_positive() {
        "an overspend"
    } else if variance.is_negative() {
        "an underspend"
    } else {
        "on budget"
    };
    step(
        &mut steps,
        "Variance",
        format!("outturn {outturn} less budget {budget}: {direction}"),
        Some(variance),
    );

    let mut carried_forward = Money::ZERO;
    let (rule_text, share_values) = if agreement.kind == PoolKind::Aligned {
        let text = "aligned budget: no money is pooled, so each partner keeps the variance on its own schemes";
        step(&mut steps, "Rule", text, None);
        (
            text.to_owned(),
            shares(agreement, &ShareRule::LeadPartner, variance, &scheme_variances, &mut steps)?,
        )
    } else if variance.is_negative()
        && agreement.risk_share.underspend == UnderspendRule::CarryForward
    {
        carried_forward = variance.checked_neg()?;
        let text = "underspend carried forward: it stays in the pool's reserve for next year";
        step(&mut steps, "Rule", text, Some(carried_forward));
        (text.to_owned(), vec![Money::ZERO; agreement.partners.len()])
    } else {
        let rule = if variance.is_negative() {
            match &agreement.risk_share.underspend {
                UnderspendRule::Share { share } => share,
                UnderspendRule::CarryForward => &agreement.risk_share.overspend,
            }
        } else {
            &agreement.risk_share.overspend
        };
        let text = format!(
            "{} is shared {}; pennies left by rounding go to the largest remainders, ties to the partner listed first",
            if variance.is_negative() { "an underspend" } else { "an overspend" },
            rule_words(rule)
        );
        step(&mut steps, "Rule", text.clone(), None);
        (text, shares(agreement, rule, variance, &scheme_variances, &mut steps)?)
    };

    let mut partners = Vec::with_capacity(agreement.partners.len());
    let moves_money = agreement.kind.moves_money();
    for (index, (partner, share)) in agreement.partners.iter().zip(&share_values).enumerate() {
        let paid = figures.paid.get(index).copied().unwrap_or_default();
        let spent = figures.spent_from_partner(index);
        let net = if !moves_money || carried_forward.is_positive() {
            Money::ZERO
        } else {
            partner.annual_contribution.checked_add(*share)?.checked_sub(paid)?
        };
        if moves_money && !carried_forward.is_positive() {
            step(
                &mut steps,
                format!("{}'s net settlement", partner.organisation),
                format!(
                    "agreed {} + share {share} − paid {paid}: {}",
                    partner.annual_contribution,
                    if net.is_positive() {
                        "it pays this"
                    } else if net.is_negative() {
                        "it is owed this"
                    } else {
                        "nothing to settle"
                    }
                ),
                Some(net),
            );
        }
        partners.push(PartnerSettlement {
            organisation: partner.organisation.as_str().to_owned(),
            agreed: partner.annual_contribution,
            paid,
            spent,
            share: *share,
            net,
        });
    }

    let transfers = if moves_money {
        balancing_transfers(
            agreement,
            figures,
            &partners,
            carried_forward.is_positive(),
            &mut steps,
        )?
    } else {
        step(&mut steps, "Transfers", "none: an aligned budget moves no money", None);
        Vec::new()
    };
    if figures.settlement_transfers > 0 {
        step(
            &mut steps,
            "Already posted",
            format!(
                "the ledger already holds {} settlement transfers for this year",
                figures.settlement_transfers
            ),
            None,
        );
    }
    Ok(Settlement {
        pool: agreement.pool.as_str().to_owned(),
        year: year.label(),
        kind: agreement.kind,
        agreement_effective_from: agreement.effective_from,
        budget,
        outturn,
        variance,
        rule: rule_text,
        carried_forward,
        partners,
        transfers,
        steps,
    })
}

/// The transfers that carry out the settlement: first what is left in each scheme's
/// account goes back to its partner (or to the reserve), then partners settle between
/// themselves what their streams paid for against what they should bear.
fn balancing_transfers(
    agreement: &Agreement,
    figures: &YearFigures,
    partners: &[PartnerSettlement],
    carry_forward: bool,
    steps: &mut Vec<Step>,
) -> Result<Vec<SettlementTransfer>, PoolError> {
    let mut transfers = Vec::new();
    let scheme_accounts: Vec<&AccountCode> = agreement.schemes.iter().map(|s| &s.account).collect();
    for (account, partner_index, balance) in &figures.balances {
        if !scheme_accounts.contains(&account) || !balance.is_positive() {
            continue;
        }
        let Some(partner) = agreement.partners.get(*partner_index) else { continue };
        let (to, memo) = match (&agreement.reserve_account, carry_forward) {
            (Some(reserve), true) => (
                reserve.clone(),
                format!(
                    "{} {}: unspent {} money carried forward",
                    agreement.pool,
                    agreement.year.label(),
                    partner.organisation
                ),
            ),
            _ => (
                partner.account.clone(),
                format!(
                    "{} {}: unspent contribution returned to {}",
                    agreement.pool,
                    agreement.year.label(),
                    partner.organisation
                ),
            ),
        };
        step(
            steps,
            format!("Return from {account}"),
            format!(
                "{balance} of {}'s stream {} is left; it goes to {to}",
                partner.organisation, partner.stream
            ),
            Some(*balance),
        );
        transfers.push(SettlementTransfer {
            from: account.clone(),
            to,
            stream: partner.stream.clone(),
            amount: *balance,
            memo,
        });
    }
    if carry_forward {
        return Ok(transfers);
    }
    // What each partner should still pay (positive) or receive (negative) once its unspent
    // money is back: what it should bear less what its stream paid for.
    let mut owed: Vec<Money> = Vec::with_capacity(partners.len());
    for partner in partners {
        owed.push(partner.agreed.checked_add(partner.share)?.checked_sub(partner.spent)?);
    }
    if !Money::checked_sum(owed.iter().copied())?.is_zero() {
        return Err(PoolError::Internal("what partners owe one another does not balance"));
    }
    let mut receivers: Vec<(usize, Money)> = owed
        .iter()
        .enumerate()
        .filter(|(_, amount)| amount.is_negative())
        .map(|(index, amount)| (index, Money::from_pence(-amount.pence())))
        .collect();
    for (payer_index, amount) in owed.iter().enumerate() {
        let mut left = *amount;
        let Some(payer) = agreement.partners.get(payer_index) else { continue };
        for (receiver_index, due) in receivers.iter_mut() {
            if !left.is_positive() {
                break;
            }
            if !due.is_positive() {
                continue;
            }
            let Some(receiver) = agreement.partners.get(*receiver_index) else { continue };
            let part = if left < *due { left } else { *due };
            step(
                steps,
                format!("{} pays {}", payer.organisation, receiver.organisation),
                format!(
                    "{part} in {}'s stream {}, from {} to {}",
                    payer.organisation, payer.stream, payer.account, receiver.settlement_account
                ),
                Some(part),
            );
            transfers.push(SettlementTransfer {
                from: payer.account.clone(),
                to: receiver.settlement_account.clone(),
                stream: payer.stream.clone(),
                amount: part,
                memo: format!(
                    "{} {}: risk share, {} to {}",
                    agreement.pool,
                    agreement.year.label(),
                    payer.organisation,
                    receiver.organisation
                ),
            });
            left = left.checked_sub(part)?;
            *due = due.checked_sub(part)?;
        }
    }
    Ok(transfers)
}
