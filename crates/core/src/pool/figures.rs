//! A pool's year in figures, worked out from the ledger's flows through the pool's
//! accounts: what each partner paid in, what each scheme spent (by month and by whose
//! money), and what each pool account holds of each partner's stream.
//!
//! The store hands over [`Flow`]s: money into and out of each pool account, by
//! counterparty, stream, month and reason, summed. [`YearFigures::from_flows`] sorts them:
//! a flow with a partner's own account is a contribution (or its return); a flow between
//! two of the pool's accounts is a virement and spends nothing; a flow with reason
//! `settlement` belongs to the settlement; everything else is spending. `monitoring` and
//! `settlement` both read these figures, so they can never disagree about the year.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Agreement, MONTHS, PoolError};
use crate::ledger::{AccountCode, ReasonCode, StreamCode};
use crate::money::Money;

/// Money through one pool account, with one counterparty, in one stream, month and
/// reason, summed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub account: AccountCode,
    pub counterparty: AccountCode,
    pub stream: StreamCode,
    /// The first day of the month.
    pub month: NaiveDate,
    pub reason: ReasonCode,
    pub money_in: Money,
    pub money_out: Money,
}

/// The year's figures. Vectors are in the agreement's partner and scheme order; months
/// run April (index 0) to March (index 11).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct YearFigures {
    /// Net contributions paid in, per partner.
    pub paid: Vec<Money>,
    /// Net contributions per partner and month.
    pub paid_by_month: Vec<[Money; MONTHS]>,
    /// Net contributions per scheme, partner and month.
    pub paid_into_scheme: Vec<Vec<[Money; MONTHS]>>,
    /// Net spending per scheme and month.
    pub spent_by_month: Vec<[Money; MONTHS]>,
    /// Net spending per scheme and partner (whose stream paid).
    pub spent_by_partner: Vec<Vec<Money>>,
    /// What each pool account holds of each partner's stream at the end of the year,
    /// before any settlement: `(account, partner index, balance)`.
    pub balances: Vec<(AccountCode, usize, Money)>,
    /// Settlement transfers already recorded for the year.
    pub settlement_transfers: u64,
    /// Money in the pool in a stream that is no partner's (it should not be there).
    pub foreign_streams: Vec<StreamCode>,
}

impl YearFigures {
    /// Sort `flows` (any months; those outside the agreement's year count only towards
    /// the accounts' opening balances) into the year's figures.
    pub fn from_flows(agreement: &Agreement, flows: &[Flow]) -> Result<YearFigures, PoolError> {
        let partners = agreement.partners.len();
        let schemes = agreement.schemes.len();
        let mut figures = YearFigures {
            paid: vec![Money::ZERO; partners],
            paid_by_month: vec![[Money::ZERO; MONTHS]; partners],
            spent_by_month: vec![[Money::ZERO; MONTHS]; schemes],
            spent_by_partner: vec![vec![Money::ZERO; partners]; schemes],
            paid_into_scheme: vec![vec![[Money::ZERO; MONTHS]; partners]; schemes],
            ..YearFigures::default()
        };
        let pool_accounts = agreement.pool_accounts();
        let year_end = agreement.year.end();
        for flow in flows {
            if flow.month >= year_end {
                continue;
            }
            let net_in = flow.money_in.checked_sub(flow.money_out)?;
            let Some(partner) = agreement.partners.iter().position(|p| p.stream == flow.stream)
            else {
                if !figures.foreign_streams.contains(&flow.stream) {
                    figures.foreign_streams.push(flow.stream.clone());
                }
                continue;
            };
            // The balance counts every flow up to the end of the year, settlement or not.
            match figures.balances.iter_mut().find(|(a, p, _)| *a == flow.account && *p == partner)
            {
                Some((_, _, balance)) => *balance = balance.checked_add(net_in)?,
                None => figures.balances.push((flow.account.clone(), partner, net_in)),
            }
            let Some(month) = agreement.year.month_of(flow.month) else {
                continue; // an earlier year: only the opening balance
            };
            let month_index = month - 1;
            if flow.reason == ReasonCode::Settlement {
                figures.settlement_transfers += 1;
                continue;
            }
            if pool_accounts.contains(&&flow.counterparty) {
                continue; // a virement between the pool's own accounts
            }
            let own_account = agreement.partners.get(partner).is_some_and(|p| {
                p.account == flow.counterparty || p.settlement_account == flow.counterparty
            });
            if own_account {
                if let Some(paid) = figures.paid.get_mut(partner) {
                    *paid = paid.checked_add(net_in)?;
                }
                if let Some(slot) =
                    figures.paid_by_month.get_mut(partner).and_then(|m| m.get_mut(month_index))
                {
                    *slot = slot.checked_add(net_in)?;
                }
                // Regression: this was never summed, so every month's contribution was
                // worked out as if nothing had been paid yet and the year overpaid.
                if let Some(slot) = agreement
                    .schemes
                    .iter()
                    .position(|s| s.account == flow.account)
                    .and_then(|scheme| figures.paid_into_scheme.get_mut(scheme))
                    .and_then(|p| p.get_mut(partner))
                    .and_then(|m| m.get_mut(month_index))
                {
                    *slot = slot.checked_add(net_in)?;
                }
                continue;
            }
            let Some(scheme) = agreement.schemes.iter().position(|s| s.account == flow.account)
            else {
                continue; // the reserve spends nothing
            };
            let spent = net_in.checked_neg()?;
            if let Some(slot) =
                figures.spent_by_month.get_mut(scheme).and_then(|m| m.get_mut(month_index))
            {
                *slot = slot.checked_add(spent)?;
            }
            if let Some(slot) =
                figures.spent_by_partner.get_mut(scheme).and_then(|p| p.get_mut(partner))
            {
                *slot = slot.checked_add(spent)?;
            }
        }
        Ok(figures)
    }

    /// A scheme's spending over the year.
    pub fn scheme_outturn(&self, scheme: usize) -> Money {
        self.spent_by_month
            .get(scheme)
            .and_then(|months| Money::checked_sum(months.iter().copied()).ok())
            .unwrap_or_default()
    }

    /// A scheme's spending over months 1 ..= `through`.
    pub fn scheme_spent_through(&self, scheme: usize, through: usize) -> Money {
        self.spent_by_month
            .get(scheme)
            .and_then(|months| Money::checked_sum(months.iter().take(through).copied()).ok())
            .unwrap_or_default()
    }

    /// What a partner's stream paid for, across every scheme.
    pub fn spent_from_partner(&self, partner: usize) -> Money {
        Money::checked_sum(self.spent_by_partner.iter().filter_map(|p| p.get(partner).copied()))
            .unwrap_or_default()
    }

    /// What a partner has paid into a scheme before month `month` (1 to 12).
    pub fn paid_into_before(&self, scheme: usize, partner: usize, month: usize) -> Money {
        self.paid_into_scheme
            .get(scheme)
            .and_then(|p| p.get(partner))
            .and_then(|months| {
                Money::checked_sum(months.iter().take(month.saturating_sub(1)).copied()).ok()
            })
            .unwrap_or_default()
    }

    /// A partner's contributions over months 1 ..= `through`.
    pub fn paid_through(&self, partner: usize, through: usize) -> Money {
        self.paid_by_month
            .get(partner)
            .and_then(|months| Money::checked_sum(months.iter().take(through).copied()).ok())
            .unwrap_or_default()
    }
}
