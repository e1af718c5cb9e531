//! Tests of the policy files: the shipped ones load and are complete; the checks refuse
//! each kind of mistake a person editing a file could make.

use super::*;

#[test]
fn the_shipped_policy_loads_with_every_figure_referenced() {
    let policy = Policy::in_use().unwrap();
    for jurisdiction in Jurisdiction::ALL {
        let file = policy.file(jurisdiction).unwrap();
        // Every file holds 2026/27 from the instruments in force in April 2026 (figures
        // not yet found are `unknown` and refused by name).
        assert_eq!(file.covers, (date("2022-04-01"), date("2027-03-31")), "{jurisdiction}");
        for parameter in file.parameters.values() {
            for value in &parameter.values {
                assert!(
                    value.reference.href.starts_with("http"),
                    "{}: {:?}",
                    parameter.name,
                    value
                );
                assert!(!value.reference.title.trim().is_empty(), "{}", parameter.name);
            }
        }
    }
    // Every day of every year covered resolves to rules for every nation.
    for nation in Nation::ALL {
        let (first, last) = policy.covers(nation).unwrap();
        assert_eq!(first, date("2022-04-01"));
        assert!(last >= date("2026-03-31"), "{nation:?} covers to {last}");
        let mut day = first;
        while day <= last {
            policy.rules_on(nation, day).unwrap();
            day = day.succ_opt().unwrap();
        }
        assert!(policy.rules_on(nation, date("2022-03-31")).is_err());
        assert!(policy.rules_on(nation, last.succ_opt().unwrap()).is_err());
    }
}

#[test]
fn a_change_of_rate_takes_effect_on_its_date() {
    let policy = Policy::in_use().unwrap();
    let pea = |d: &str| {
        let rules = policy.rules_on(Nation::England, date(d)).unwrap();
        match &rules.national {
            NationRules::England(r) => r.personal_expenses_allowance.value,
            _ => unreachable!(),
        }
    };
    assert!(pea("2024-04-05") < pea("2024-04-08"), "the PEA rose in April 2024");
}

