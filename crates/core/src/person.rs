//! Who a person is: the identifiers that name one person across health and social care,
//! starting with the NHS number.
//!
//! An [`NhsNumber`] is parsed at the edge (form, JSON, CSV) and is valid from then on: ten
//! digits whose last digit is the modulus 11 check digit of the first nine, as the NHS
//! Data Dictionary defines it. `onebudget-sim` draws synthetic people's numbers from the
//! range NHS test data uses, through [`NhsNumber::synthetic`], so that no synthetic
//! number can ever belong to a real patient.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::field::FieldError;

/// The field name NHS numbers are reported under.
const FIELD: &str = "nhs_number";

/// The first nine digits of the lowest and highest synthetic NHS numbers. NHS Digital, NHS
/// number test data: 999 000 0000 to 999 999 9999 — the range NHS test data uses, which
/// is never issued to a patient.
const SYNTHETIC_FIRST_NINE_LOWEST: u32 = 999_000_000;
const SYNTHETIC_FIRST_NINE_HIGHEST: u32 = 999_999_999;

/// The largest ten-digit number, the bound on an NHS number's value.
const TEN_DIGITS_HIGHEST: u64 = 9_999_999_999;

/// A valid NHS number: ten digits, the last a modulus 11 check digit of the first nine.
///
/// Written `943 476 5919` for people (its [`Display`](fmt::Display)) and `9434765919` in
/// data (its serde form and [`NhsNumber::compact`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NhsNumber(u64);

impl NhsNumber {
    /// Parse `9434765919` or `943 476 5919`: ten digits, with single spaces after the third
    /// and sixth digits or no spaces at all, whose check digit is right.
    pub fn parse(input: &str) -> Result<NhsNumber, FieldError> {
        if input.chars().any(|c| !c.is_ascii_digit() && c != ' ') {
            return Err(FieldError::new(
                FIELD,
                input,
                "an NHS number is made only of digits, optionally spaced 3-3-4 like \
                 943 476 5919; remove any letters, dashes or other characters",
            ));
        }
        let digit_count = input.chars().filter(char::is_ascii_digit).count();
        if digit_count != 10 {
            return Err(FieldError::new(
                FIELD,
                input,
                format!(
                    "an NHS number has 10 digits but this has {digit_count}; check for a \
                     missing or extra digit"
                ),
            ));
        }
        let spaced_three_three_four = input.len() == 12
            && input.char_indices().all(|(i, c)| (c == ' ') == (i == 3 || i == 7));
        if input.contains(' ') && !spaced_three_three_four {
            return Err(FieldError::new(
                FIELD,
                input,
                "space an NHS number as 3, 3 and 4 digits (943 476 5919) or not at all \
                 (9434765919)",
            ));
        }
        let value = input
            .chars()
            .filter_map(|c| c.to_digit(10))
            .fold(0_u64, |value, digit| value * 10 + u64::from(digit));
        let first_nine = u32::try_from(value / 10).unwrap_or(u32::MAX);
        let last = u8::try_from(value % 10).unwrap_or(u8::MAX);
        match NhsNumber::check_digit(first_nine) {
            None => Err(FieldError::new(
                FIELD,
                input,
                "no NHS number starts with these nine digits (their check digit would be \
                 10), so a digit is probably mistyped; copy the number again from the \
                 person's NHS record",
            )),
            Some(expected) if expected != last => Err(FieldError::new(
                FIELD,
                input,
                "the last digit does not match the check digit worked out from the first \
                 nine, so a digit is probably mistyped or two digits are swapped; copy the \
                 number again from the person's NHS record",
            )),
            Some(_) => Ok(NhsNumber(value)),
        }
    }

    /// The modulus 11 check digit for the first nine digits of an NHS number (given as a
    /// number, so `943 476 591` is `943_476_591`), as the NHS Data Dictionary defines it:
    /// multiply the digits by 10, 9, … 2 from the left, sum, take the remainder on
    /// dividing by 11 and subtract it from 11; 11 becomes 0. `None` when the result is 10
    /// (no NHS number starts with those nine digits) or `first_nine` has more than nine
    /// digits.
    pub fn check_digit(first_nine: u32) -> Option<u8> {
        if first_nine > 999_999_999 {
            return None;
        }
        // From the right, the ninth digit has weight 2, the eighth 3, … the first 10.
        let mut rest = first_nine;
        let mut sum = 0_u32;
        for weight in 2..=10 {
            sum += (rest % 10) * weight;
            rest /= 10;
        }
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            check => u8::try_from(check).ok(),
        }
    }

    /// Whether this number is in the range NHS test data uses (it starts with 999), which
    /// is never issued to a patient.
    pub fn is_synthetic_range(&self) -> bool {
        let first_nine = self.0 / 10;
        (u64::from(SYNTHETIC_FIRST_NINE_LOWEST)..=u64::from(SYNTHETIC_FIRST_NINE_HIGHEST))
            .contains(&first_nine)
    }

    /// The synthetic NHS number with serial `serial`: `999` followed by the serial as six
    /// digits and then its check digit. `None` when those nine digits have no check digit
    /// (about one serial in eleven) or the serial has more than six digits; callers wanting
    /// `n` distinct numbers skip those serials and take the rest in turn, e.g.
    /// `(0..).filter_map(NhsNumber::synthetic).take(n)`. The same serial always gives the
    /// same number, and different serials give different numbers.
    pub fn synthetic(serial: u32) -> Option<NhsNumber> {
        let first_nine = SYNTHETIC_FIRST_NINE_LOWEST.checked_add(serial)?;
        if first_nine > SYNTHETIC_FIRST_NINE_HIGHEST {
            return None;
        }
        let check = NhsNumber::check_digit(first_nine)?;
        Some(NhsNumber(u64::from(first_nine) * 10 + u64::from(check)))
    }

    /// The ten digits without spaces, as data holds them: `9434765919`.
    pub fn compact(&self) -> String {
        format!("{:010}", self.0)
    }
}

