//! The code lists of the Adult Social Care Client Level Data (CLD) specification, Release 2,
//! and the Release 1 spellings each accepts.
//!
//! Every list parses the specification's exact text and prints it back ([`fmt::Display`]).
//! Release 1 spellings are mapped to Release 2 as DHSC does: "Release 1 values are mapped to
//! Release 2 values" (DataS-DHSC/ASC-CLD-LA-Dashboard, commit 9bee728,
//! `Main_tables/docs/methodology/5-data-cleaning.md`, applied in
//! `Stored_procedures/create_GetDerivedFields_procedure.sql`). DHSC's mapping tables
//! themselves (`REF_*_Mapping`) are kept in a spreadsheet that is not published, so the
//! Release 1 → Release 2 pairs below are onebudget's, made value by value from the two
//! published lists; where DHSC's code states a mapping it is followed and cited. Release 2
//! lists come from DHSC's code and documentation (cited on each list); Release 1 lists from
//! NHS England's reference tables (NHSDigital/ASC-Client-Level-Data-SALT-ASCOF-
//! transformations, commit d6ff762).
//!
//! A value that is in neither release is refused, naming the column and the values allowed;
//! nothing is guessed.

use std::fmt;
use std::str::FromStr;

use crate::field::FieldError;

/// Defines a code list: an enum whose variants print the Release 2 text, and which parse
/// from that text or any listed Release 1 spelling.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident, $column:expr, {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the specification's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The CSV column this list belongs to.
            pub const COLUMN: &'static str = $column;

            /// The specification's (Release 2) text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value for the specification's exact text, Release 2 or Release 1.
            pub fn from_spec(text: &str) -> Option<$name> {
                match text {
                    $($text $(| $alias)* => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Parse `text`, reporting an unknown value under `column` with the values
            /// allowed.
            pub fn parse(column: &str, text: &str) -> Result<$name, FieldError> {
                $name::from_spec(text).ok_or_else(|| {
                    FieldError::new(column, text, unknown_value_problem($name::ALL.iter().map(|v| v.as_str())))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse($column, s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse($column, &text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The problem text for a value not in a list: what is allowed, quoted.
fn unknown_value_problem<'a>(allowed: impl Iterator<Item = &'a str>) -> String {
    let allowed: Vec<String> = allowed.map(|v| format!("\"{v}\"")).collect();
    format!(
        "not a value the CLD specification allows here; use one of {} (Release 1 spellings \
         are also accepted)",
        allowed.join(", ")
    )
}

code_list! {
    /// Event_Type. The four CLD event types (NHSE-CLD code; CLD guidance: "Service events
    /// are the only event type in CLD that can be open and ongoing").
    EventType, "Event_Type", {
        Request => "Request",
        Assessment => "Assessment",
        Service => "Service",
        Review => "Review",
    }
}

code_list! {
    /// Client_Type. Release 2: DHSC-CLD code (`Create_ASCOF_3D_2425_Onwards.sql`, line 365,
    /// lists both releases); Release 1 in title case.
    ClientType, "Client_Type", {
        ServiceUser => "Service user" | "Service User",
        UnpaidCarer => "Unpaid carer" | "Carer",
        UnpaidCarerKnownByAssociation => "Unpaid carer known by association" | "Carer known by association",
    }
}

code_list! {
    /// Event_Outcome, Release 2: the 17 values in DHSC's deduplication hierarchy order
    /// (DHSC-CLD `Main_tables/docs/methodology/6-deduplication.md`). Release 1 (NHSE-CLD
    /// `#REF_Event_Outcome_Hierarchy`): "Progress to financial assessment" and "Progress to
    /// End of Life Care" become "Release 1 specification only: Not mapped", as DHSC's
    /// `Waiting_times/waiting_times_method.sql` (line 210) says; "No change in package"
    /// becomes "Continuation of support or services" and "Provision of service" "Progress to
    /// support planning or services" (onebudget's reading; DHSC's table is unpublished).
    EventOutcome, "Event_Outcome", {
        ProgressToReablement => "Progress to reablement/ST-Max" | "Progress to Reablement/ST-Max",
        ProgressToAssessmentOrReview => "Progress to assessment, review or reassessment"
            | "Progress to Assessment" | "Progress to Re-assessment / Unplanned Review",
        Release1NotMapped => "Release 1 specification only: Not mapped"
            | "Progress to financial assessment" | "Progress to End of Life Care",
        ProgressToSupportPlanning => "Progress to support planning or services"
            | "Progress to Support Planning / Services" | "Provision of service",
        ContinuationOfSupport => "Continuation of support or services" | "No change in package",
        AdmittedToHospital => "Admitted to hospital" | "Admitted to Hospital",
        NfaMovedToAnotherLa => "NFA: Responsibility moved to another local authority"
            | "NFA - Moved to another LA",
        NfaNhs => "NFA: Referral to NHS services or NHS funded social care"
            | "NFA - 100% NHS-funded care",
        NfaSelfFunded => "NFA: Self-funded client or under 12wk disregard"
            | "NFA - Self-funded client (inc. 12wk disregard)",
        NfaInformationAndAdvice => "NFA: Information and advice or signposting"
            | "NFA - Information & Advice / Signposting only",
        NfaOtherLaService => "NFA: Referral to other service within the local authority",
        NfaSupportDeclined => "NFA: Support declined" | "NFA - Support declined",
        NfaDeceased => "NFA: Deceased" | "NFA - Deceased",
        NfaSupportEndedAsPlanned => "NFA: Support ended as planned" | "Service ended as planned",
        NfaSupportEndedOther => "NFA: Support ended for other reason"
            | "NFA - Support ended – other reason",
        NfaNoServicesOffered => "NFA: No services offered for other reason"
            | "NFA - No services offered - other reason",
        NfaOther => "NFA: Other" | "NFA- Other",
    }
}

impl EventOutcome {
    /// The outcome's place in DHSC's deduplication hierarchy, 1 (highest) to 17.
    pub fn hierarchy(self) -> u8 {
        let position = EventOutcome::ALL.iter().position(|o| *o == self).unwrap_or(16);
        u8::try_from(position + 1).unwrap_or(17)
    }
}

code_list! {
    /// Service_Type, Release 2: the 9 values of DHSC-CLD
    /// `Main_tables/docs/methodology/5-data-cleaning.md`. Release 1 in title case, the carer
    /// types as "Carer Support: …" (NHSE-CLD reference tables).
    ServiceType, "Service_Type", {
        LongTermCommunity => "Long term support: Community" | "Long Term Support: Community",
        LongTermNursing => "Long term support: Nursing care" | "Long Term Support: Nursing Care",
        LongTermPrison => "Long term support: Prison" | "Long Term Support: Prison",
        LongTermResidential => "Long term support: Residential care"
            | "Long Term Support: Residential Care",
        ShortTermOngoingLowLevel => "Short term support: Ongoing low level"
            | "Short Term Support: Ongoing Low Level",
        ShortTermOther => "Short term support: Other short term"
            | "Short Term Support: Other Short Term",
        ShortTermStMax => "Short term support: ST-Max" | "Short Term Support: ST-Max",
        CarerDirect => "Unpaid carer support: Direct to unpaid carer"
            | "Carer Support: Direct to Carer",
        CarerInvolvingCaredFor => "Unpaid carer support: Support involving the person cared-for"
            | "Carer Support: Support involving the person cared-for",
    }
}

impl ServiceType {
    /// Long-term support in any setting.
    pub fn is_long_term(self) -> bool {
        matches!(
            self,
            ServiceType::LongTermCommunity
                | ServiceType::LongTermNursing
                | ServiceType::LongTermPrison
                | ServiceType::LongTermResidential
        )
    }

    /// Long-term residential or nursing care: a care-home placement (ASCOF 2B/2C).
    pub fn is_care_home(self) -> bool {
        matches!(self, ServiceType::LongTermNursing | ServiceType::LongTermResidential)
    }
}

code_list! {
    /// Service_Component: the Release 2 values DHSC's code uses (DHSC-CLD
    /// `ASCOF_measures/Create_personal_details_table.sql`, `Create_ASCOF_2A_2425_Onwards.sql`,
    /// `Create_ASCOF_2D.sql`, `Create_ASCOF_3D_2425_Onwards.sql`) and their Release 1
    /// spellings. The specification's full list was not found; a value outside these nine
    /// is refused rather than guessed (Release 1 "Carer Respite" has no Release 2 value in
    /// DHSC's code and is refused).
    ServiceComponent, "Service_Component", {
        DirectPayment => "Direct payment" | "Direct Payment",
        Equipment => "Equipment",
        ExtraCareHousing => "Extra care housing" | "Extra Care Housing",
        HomeSupport => "Home support or domiciliary care",
        SharedLives => "Shared Lives",
        CommunitySupportedLiving => "Community supported living",
        ShortTermResidentialCare => "Short term residential care" | "Short Term Residential Care",
        ShortTermNursingCare => "Short term nursing care" | "Short Term Nursing Care",
        Reablement => "Reablement",
    }
}

code_list! {
    /// Delivery_Mechanism (not mandatory). Release 2 in sentence case, Release 1 in title
    /// case (DHSC-CLD `Create_ASCOF_3D_2425_Onwards.sql`; NHSE-CLD ASCOF 3D code).
    DeliveryMechanism, "Delivery_Mechanism", {
        DirectPayment => "Direct payment" | "Direct Payment",
        CassrManagedPersonalBudget => "CASSR managed personal budget"
            | "CASSR Managed Personal Budget",
        CassrCommissionedSupport => "CASSR commissioned support" | "CASSR Commissioned Support",
    }
}

code_list! {
    /// Client_Funding_Status (DHSC-CLD code; the list there may not be complete).
    ClientFundingStatus, "Client_Funding_Status", {
        FullySocialCareFunded => "Fully social care funded",
        JointClientAndSocialCareFunded => "Joint client and social care funded",
        FullyClientFunded => "Fully client funded",
    }
}

code_list! {
    /// Cost_Frequency_Unit_Type ("Cost Frequency (Unit Type)"): the frequencies DHSC's
    /// costing recognises (DHSC-CLD `6.Costs_fact.sql`: weekly, fortnightly, 4-weekly,
    /// monthly, quarterly, annual, one-off; hourly, daily and per session take their units
    /// from Planned_units_per_week). The specification's exact capitalisation was not read;
    /// DHSC's SQL matches these case-insensitively, so both the capitalised and the
    /// lower-case forms are accepted.
    CostFrequency, "Cost_Frequency_Unit_Type", {
        Hourly => "Hourly" | "hourly",
        Daily => "Daily" | "daily",
        PerSession => "Per session" | "per session",
        Weekly => "Weekly" | "weekly",
        Fortnightly => "Fortnightly" | "fortnightly",
        FourWeekly => "4-weekly" | "4-Weekly",
        Monthly => "Monthly" | "monthly",
        Quarterly => "Quarterly" | "quarterly",
        Annually => "Annually" | "annually" | "Annual" | "annual",
        OneOff => "One-off" | "one-off",
    }
}

impl CostFrequency {
    /// Units per week as DHSC derives them from the frequency, as a fraction
    /// (numerator, denominator): weekly 1, fortnightly 1/2, 4-weekly 1/4, monthly 12/52,
    /// quarterly 4/52, annually 1/52. `None` for hourly, daily and per-session costs (whose
    /// units come from Planned_units_per_week) and one-off costs (counted once).
    pub fn units_per_week(self) -> Option<(i64, i64)> {
        match self {
            CostFrequency::Weekly => Some((1, 1)),
            CostFrequency::Fortnightly => Some((1, 2)),
            CostFrequency::FourWeekly => Some((1, 4)),
            CostFrequency::Monthly => Some((12, 52)),
            CostFrequency::Quarterly => Some((4, 52)),
            CostFrequency::Annually => Some((1, 52)),
            CostFrequency::Hourly
            | CostFrequency::Daily
            | CostFrequency::PerSession
            | CostFrequency::OneOff => None,
        }
    }
}

code_list! {
    /// Primary_Support_Reason: NHS England's Release 1 reference list (NHSE-CLD, `SALT
    /// LTS001a/LTS001a replication code.txt`), and the one Release 2 spelling DHSC's code
    /// shows ("Social support: Support to unpaid carer"). The Release 2 list was not found;
    /// values print as Release 1 except where the Release 2 text is known.
    PrimarySupportReason, "Primary_Support_Reason", {
        PhysicalPersonalCare => "Physical Support: Personal care support",
        PhysicalAccessAndMobility => "Physical Support: Access & mobility only",
        SensoryVisual => "Sensory Support: Support for visual impairment",
        SensoryHearing => "Sensory Support: Support for hearing impairment",
        SensoryDual => "Sensory Support: Support for dual impairment",
        MemoryAndCognition => "Support with Memory & Cognition",
        LearningDisability => "Learning Disability Support",
        MentalHealth => "Mental Health Support",
        SubstanceMisuse => "Social Support: Substance misuse support",
        AsylumSeeker => "Social Support: Asylum seeker support",
        SocialIsolationOther => "Social Support: Support for Social Isolation/Other",
        SupportToUnpaidCarer => "Social support: Support to unpaid carer"
            | "Social Support: Support to Carer",
        Unknown => "Unknown",
    }
}

code_list! {
    /// Gender: the values NHS England's code reports (NHSE-CLD `SALT LTS001b`: Male, Female,
    /// Other, Unknown).
    Gender, "Gender", {
        Male => "Male",
        Female => "Female",
        Other => "Other",
        Unknown => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_prints_the_text_it_parses_from() {
        fn check<T: Copy + fmt::Display + PartialEq + fmt::Debug>(
            all: &[T],
            from: fn(&str) -> Option<T>,
        ) {
            for value in all {
                assert_eq!(from(&value.to_string()), Some(*value));
            }
        }
        check(EventType::ALL, EventType::from_spec);
        check(ClientType::ALL, ClientType::from_spec);
        check(EventOutcome::ALL, EventOutcome::from_spec);
        check(ServiceType::ALL, ServiceType::from_spec);
        check(ServiceComponent::ALL, ServiceComponent::from_spec);
        check(DeliveryMechanism::ALL, DeliveryMechanism::from_spec);
        check(ClientFundingStatus::ALL, ClientFundingStatus::from_spec);
        check(CostFrequency::ALL, CostFrequency::from_spec);
        check(PrimarySupportReason::ALL, PrimarySupportReason::from_spec);
        check(Gender::ALL, Gender::from_spec);
    }

    #[test]
    fn release_2_lists_have_the_published_lengths() {
        assert_eq!(EventOutcome::ALL.len(), 17);
        assert_eq!(ServiceType::ALL.len(), 9);
        assert_eq!(EventOutcome::NfaOther.hierarchy(), 17);
        assert_eq!(EventOutcome::ProgressToReablement.hierarchy(), 1);
        assert_eq!(EventOutcome::AdmittedToHospital.hierarchy(), 6);
    }

    #[test]
    fn release_1_spellings_map_to_release_2() {
        assert_eq!(
            ServiceType::parse("Service_Type", "Long Term Support: Nursing Care").unwrap(),
            ServiceType::LongTermNursing
        );
        assert_eq!(ServiceType::LongTermNursing.to_string(), "Long term support: Nursing care");
        assert_eq!(
            ServiceType::from_spec("Carer Support: Direct to Carer"),
            Some(ServiceType::CarerDirect)
        );
        assert_eq!(ClientType::from_spec("Carer"), Some(ClientType::UnpaidCarer));
        assert_eq!(
            EventOutcome::from_spec("Progress to End of Life Care").map(|o| o.to_string()),
            Some("Release 1 specification only: Not mapped".to_owned())
        );
        assert_eq!(
            EventOutcome::from_spec("NFA - 100% NHS-funded care"),
            Some(EventOutcome::NfaNhs)
        );
        assert_eq!(
            DeliveryMechanism::from_spec("CASSR Managed Personal Budget"),
            Some(DeliveryMechanism::CassrManagedPersonalBudget)
        );
    }

    #[test]
    fn unknown_values_are_refused_naming_the_column_and_the_allowed_values() {
        let error = ServiceComponent::parse("Service_Component", "Carer Respite").unwrap_err();
        assert_eq!(error.field, "Service_Component");
        assert!(error.problem.contains("\"Reablement\""), "{error}");
        assert!(error.problem.contains("\"Home support or domiciliary care\""), "{error}");
        // Near misses are not guessed.
        assert!(ServiceType::from_spec("long term support: nursing care").is_none());
        assert!(ServiceType::from_spec("Long term support: Nursing care ").is_none());
    }

    #[test]
    fn cost_frequencies_convert_to_units_per_week_as_dhsc_does() {
        assert_eq!(CostFrequency::Monthly.units_per_week(), Some((12, 52)));
        assert_eq!(CostFrequency::Fortnightly.units_per_week(), Some((1, 2)));
        assert_eq!(CostFrequency::Hourly.units_per_week(), None);
        assert_eq!(CostFrequency::OneOff.units_per_week(), None);
    }
}
