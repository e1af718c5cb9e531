//! The allocator: which stream pays for each support-plan line.
//!
//! The rules, in order of strength:
//! 1. no stream pays for a category its rules exclude, and a line that names the streams
//!    allowed to fund it is funded only by them;
//! 2. no stream pays more than its component's agreed amount;
//! 3. as much of the plan is funded as these allow (what cannot be is kept, flagged
//!    unfunded, never dropped);
//! 4. free (NHS) money is used for everything it may fund before grants, and grants
//!    before means-tested money, so the person is charged as little as the rules allow.
//!
//! This is a maximum flow on the bipartite graph of lines and streams, computed in tiers:
//! augment with free streams only until no path is left, then add grants, then
//! means-tested streams. An augmenting path may move a line from one stream to another
//! (that is how a line that only social care may fund frees NHS money for one the NHS
//! may), but it never lowers what an earlier tier pays in total; so each tier's total is
//! the most it can be given the tiers before it, and the last tier's flow is a maximum
//! flow of the whole graph. Paths are searched breadth first, lines and streams in the
//! order given, so the result is deterministic. A practitioner's override fixes part or
//! all of a line's split first, under rules 1 and 2.

use serde::{Deserialize, Serialize};
use smallvec::{SmallVec, smallvec};

use crate::money::Money;

use super::BudgetError;
use super::config::Charging;

/// A stream's component as the allocator sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pot {
    pub charging: Charging,
    /// The component's agreed weekly amount.
    pub capacity: Money,
    /// Bit `i` set: the stream may pay for category `i`.
    pub may_fund: u64,
}

/// A plan line as the allocator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// The category's index in the scheme, or `None` when the scheme does not know it.
    pub category: Option<usize>,
    pub cost: Money,
    /// Bit `p` set: pot `p` may fund this line (the line's own restriction; `u64::MAX`
    /// when it names none).
    pub allowed_pots: u64,
    /// A practitioner's fixed split: (pot, amount).
    pub fixed: Vec<(usize, Money)>,
}

impl Need {
    pub fn new(category: Option<usize>, cost: Money) -> Need {
        Need { category, cost, allowed_pots: u64::MAX, fixed: Vec::new() }
    }
}

/// The most pots (components) one budget may have.
pub const MAX_POTS: usize = 64;

/// The result: what each pot pays for each line, what is left unfunded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub pots: usize,
    /// `funded[line * pots + pot]`.
    pub funded: Vec<Money>,
    pub unfunded: Vec<Money>,
    /// What each pot pays in total.
    pub used: Vec<Money>,
}

impl Allocation {
    pub fn funded(&self, line: usize, pot: usize) -> Money {
        self.funded.get(line * self.pots + pot).copied().unwrap_or(Money::ZERO)
    }

    pub fn unfunded_total(&self) -> Money {
        Money::from_pence(self.unfunded.iter().map(|m| m.pence()).sum())
    }
}

/// Whether pot `p` may fund `need` under the stream's and the line's rules.
pub fn may_fund(pot: &Pot, p: usize, need: &Need) -> bool {
    let category_ok = need.category.is_some_and(|c| c < 64 && pot.may_fund & (1_u64 << c) != 0);
    let line_ok = p >= 64 || need.allowed_pots & (1_u64 << p) != 0;
    category_ok && line_ok
}

fn pence(m: Money) -> i64 {
    m.pence()
}

