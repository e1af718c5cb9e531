//! Money: an exact amount of sterling held as integer pence.
//!
//! Every amount in onebudget is a [`Money`]. Arithmetic is checked and returns
//! [`MoneyError::Overflow`] instead of wrapping; there are no floats. Division, the only
//! operation that can leave a fraction of a penny, goes through [`round_div`], the one
//! place where onebudget rounds money, and the caller names the [`Rounding`] rule.
//!
//! The conversions between weekly, monthly and annual amounts are stated once, here:
//! a year is 52 weeks and 12 months (see [`WEEKS_PER_YEAR`]).
//!
//! Text forms: [`Money::parse`] accepts `1234.56`, `£1,234.56` and `-£5.00`; [`fmt::Display`]
//! writes `£1,234.56`; serde reads and writes a JSON string of pounds, `"1234.56"`, so that
//! no JSON parser ever turns an amount into a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The number of weeks onebudget counts in a year when it turns a weekly amount into an
/// annual one and back. Councils and the DWP state annual rates as 52 times the weekly
/// rate; onebudget does the same so that its annual figures match their letters.
pub const WEEKS_PER_YEAR: i64 = 52;
/// The number of months in a year, for monthly ledger profiles.
pub const MONTHS_PER_YEAR: i64 = 12;

/// An amount of sterling in whole pence. May be negative (a balance can be).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Arithmetic on money that would not fit, or a division by zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error(
        "amount out of range while computing {operation}: onebudget holds amounts up to £92,233,720,368,547,758.07"
    )]
    Overflow { operation: &'static str },
    #[error("cannot divide an amount by zero while computing {operation}")]
    DivisionByZero { operation: &'static str },
}

/// Text that is not an amount of money, with what was wrong and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{problem} (got {}); write pounds and pence like 1234.56 or £1,234.56",
    crate::field::quoted(input)
)]
pub struct MoneyParseError {
    pub input: String,
    pub problem: &'static str,
}

/// Which way [`round_div`] goes when the exact result falls between two pence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// To the nearest penny; exactly half a penny goes away from zero (the usual
    /// commercial rule, and HM Revenue & Customs' for most purposes).
    HalfAwayFromZero,
    /// Towards zero (truncate): used where a regulation says "ignore part-pence".
    TowardZero,
    /// Away from zero: never understate an amount.
    AwayFromZero,
}