impl fmt::Display for NhsNumber {
    /// The ten digits spaced 3-3-4, as the NHS writes them for people: `943 476 5919`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_assert!(self.0 <= TEN_DIGITS_HIGHEST, "an NHS number has ten digits");
        let first_three = self.0 / 10_000_000;
        let middle_three = self.0 / 10_000 % 1_000;
        let last_four = self.0 % 10_000;
        write!(f, "{first_three:03} {middle_three:03} {last_four:04}")
    }
}

impl FromStr for NhsNumber {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NhsNumber::parse(s)
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.compact())
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = NhsNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an NHS number as a string of ten digits, like \"9434765919\"")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<NhsNumber, E> {
                NhsNumber::parse(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The check digit worked out the slow, obvious way from a string of nine digits.
    fn check_digit_by_hand(first_nine: &str) -> Option<u8> {
        let digits: Vec<u32> = first_nine.chars().map(|c| c.to_digit(10).unwrap()).collect();
        assert_eq!(digits.len(), 9);
        let weights = [10, 9, 8, 7, 6, 5, 4, 3, 2];
        let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            c => Some(c as u8),
        }
    }

    #[test]
    fn the_published_example_is_valid() {
        // 943 476 5919, the NHS's published example of a valid number. First nine digits
        // 9 4 3 4 7 6 5 9 1 times weights 10 9 8 7 6 5 4 3 2:
        //   90 + 36 + 24 + 28 + 42 + 30 + 20 + 27 + 2 = 299
        //   299 mod 11 = 2 (11 × 27 = 297), and 11 - 2 = 9, the last digit.
        assert_eq!(NhsNumber::check_digit(943_476_591), Some(9));
        assert_eq!(check_digit_by_hand("943476591"), Some(9));
        let number = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(number.to_string(), "943 476 5919");
        assert_eq!(number.compact(), "9434765919");
        assert!(!number.is_synthetic_range());
    }

    #[test]
    fn numbers_built_by_hand_from_the_algorithm_parse() {
        for first_nine in ["401023213", "999000001", "123456789", "000000001", "999999999"] {
            let Some(check) = check_digit_by_hand(first_nine) else {
                continue;
            };
            let text = format!("{first_nine}{check}");
            let number = NhsNumber::parse(&text).unwrap();
            assert_eq!(number.compact(), text);
            assert_eq!(NhsNumber::check_digit(first_nine.parse().unwrap()), Some(check));
        }
        // A remainder of 0 gives 11, which becomes 0: 000 000 014 is 1 × 3 + 4 × 2 = 11.
        assert_eq!(NhsNumber::check_digit(14), Some(0));
        assert_eq!(check_digit_by_hand("000000014"), Some(0));
        NhsNumber::parse("000 000 0140").unwrap();
        assert_eq!(NhsNumber::check_digit(0), Some(0));
        assert_eq!(check_digit_by_hand("000000000"), Some(0));
        // 999 123 456: 90 + 81 + 72 + 7 + 12 + 15 + 16 + 15 + 12 = 320, 320 mod 11 = 1,
        // 11 - 1 = 10: no NHS number starts with these nine digits.
        assert_eq!(NhsNumber::check_digit(999_123_456), None);
        assert_eq!(check_digit_by_hand("999123456"), None);
    }

    #[test]
    fn the_fast_check_digit_agrees_with_the_slow_one() {
        for first_nine in (0..1_000_000_000_u32).step_by(999_983).chain(999_000_000..999_001_000) {
            assert_eq!(
                NhsNumber::check_digit(first_nine),
                check_digit_by_hand(&format!("{first_nine:09}")),
                "first nine {first_nine:09}"
            );
        }
        assert_eq!(NhsNumber::check_digit(1_000_000_000), None);
    }

    #[test]
    fn refuses_a_wrong_check_digit() {
        let error = NhsNumber::parse("9434765918").unwrap_err();
        assert_eq!(error.field, "nhs_number");
        assert!(error.problem.contains("check digit"), "{error}");
        // Two digits swapped.
        assert!(NhsNumber::parse("9434765191").is_err());
        // First nine digits whose check digit would be 10.
        let error = NhsNumber::parse("9991234560").unwrap_err();
        assert!(error.problem.contains("would be 10"), "{error}");
    }

    #[test]
    fn refuses_the_wrong_number_of_digits() {
        for input in ["", "943476591", "94347659190", "943 476 591", "943 476 59190"] {
            let error = NhsNumber::parse(input).unwrap_err();
            assert!(error.problem.contains("10 digits"), "{input:?}: {error}");
        }
    }

    #[test]
    fn refuses_letters_and_other_characters() {
        for input in
            ["94347659I9", "943-476-5919", "NHS9434765919", "943\t476\t5919", "９434765919"]
        {
            let error = NhsNumber::parse(input).unwrap_err();
            assert!(error.problem.contains("only of digits"), "{input:?}: {error}");
        }
    }

    #[test]
    fn accepts_spaces_only_three_three_four() {
        assert_eq!(
            NhsNumber::parse("943 476 5919").unwrap(),
            NhsNumber::parse("9434765919").unwrap()
        );
        for input in [
            "94 3476 5919",
            "9434 765 919",
            "943  476 5919",
            " 943 476 5919",
            "943 476 5919 ",
            "943 4765919",
            "9434765 919",
            " 9434765919",
        ] {
            let error = NhsNumber::parse(input).unwrap_err();
            assert!(error.problem.contains("3, 3 and 4"), "{input:?}: {error}");
        }
    }

    #[test]
    fn errors_name_the_field_and_the_value() {
        let error = NhsNumber::parse("12345").unwrap_err();
        assert_eq!(
            error.to_string(),
            "nhs_number: an NHS number has 10 digits but this has 5; check for a missing or \
             extra digit (got \"12345\")"
        );
    }

    #[test]
    fn serde_round_trips_as_ten_digits() {
        let number = NhsNumber::parse("943 476 5919").unwrap();
        let json = serde_json::to_string(&number).unwrap();
        assert_eq!(json, "\"9434765919\"");
        let back: NhsNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, number);
        let spaced: NhsNumber = serde_json::from_str("\"943 476 5919\"").unwrap();
        assert_eq!(spaced, number);
        let error = serde_json::from_str::<NhsNumber>("\"9434765918\"").unwrap_err();
        assert!(error.to_string().contains("check digit"), "{error}");
        assert!(serde_json::from_str::<NhsNumber>("9434765919").is_err());
    }

    #[test]
    fn from_str_is_parse() {
        let number: NhsNumber = "943 476 5919".parse().unwrap();
        assert_eq!(number, NhsNumber::parse("9434765919").unwrap());
    }

    #[test]
    fn display_keeps_leading_zeros() {
        // 000 000 000 has check digit 0 (see above).
        let number = NhsNumber::parse("0000000000").unwrap();
        assert_eq!(number.to_string(), "000 000 0000");
        assert_eq!(number.compact(), "0000000000");
    }

    #[test]
    fn synthetic_numbers_are_valid_distinct_and_in_the_test_range() {
        let mut seen = HashSet::new();
        let mut skipped = 0;
        for serial in 0..10_000 {
            let first_nine = 999_000_000 + serial;
            match NhsNumber::synthetic(serial) {
                None => {
                    // Skipped exactly when no check digit exists.
                    assert_eq!(check_digit_by_hand(&first_nine.to_string()), None);
                    skipped += 1;
                }
                Some(number) => {
                    assert!(number.is_synthetic_range(), "{number}");
                    assert_eq!(NhsNumber::parse(&number.compact()).unwrap(), number);
                    assert_eq!(NhsNumber::parse(&number.to_string()).unwrap(), number);
                    assert!(number.to_string().starts_with("999 "));
                    assert!(seen.insert(number), "{number} twice");
                }
            }
        }
        // About one in eleven nine-digit starts has no check digit.
        assert!((800..1_000).contains(&skipped), "skipped {skipped}");
        assert_eq!(seen.len(), 10_000 - skipped);
    }

    #[test]
    fn synthetic_serials_stop_at_six_digits() {
        // 999 000 000 sums to 90 + 81 + 72 = 243, remainder 1: no check digit. 999 000 001
        // sums to 245, remainder 3, check digit 8.
        assert_eq!(NhsNumber::synthetic(0), None);
        assert_eq!(NhsNumber::synthetic(1).map(|n| n.compact()), Some("9990000018".into()));
        assert!(NhsNumber::synthetic(1_000_000).is_none());
        assert!(NhsNumber::synthetic(u32::MAX).is_none());
        let last = (0..=999_999).rev().find_map(NhsNumber::synthetic).unwrap();
        assert!(last.is_synthetic_range());
    }

    #[test]
    fn the_synthetic_range_is_only_numbers_starting_999() {
        assert!(!NhsNumber::parse("9434765919").unwrap().is_synthetic_range());
        let just_below = (998_000_000..999_000_000).rev().find_map(|first_nine| {
            NhsNumber::check_digit(first_nine)
                .map(|c| NhsNumber::parse(&format!("{first_nine}{c}")).unwrap())
        });
        assert!(!just_below.unwrap().is_synthetic_range());
    }
}