/// Allocate `needs` to `pots`. Errors only for an override that breaks a rule, or input
/// beyond the allocator's limits; anything else the rules cannot fund is left unfunded.
pub fn allocate(pots: &[Pot], needs: &[Need]) -> Result<Allocation, BudgetError> {
    let np = pots.len();
    if np > MAX_POTS {
        return Err(BudgetError::Refused(format!(
            "a budget has at most {MAX_POTS} components; this one has {np}"
        )));
    }
    let nl = needs.len();
    if pots.iter().any(|p| p.capacity.is_negative()) || needs.iter().any(|n| n.cost.is_negative()) {
        return Err(BudgetError::Refused("amounts to allocate must be zero or more".to_owned()));
    }
    let mut flow = vec![0_i64; nl * np];
    // Working state, on the stack for a budget of usual size.
    let mut cap: SmallVec<[i64; 8]> = pots.iter().map(|p| pence(p.capacity)).collect();
    let mut left: SmallVec<[i64; 16]> = needs.iter().map(|n| pence(n.cost)).collect();

    for (l, need) in needs.iter().enumerate() {
        for &(p, amount) in &need.fixed {
            let line = l + 1;
            let Some(pot) = pots.get(p) else {
                return Err(BudgetError::Refused(format!(
                    "line {line}: the override names a component the budget does not have"
                )));
            };
            if !may_fund(pot, p, need) {
                return Err(BudgetError::Refused(format!(
                    "line {line}: the override asks a stream to pay for a category its rules \
                     exclude (or the line does not allow it); an override may choose among \
                     the streams allowed, not break their rules"
                )));
            }
            let a = pence(amount);
            let (Some(c), Some(rest)) = (cap.get_mut(p), left.get_mut(l)) else {
                return Err(BudgetError::Internal("override index"));
            };
            if a <= 0 || a > *rest || a > *c {
                return Err(BudgetError::Refused(format!(
                    "line {line}: the override's {amount} must be more than zero and no more \
                     than the line's cost still to fund ({}) or what the component has left \
                     ({})",
                    Money::from_pence(*rest),
                    Money::from_pence(*c)
                )));
            }
            *c -= a;
            *rest -= a;
            if let Some(f) = flow.get_mut(l * np + p) {
                *f += a;
            }
        }
    }

    // Breadth-first augmenting paths, tier by tier. Nodes: lines 0..nl, pots nl..nl+np.
    let nodes = nl + np;
    let mut parent: SmallVec<[usize; 24]> = smallvec![usize::MAX; nodes];
    let mut queue: SmallVec<[usize; 24]> = SmallVec::with_capacity(nodes);
    for tier in [Charging::Free, Charging::Grant, Charging::MeansTested] {
        if !pots.iter().any(|p| p.charging == tier) {
            continue;
        }
        let enabled = |p: &Pot| p.charging <= tier;
        loop {
            parent.iter_mut().for_each(|x| *x = usize::MAX);
            queue.clear();
            for (l, rest) in left.iter().enumerate() {
                if *rest > 0 {
                    if let Some(x) = parent.get_mut(l) {
                        *x = l; // a start node is its own parent
                    }
                    queue.push(l);
                }
            }
            let mut head = 0;
            let mut end_pot = None;
            'search: while let Some(&node) = queue.get(head) {
                head += 1;
                if node < nl {
                    let Some(need) = needs.get(node) else { break };
                    for (p, pot) in pots.iter().enumerate() {
                        let v = nl + p;
                        if !enabled(pot)
                            || !may_fund(pot, p, need)
                            || parent.get(v).is_none_or(|x| *x != usize::MAX)
                        {
                            continue;
                        }
                        if let Some(x) = parent.get_mut(v) {
                            *x = node;
                        }
                        if cap.get(p).is_some_and(|c| *c > 0) {
                            end_pot = Some(p);
                            break 'search;
                        }
                        queue.push(v);
                    }
                } else {
                    let p = node - nl;
                    for l in 0..nl {
                        if flow.get(l * np + p).is_some_and(|f| *f > 0)
                            && parent.get(l).is_some_and(|x| *x == usize::MAX)
                        {
                            if let Some(x) = parent.get_mut(l) {
                                *x = node;
                            }
                            queue.push(l);
                        }
                    }
                }
            }
            let Some(end) = end_pot else { break };
            // Walk back to the start line, finding the bottleneck.
            let mut bottleneck = cap.get(end).copied().unwrap_or(0);
            let mut v = nl + end;
            let mut start = usize::MAX;
            for _ in 0..=nodes {
                let u = parent.get(v).copied().unwrap_or(usize::MAX);
                if v < nl && u == v {
                    start = v;
                    break;
                }
                if v < nl {
                    // v is a line reached backwards from pot u: flow (v, u) can be undone.
                    let f = flow.get(v * np + (u - nl)).copied().unwrap_or(0);
                    bottleneck = bottleneck.min(f);
                }
                v = u;
            }
            if start == usize::MAX {
                return Err(BudgetError::Internal("augmenting path without a start"));
            }
            bottleneck = bottleneck.min(left.get(start).copied().unwrap_or(0));
            if bottleneck <= 0 {
                return Err(BudgetError::Internal("augmenting path with no capacity"));
            }
            // Apply: forward line→pot edges gain, backward pot→line edges lose.
            let mut v = nl + end;
            for _ in 0..=nodes {
                let u = parent.get(v).copied().unwrap_or(usize::MAX);
                if v < nl && u == v {
                    break;
                }
                if v >= nl {
                    // u is a line, v a pot: forward.
                    if let Some(f) = flow.get_mut(u * np + (v - nl)) {
                        *f += bottleneck;
                    }
                } else if let Some(f) = flow.get_mut(v * np + (u - nl)) {
                    *f -= bottleneck;
                }
                v = u;
            }
            if let Some(c) = cap.get_mut(end) {
                *c -= bottleneck;
            }
            if let Some(r) = left.get_mut(start) {
                *r -= bottleneck;
            }
        }
    }
    let used = (0..np)
        .map(|p| {
            Money::from_pence((0..nl).map(|l| flow.get(l * np + p).copied().unwrap_or(0)).sum())
        })
        .collect();
    Ok(Allocation {
        pots: np,
        funded: flow.into_iter().map(Money::from_pence).collect(),
        unfunded: left.into_iter().map(Money::from_pence).collect(),
        used,
    })
}