/// The body of [`round_div`] at one integer width.
macro_rules! round_div_as {
    ($int:ty, $numerator:expr, $denominator:expr, $rounding:expr, $operation:expr) => {{
        let (numerator, denominator, operation): ($int, $int, &'static str) =
            ($numerator, $denominator, $operation);
        if denominator == 0 {
            return Err(MoneyError::DivisionByZero { operation });
        }
        let overflow = MoneyError::Overflow { operation };
        let quotient = numerator.checked_div(denominator).ok_or(overflow.clone())?;
        let remainder = numerator.checked_rem(denominator).ok_or(overflow.clone())?;
        let negative = (numerator < 0) != (denominator < 0);
        let step: $int = if negative { -1 } else { 1 };
        let adjusted = if remainder == 0 {
            quotient
        } else {
            match $rounding {
                Rounding::TowardZero => quotient,
                Rounding::AwayFromZero => quotient.checked_add(step).ok_or(overflow.clone())?,
                Rounding::HalfAwayFromZero => {
                    let twice_remainder =
                        remainder.unsigned_abs().checked_mul(2).ok_or(overflow.clone())?;
                    if twice_remainder >= denominator.unsigned_abs() {
                        quotient.checked_add(step).ok_or(overflow.clone())?
                    } else {
                        quotient
                    }
                }
            }
        };
        i64::try_from(adjusted).map_err(|_| overflow)
    }};
}

/// Divide `numerator` by `denominator` and round to a whole number by `rounding`.
/// This is the one place in onebudget where money is rounded.
#[inline]
pub fn round_div(
    numerator: i128,
    denominator: i128,
    rounding: Rounding,
    operation: &'static str,
) -> Result<i64, MoneyError> {
    // Most divisions fit in 64 bits, where the hardware divides several times faster.
    if let (Ok(n), Ok(d)) = (i64::try_from(numerator), i64::try_from(denominator)) {
        return round_div_as!(i64, n, d, rounding, operation);
    }
    round_div_as!(i128, numerator, denominator, rounding, operation)
}

impl Money {
    pub const ZERO: Money = Money(0);
    /// The largest amount onebudget can hold.
    pub const MAX: Money = Money(i64::MAX);

    pub const fn from_pence(pence: i64) -> Money {
        Money(pence)
    }

    /// Whole pounds, checked.
    pub fn from_pounds(pounds: i64) -> Result<Money, MoneyError> {
        pounds
            .checked_mul(100)
            .map(Money)
            .ok_or(MoneyError::Overflow { operation: "pounds to pence" })
    }

    pub const fn pence(self) -> i64 {
        self.0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_add(other.0).map(Money).ok_or(MoneyError::Overflow { operation: "a sum" })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Money)
            .ok_or(MoneyError::Overflow { operation: "a difference" })
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.0.checked_neg().map(Money).ok_or(MoneyError::Overflow { operation: "a negation" })
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        self.0.checked_mul(factor).map(Money).ok_or(MoneyError::Overflow { operation: "a product" })
    }

    /// Sum amounts, failing on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money, MoneyError> {
        amounts.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// `self × numerator ÷ denominator`, rounded once by `rounding`.
    pub fn mul_div(
        self,
        numerator: i64,
        denominator: i64,
        rounding: Rounding,
        operation: &'static str,
    ) -> Result<Money, MoneyError> {
        let product = i128::from(self.0)
            .checked_mul(i128::from(numerator))
            .ok_or(MoneyError::Overflow { operation })?;
        round_div(product, i128::from(denominator), rounding, operation).map(Money)
    }

    /// The annual amount of a weekly amount: 52 weeks (exact, no rounding).
    pub fn weekly_to_annual(self) -> Result<Money, MoneyError> {
        self.checked_mul(WEEKS_PER_YEAR)
    }

    /// The weekly amount of an annual amount: ÷ 52, to the nearest penny.
    pub fn annual_to_weekly(self) -> Result<Money, MoneyError> {
        self.mul_div(1, WEEKS_PER_YEAR, Rounding::HalfAwayFromZero, "an annual amount per week")
    }

    /// The monthly amount of an annual amount: ÷ 12, to the nearest penny.
    pub fn annual_to_monthly(self) -> Result<Money, MoneyError> {
        self.mul_div(1, MONTHS_PER_YEAR, Rounding::HalfAwayFromZero, "an annual amount per month")
    }

    /// The monthly amount of a weekly amount: × 52 ÷ 12, to the nearest penny.
    pub fn weekly_to_monthly(self) -> Result<Money, MoneyError> {
        self.mul_div(
            WEEKS_PER_YEAR,
            MONTHS_PER_YEAR,
            Rounding::HalfAwayFromZero,
            "a weekly amount per month",
        )
    }

    /// Pounds and pence without a symbol or separators: `1234.56`, `-0.05`. This is the
    /// form used in JSON, CSV and plain-text-accounting journals.
    pub fn to_plain_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }

    /// Parse `1234.56`, `1234`, `1234.5`, `£1,234.56`, `-£5.00` or `-5`. Commas must group
    /// thousands; more than two decimal places is refused rather than rounded.
    pub fn parse(input: &str) -> Result<Money, MoneyParseError> {
        let fail = |problem: &'static str| MoneyParseError { input: input.to_owned(), problem };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail("the amount is empty"));
        }
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let text = text.strip_prefix('£').unwrap_or(text);
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        if whole.is_empty() {
            return Err(fail("the amount has no pounds before the decimal point"));
        }
        let mut pounds: i64 = 0;
        let groups: Vec<&str> = whole.split(',').collect();
        let grouped = groups.len() > 1;
        for (position, group) in groups.iter().enumerate() {
            let valid_length = if !grouped {
                !group.is_empty()
            } else if position == 0 {
                (1..=3).contains(&group.len())
            } else {
                group.len() == 3
            };
            if !valid_length {
                return Err(fail("commas must separate thousands, as in 1,234,567.89"));
            }
            for digit in group.chars() {
                let value = digit.to_digit(10).ok_or_else(|| fail("the amount is not a number"))?;
                pounds = pounds
                    .checked_mul(10)
                    .and_then(|p| p.checked_add(i64::from(value)))
                    .ok_or_else(|| fail("the amount is too large"))?;
            }
        }
        let pence_part: i64 = match fraction {
            None => 0,
            Some("") => return Err(fail("the amount ends with a decimal point")),
            Some(digits) if digits.chars().count() > 2 => {
                if digits.chars().all(|c| c.is_ascii_digit()) {
                    return Err(fail("the amount has more than two decimal places"));
                }
                return Err(fail("the amount is not a number"));
            }
            Some(digits) => {
                let mut value: i64 = 0;
                for digit in digits.chars() {
                    let d = digit.to_digit(10).ok_or_else(|| fail("the amount is not a number"))?;
                    value = value * 10 + i64::from(d);
                }
                if digits.len() == 1 { value * 10 } else { value }
            }
        };
        let pence = pounds
            .checked_mul(100)
            .and_then(|p| p.checked_add(pence_part))
            .ok_or_else(|| fail("the amount is too large"))?;
        Ok(Money(if negative { -pence } else { pence }))
    }
}

