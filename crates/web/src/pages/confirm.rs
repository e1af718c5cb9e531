//! Checking before money moves: the pieces of the GOV.UK "check your answers" step that
//! every form moving money goes through (paying a period, paying an invoice, deciding a
//! direct-payment review, confirming a pool's settlement). The form, sent first, shows
//! what would be posted and posts nothing; its check page's Confirm button sends the same
//! values again in hidden fields with [`STEP`] set to [`CONFIRMED`], with the CSRF token and
//! the idempotency key or the digest of the transfers shown, so a double click posts once
//! and only what was shown is posted.

use std::collections::{BTreeMap, BTreeSet};

use maud::{Markup, html};
use onebudget_core::ledger::{AccountCode, Transfer};

use crate::pages::PageError;
use crate::state::AppState;

/// The field a check page's buttons send: [`CONFIRMED`] to do what was checked, [`CHANGE`]
/// to go back to the form with what was typed. A form without it is only checked.
pub const STEP: &str = "step";
pub const CONFIRMED: &str = "confirm";
pub const CHANGE: &str = "change";

/// Hidden inputs carrying the fields `names` of the form sent on to the check page's form.
pub fn carried(form: &[(String, String)], names: &[&str]) -> Markup {
    html! {
        @for name in names {
            input type="hidden" name=(name) value=(value(form, name));
        }
    }
}

/// The names of the ledger accounts `codes`, by code (a code with no account is left out).
pub async fn account_names(
    state: &AppState,
    codes: BTreeSet<String>,
) -> Result<BTreeMap<String, String>, PageError> {
    let found = state
        .run(move |store| {
            let mut names = BTreeMap::new();
            for code in codes {
                let Ok(parsed) = AccountCode::parse("account", &code) else {
                    continue;
                };
                if let Some(account) = store.account(&parsed)? {
                    names.insert(code, account.name().to_owned());
                }
            }
            Ok::<_, onebudget_store::StoreError>(names)
        })
        .await?;
    Ok(found)
}

/// An account as a check page shows it: its name, then its code.
pub fn account_words(code: &str, names: &BTreeMap<String, String>) -> Markup {
    html! {
        @match names.get(code) {
            Some(name) => { (name) br; span.govuk-hint { (code) } }
            None => { (code) }
        }
    }
}

/// A digest of the transfers a check page showed, so that Confirm posts only those.
pub fn transfers_digest(transfers: &[Transfer]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for t in transfers {
        hasher.update(
            format!(
                "{}|{}|{}|{}|{}|{}\n",
                t.idempotency_key().as_str(),
                t.from().as_str(),
                t.to().as_str(),
                t.stream().as_str(),
                t.amount().pence(),
                t.effective_date()
            )
            .as_bytes(),
        );
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The Confirm and Change buttons of a check page: `confirm` posts; `warning` styles it as
/// an action that cannot be undone (govuk-button--warning).
pub fn check_buttons(confirm: &str, warning: bool) -> Markup {
    html! {
        div.govuk-button-group {
            button.govuk-button.govuk-button--warning[warning] #confirm type="submit" name=(STEP) value=(CONFIRMED) data-prevent-double-click="true" { (confirm) }
            button.govuk-button.govuk-button--secondary type="submit" name=(STEP) value=(CHANGE) { "Change" }
        }
    }
}

/// The value of field `name` in a form as sent ("" when absent).
pub fn value<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
}