#[test]
fn the_2026_up_rating_order_rates_take_effect_in_the_week_of_6_april_2026() {
    // Figures read in the Social Security Benefits Up-rating Order 2026 (SI 2026/148), not
    // taken from the policy file: Sch 1 Part III para 1(a) (attendance allowance, higher rate),
    // art 29(2)(b) (standard minimum guarantee, single), art 6(1) (new State Pension) and
    // Sch 3 (carer premium).
    let policy = Policy::in_use().unwrap();
    let uk = policy.file(Jurisdiction::Uk).unwrap();
    let pence = |name: &str, day: &str| match uk.value_on(name, date(day)).unwrap().1.value {
        Some(Value::Money(amount)) => amount.pence(),
        other => panic!("{name} on {day}: {other:?}"),
    };
    assert_eq!(pence("attendance_allowance.higher", "2026-04-05"), 11_040);
    assert_eq!(pence("attendance_allowance.higher", "2026-04-06"), 11_460);
    assert_eq!(pence("pension_credit.standard_minimum_guarantee.single", "2026-04-06"), 23_800);
    assert_eq!(pence("state_pension.new_full", "2026-04-06"), 24_130);
    assert_eq!(pence("premiums.carer", "2026-04-06"), 4_815);
    assert_eq!(pence("premiums.carer", "2027-03-31"), 4_815);
    let (_, cited) = uk.value_on("attendance_allowance.higher", date("2026-04-06")).unwrap();
    assert!(cited.reference.href.contains("/uksi/2026/148/"), "{:?}", cited.reference);
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

const GOOD: &str = r#"
nation: northern_ireland
description: test
covers: {from: 2022-04-01, to: 2023-03-31}
parameters:
  care_home.capital.lower_limit:
    description: lower
    unit: GBP
    values:
      - {from: 2010-04-01, value: "14250.00", reference: {title: t, href: "https://x"}}
  care_home.capital.upper_limit:
    description: upper
    unit: GBP
    values:
      - {from: 2010-04-01, value: "23250.00", reference: {title: t, href: "https://x"}}
  care_home.capital.tariff_band:
    description: band
    unit: GBP
    values:
      - {from: 2010-04-01, value: "250.00", reference: {title: t, href: "https://x"}}
  care_home.capital.tariff_per_band:
    description: per band
    unit: GBP/week
    values:
      - {from: 2010-04-01, value: "1.00", reference: {title: t, href: "https://x"}}
  care_home.nursing_care_contribution:
    description: nursing
    unit: GBP/week
    values:
      - {from: 2010-04-01, value: "100.00", reference: {title: t, href: "https://x"}}
  non_residential.domiciliary_care_free:
    description: free
    unit: boolean
    values:
      - {from: 2010-04-01, value: true, reference: {title: t, href: "https://x"}}
  property.disregard_weeks:
    description: weeks
    unit: weeks
    values:
      - {from: 2010-04-01, value: 12, reference: {title: t, href: "https://x"}}
"#;

fn refuse(text: &str) -> String {
    PolicyFile::parse("test.yaml", text).unwrap_err().to_string()
}

#[test]
fn a_good_file_parses() {
    let file = PolicyFile::parse("test.yaml", GOOD).unwrap();
    assert_eq!(file.parameters.len(), 7);
}

#[test]
fn mistakes_in_a_file_are_refused_naming_the_parameter() {
    let typo =
        GOOD.replace("care_home.nursing_care_contribution:", "care_home.nursing_contribution:");
    assert!(refuse(&typo).contains("care_home.nursing_contribution"), "{}", refuse(&typo));
    let number = GOOD.replace(r#"value: "100.00""#, "value: 100.00");
    assert!(refuse(&number).contains("quoted string"), "{}", refuse(&number));
    let no_reference = GOOD.replace(
        r#"value: "1.00", reference: {title: t, href: "https://x"}"#,
        r#"value: "1.00", reference: {title: "", href: ""}"#,
    );
    assert!(refuse(&no_reference).contains("reference"), "{}", refuse(&no_reference));
    let late_start = GOOD
        .replace(r#"{from: 2010-04-01, value: "250.00""#, r#"{from: 2022-05-01, value: "250.00""#);
    assert!(refuse(&late_start).contains("no value on 2022-04-01"), "{}", refuse(&late_start));
    let gap = GOOD.replace(
        r#"      - {from: 2010-04-01, value: "100.00", reference: {title: t, href: "https://x"}}"#,
        "      - {from: 2010-04-01, value: \"100.00\", reference: {title: t, href: \"https://x\"}}\n      - {from: 2022-06-01, value: null, reference: {title: t, href: \"https://x\"}}",
    );
    assert!(refuse(&gap).contains("stops on 2022-06-01"), "{}", refuse(&gap));
    let disorder = GOOD.replace(
        r#"      - {from: 2010-04-01, value: "100.00", reference: {title: t, href: "https://x"}}"#,
        "      - {from: 2010-04-01, value: \"100.00\", reference: {title: t, href: \"https://x\"}}\n      - {from: 2009-06-01, value: \"90.00\", reference: {title: t, href: \"https://x\"}}",
    );
    assert!(refuse(&disorder).contains("date order"), "{}", refuse(&disorder));
    let missing = GOOD.replace("  property.disregard_weeks:", "  property.ignored:");
    assert!(refuse(&missing).contains("property.ignored"), "{}", refuse(&missing));
    let unit = GOOD.replace("unit: weeks", "unit: GBP");
    assert!(refuse(&unit).contains("the unit must be weeks"), "{}", refuse(&unit));
    let unknown_required = GOOD.replace(r#"value: "23250.00""#, "value: unknown");
    assert!(
        refuse(&unknown_required).contains("may not be unknown"),
        "{}",
        refuse(&unknown_required)
    );
}

#[test]
fn an_optional_figure_may_be_declared_unknown() {
    let text = format!(
        "{GOOD}  care_home.personal_allowance:\n    description: pa\n    unit: GBP/week\n    values:\n      - {{from: 2010-04-01, value: unknown, reference: {{title: not found, href: \"https://x\"}}}}\n"
    );
    let file = PolicyFile::parse("test.yaml", &text).unwrap();
    let pa = file.parameters.get("care_home.personal_allowance").unwrap();
    assert!(pa.values.first().unwrap().unknown);
}

/// GOOD, covering 2022/23 to 2024/25, with the nursing contribution set to `values`.
fn three_years_with_nursing(values: &str) -> String {
    GOOD.replace(
        "covers: {from: 2022-04-01, to: 2023-03-31}",
        "covers: {from: 2022-04-01, to: 2025-03-31}",
    )
    .replace(
        r#"      - {from: 2010-04-01, value: "100.00", reference: {title: t, href: "https://x"}}"#,
        values,
    )
}

#[test]
fn a_figure_uprated_every_year_may_not_carry_forward_into_the_last_year_covered() {
    let uprated = "      - {from: 2010-04-01, value: \"100.00\", reference: {title: t, href: \"https://x\"}}\n      \
                   - {from: 2022-04-06, value: \"104.00\", reference: {title: t, href: \"https://x\"}}\n      \
                   - {from: 2023-04-06, value: \"109.00\", reference: {title: t, href: \"https://x\"}}";
    let error = refuse(&three_years_with_nursing(uprated));
    assert!(
        error.contains("care_home.nursing_care_contribution")
            && error.contains("2022/23 and 2023/24")
            && error.contains("none dated in 2024/25"),
        "{error}"
    );
    // A file that covers only the last two of those years is checked the same way.
    let two_years = three_years_with_nursing(uprated).replace(
        "covers: {from: 2022-04-01, to: 2025-03-31}",
        "covers: {from: 2023-04-01, to: 2025-03-31}",
    );
    assert!(refuse(&two_years).contains("none dated in 2024/25"), "{}", refuse(&two_years));
    // The same amount entered again, with the reference that says it did not change, is
    // accepted; so is a figure that changed only once in the years before.
    let recited = format!(
        "{uprated}\n      - {{from: 2024-04-06, value: \"109.00\", reference: {{title: unchanged, href: \"https://x\"}}}}"
    );
    PolicyFile::parse("test.yaml", &three_years_with_nursing(&recited)).unwrap();
    let once = "      - {from: 2010-04-01, value: \"100.00\", reference: {title: t, href: \"https://x\"}}\n      \
                - {from: 2023-04-06, value: \"109.00\", reference: {title: t, href: \"https://x\"}}";
    PolicyFile::parse("test.yaml", &three_years_with_nursing(once)).unwrap();
}

#[test]
fn moving_the_shipped_files_on_a_year_without_its_figures_is_refused() {
    let moved: Vec<(&str, String)> = EMBEDDED_FILES
        .iter()
        .map(|(name, text)| (*name, text.replace("to: 2027-03-31", "to: 2028-03-31")))
        .collect();
    let files: Vec<(&str, &str)> =
        moved.iter().map(|(name, text)| (*name, text.as_str())).collect();
    let error = Policy::parse(&files).unwrap_err().to_string();
    assert!(error.contains("none dated in 2027/28"), "{error}");
}