impl fmt::Display for Money {
    /// `£1,234.56`, `-£0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.unsigned_abs();
        let pounds = (magnitude / 100).to_string();
        let mut grouped = String::with_capacity(pounds.len() + pounds.len() / 3);
        for (index, digit) in pounds.chars().enumerate() {
            if index > 0 && (pounds.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}£{grouped}.{:02}", magnitude % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_plain_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount in pounds as a string, like \"1234.56\"")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Money, E> {
                Money::parse(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// A proportion held exactly as millionths: `0.35` is 350,000 millionths. Used for the
/// buffers, percentages and tapers in charging rules. Parsed from a decimal string of at
/// most six decimal places, never from a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ratio(i64);

/// Text that is not a proportion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{problem} (got {}); write a proportion as a decimal like 0.35 or 1",
    crate::field::quoted(input)
)]
pub struct RatioParseError {
    pub input: String,
    pub problem: &'static str,
}

impl Ratio {
    /// Millionths in one whole.
    pub const SCALE: i64 = 1_000_000;
    pub const ZERO: Ratio = Ratio(0);
    pub const ONE: Ratio = Ratio(Ratio::SCALE);

    pub const fn from_millionths(millionths: i64) -> Ratio {
        Ratio(millionths)
    }

    pub const fn millionths(self) -> i64 {
        self.0
    }

    /// Parse `0.35`, `1`, `1.165`: digits, an optional point and up to six decimals.
    pub fn parse(input: &str) -> Result<Ratio, RatioParseError> {
        let fail = |problem| RatioParseError { input: input.to_owned(), problem };
        let (whole, fraction) = input.split_once('.').unwrap_or((input, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("a proportion starts with digits"));
        }
        if input.contains('.') && fraction.is_empty() {
            return Err(fail("digits must follow the decimal point"));
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("a proportion is digits and at most one decimal point"));
        }
        if fraction.len() > 6 {
            return Err(fail("a proportion has at most six decimal places"));
        }
        let whole: i64 = whole.parse().map_err(|_| fail("the proportion is too large"))?;
        let mut millionths: i64 = 0;
        for (place, digit) in fraction.bytes().enumerate() {
            let scale = 10_i64.pow(5 - u32::try_from(place).unwrap_or(5));
            millionths += i64::from(digit - b'0') * scale;
        }
        whole
            .checked_mul(Ratio::SCALE)
            .and_then(|w| w.checked_add(millionths))
            .map(Ratio)
            .ok_or_else(|| fail("the proportion is too large"))
    }

