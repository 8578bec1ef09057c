//! How the API writes a metric's quantity and a plain decimal: money as a decimal
//! string in the currency's minor places ("1250000.5"), counts and seconds as JSON
//! numbers, integers when whole (`60`, `1774.02`).
//!
//! [`Quantity`] and [`Number`] serialise straight into the answer's bytes, with no
//! intermediate JSON value or string, and display as the same text in an export's
//! cell. A view of 3,000 rows writes 12 of them a row.

use crate::metric::Unit;
use crate::money::Currency;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::fmt;

/// Rounds half away from zero (5.025 → 5.03), as people round by hand.
pub fn round(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// A metric's quantity as the API writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Money, rounded to the currency's minor places: a decimal string.
    Money(Decimal),
    /// A count or seconds, rounded to 2 places: a number.
    Number(Number),
}

impl Quantity {
    /// `value` in `unit`, rounded as it is written.
    pub fn of(unit: Unit, value: Decimal, currency: &Currency) -> Quantity {
        match unit {
            Unit::Money => Quantity::Money(round(value, currency.exponent).normalize()),
            Unit::Count | Unit::Seconds => Quantity::Number(Number(round(value, 2))),
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Quantity::Money(value) => serializer.collect_str(value),
            Quantity::Number(number) => number.serialize(serializer),
        }
    }
}

/// The text of an export's cell: the money string, or the number as JSON writes it.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Money(value) => fmt::Display::fmt(value, f),
            Quantity::Number(number) => fmt::Display::fmt(number, f),
        }
    }
}

/// A decimal written as a JSON number: an integer when whole, else the nearest
/// double (which prints back as the same digits for the 2- and 4-place values the API
/// writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Number(pub Decimal);

/// The largest integer a double holds exactly, and the largest exact power of ten.
const EXACT_MANTISSA: u128 = 1 << 53;
const EXACT_POWERS_OF_TEN: u32 = 22;

enum Written {
    Integer(i64),
    Double(f64),
}

impl Number {
    fn written(self) -> Option<Written> {
        use rust_decimal::prelude::ToPrimitive;
        let value = self.0.normalize();
        if value.scale() == 0
            && let Some(whole) = value.to_i64()
        {
            return Some(Written::Integer(whole));
        }
        let mantissa = value.mantissa().unsigned_abs();
        let double = if mantissa < EXACT_MANTISSA && value.scale() <= EXACT_POWERS_OF_TEN {
            // Both exact, so the quotient is the correctly rounded double.
            let magnitude = mantissa as f64 / 10f64.powi(value.scale() as i32);
            if value.is_sign_negative() {
                -magnitude
            } else {
                magnitude
            }
        } else {
            value.to_string().parse::<f64>().ok()?
        };
        double.is_finite().then_some(Written::Double(double))
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.written() {
            Some(Written::Integer(whole)) => serializer.serialize_i64(whole),
            Some(Written::Double(double)) => serializer.serialize_f64(double),
            None => serializer.serialize_none(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.written() {
            Some(Written::Integer(whole)) => write!(f, "{whole}"),
            // As JSON writes it: the shortest digits that read back as the double.
            Some(Written::Double(double)) => write!(f, "{}", serde_json::Value::from(double)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn decimal(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn json(value: impl Serialize) -> String {
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn whole_numbers_are_integers_whatever_their_scale() {
        assert_eq!(json(Number(decimal("60"))), "60");
        assert_eq!(json(Number(decimal("60.00"))), "60");
        assert_eq!(json(Number(decimal("-5400.0"))), "-5400");
        assert_eq!(json(Number(Decimal::ZERO)), "0");
    }

    #[test]
    fn fractions_are_the_nearest_double_written_with_the_same_digits() {
        for text in [
            "1774.02",
            "0.1",
            "372.37",
            "-0.05",
            "1234567890.12",
            "0.0001",
        ] {
            assert_eq!(json(Number(decimal(text))), text);
            assert_eq!(Number(decimal(text)).to_string(), text);
        }
        assert_eq!(json(Number(decimal("2.50"))), "2.5");
    }

    #[test]
    fn a_mantissa_beyond_a_double_reads_as_the_nearest_double() {
        let long = decimal("3.3333333333333333333333333333");
        let written: f64 = json(Number(long)).parse().unwrap();
        assert_eq!(written, 10.0 / 3.0);
    }

    #[test]
    fn quantities_round_as_people_do_and_money_is_a_string() {
        let vnd = Currency::from_code("VND");
        let number = |metric, text| json(Quantity::of(metric, decimal(text), &vnd));
        assert_eq!(number(Unit::Count, "1774.025"), "1774.03");
        assert_eq!(number(Unit::Seconds, "5400.004"), "5400");
        assert_eq!(number(Unit::Money, "197113194.4"), "\"197113194\"");
        assert_eq!(number(Unit::Money, "197113194.5"), "\"197113195\"");
        assert_eq!(
            Quantity::of(Unit::Money, decimal("200000000"), &vnd).to_string(),
            "200000000"
        );
    }
}