    /// `amount × self`, rounded once by `rounding`.
    pub fn of(self, amount: Money, rounding: Rounding) -> Result<Money, MoneyError> {
        amount.mul_div(self.0, Ratio::SCALE, rounding, "a proportion of an amount")
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / Ratio::SCALE;
        let fraction = (self.0 % Ratio::SCALE).unsigned_abs();
        if fraction == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{fraction:06}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Ratio {
    /// The ratio as a percentage for people to read: `0.9` is "90%", `0.125` "12.5%".
    pub fn percent(self) -> String {
        // One per cent is 10,000 millionths.
        let whole = self.0 / 10_000;
        let fraction = (self.0 % 10_000).unsigned_abs();
        if fraction == 0 {
            return format!("{whole}%");
        }
        let digits = format!("{fraction:04}");
        format!("{whole}.{}%", digits.trim_end_matches('0'))
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ratio, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ratio::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ratios_read_as_percentages() {
        assert_eq!(Ratio::from_millionths(900_000).percent(), "90%");
        assert_eq!(Ratio::from_millionths(125_000).percent(), "12.5%");
        assert_eq!(Ratio::from_millionths(1_000_000).percent(), "100%");
        assert_eq!(Ratio::from_millionths(1).percent(), "0.0001%");
        assert_eq!(Ratio::from_millionths(0).percent(), "0%");
    }

    #[test]
    fn parses_the_forms_people_write() {
        assert_eq!(Money::parse("1234.56"), Ok(Money(123_456)));
        assert_eq!(Money::parse("£1,234.56"), Ok(Money(123_456)));
        assert_eq!(Money::parse("  12 "), Ok(Money(1_200)));
        assert_eq!(Money::parse("12.5"), Ok(Money(1_250)));
        assert_eq!(Money::parse("-£5.01"), Ok(Money(-501)));
        assert_eq!(Money::parse("0.07"), Ok(Money(7)));
        assert_eq!(Money::parse("1,000,000"), Ok(Money(100_000_000)));
    }

    #[test]
    fn refuses_what_is_not_pounds_and_pence() {
        let problem = |s: &str| Money::parse(s).map_err(|e| e.problem);
        assert_eq!(problem("12.345"), Err("the amount has more than two decimal places"));
        assert_eq!(problem("twelve"), Err("the amount is not a number"));
        assert_eq!(problem(""), Err("the amount is empty"));
        assert_eq!(problem("12,34"), Err("commas must separate thousands, as in 1,234,567.89"));
        assert_eq!(problem("1,2345"), Err("commas must separate thousands, as in 1,234,567.89"));
        assert_eq!(problem(".50"), Err("the amount has no pounds before the decimal point"));
        assert_eq!(problem("12."), Err("the amount ends with a decimal point"));
        assert_eq!(problem("1e5"), Err("the amount is not a number"));
        assert_eq!(problem("92233720368547758.08"), Err("the amount is too large"));
        let message = Money::parse("12.345").map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("the amount has more than two decimal places (got \"12.345\"); write pounds and pence like 1234.56 or £1,234.56".to_owned())
        );
    }

    #[test]
    fn displays_with_pound_sign_and_thousands() {
        assert_eq!(Money(123_456).to_string(), "£1,234.56");
        assert_eq!(Money(-5).to_string(), "-£0.05");
        assert_eq!(Money(100_000_000).to_string(), "£1,000,000.00");
        assert_eq!(Money(99_999).to_string(), "£999.99");
        assert_eq!(Money(i64::MIN).to_string(), "-£92,233,720,368,547,758.08");
    }

    #[test]
    fn serde_uses_a_string_of_pounds() {
        assert_eq!(serde_json::to_string(&Money(123_456)).ok(), Some("\"1234.56\"".to_owned()));
        let parsed: Money = serde_json::from_str("\"£1,234.56\"").unwrap();
        assert_eq!(parsed, Money(123_456));
        let number: Result<Money, _> = serde_json::from_str("1234.56");
        assert!(number.unwrap_err().to_string().contains("as a string"));
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert!(Money::MAX.checked_add(Money(1)).is_err());
        assert!(Money(i64::MIN).checked_neg().is_err());
        assert_eq!(Money(5).checked_sub(Money(7)), Ok(Money(-2)));
    }

    #[test]
    fn period_conversions_follow_the_stated_rule() {
        assert_eq!(Money(10_000).weekly_to_annual(), Ok(Money(520_000)));
        // £100 a year is 192.307… pence a week: rounds to 192.
        assert_eq!(Money(10_000).annual_to_weekly(), Ok(Money(192)));
        // £1 a year is 8.333… pence a month.
        assert_eq!(Money(100).annual_to_monthly(), Ok(Money(8)));
        // £0.06 a year is exactly half a penny a month: half goes away from zero.
        assert_eq!(Money(6).annual_to_monthly(), Ok(Money(1)));
        assert_eq!(Money(-6).annual_to_monthly(), Ok(Money(-1)));
        // £300 a week is £15,600 a year, £1,300 a month.
        assert_eq!(Money(30_000).weekly_to_monthly(), Ok(Money(130_000)));
    }

    #[test]
    fn round_div_follows_each_rule() {
        let r = |n, d, rule| round_div(n, d, rule, "test").unwrap();
        assert_eq!(r(7, 2, Rounding::HalfAwayFromZero), 4);
        assert_eq!(r(-7, 2, Rounding::HalfAwayFromZero), -4);
        assert_eq!(r(7, 3, Rounding::HalfAwayFromZero), 2);
        assert_eq!(r(7, 3, Rounding::TowardZero), 2);
        assert_eq!(r(7, 3, Rounding::AwayFromZero), 3);
        assert_eq!(r(-7, 3, Rounding::AwayFromZero), -3);
        assert!(round_div(1, 0, Rounding::TowardZero, "test").is_err());
    }

    proptest! {
        #[test]
        fn display_and_plain_text_parse_back(pence in any::<i64>().prop_filter("negation fits", |p| *p != i64::MIN)) {
            let money = Money(pence);
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
            prop_assert_eq!(Money::parse(&money.to_plain_string()), Ok(money));
        }

        #[test]
        fn half_away_from_zero_is_within_half_a_penny(n in -1_000_000_000i128..1_000_000_000, d in 1i128..10_000) {
            let q = i128::from(round_div(n, d, Rounding::HalfAwayFromZero, "test").unwrap());
            prop_assert!((q * d - n).abs() * 2 <= d);
        }
    }
}
