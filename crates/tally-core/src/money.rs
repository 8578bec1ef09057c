//! Money: exact decimals in code, integer minor units in storage.
//!
//! The organization has one currency (default VND, no minor unit). Amounts are
//! `rust_decimal::Decimal`; rollups keep integer minor units so sums stay exact.

use rust_decimal::Decimal;

/// The organization's currency: an ISO code and the number of decimal places it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency {
    pub code: String,
    pub exponent: u32,
}

impl Default for Currency {
    fn default() -> Self {
        Currency {
            code: "VND".into(),
            exponent: 0,
        }
    }
}

/// The largest amount accepted, in minor units (a quadrillion dong): far above any
/// deal, and far enough below `i64::MAX` that sums of amounts cannot overflow.
pub const MAX_MINOR_UNITS: i64 = 1_000_000_000_000_000;

/// Why an amount cannot be kept exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must not be negative")]
    Negative,
    #[error("{code} allows at most {exponent} decimal places")]
    TooPrecise { code: String, exponent: u32 },
    #[error("is too large (at most {MAX_MINOR_UNITS} in minor units)")]
    TooLarge,
}

impl Currency {
    /// A currency from its code; exponents follow ISO 4217 for the common ones.
    pub fn from_code(code: &str) -> Currency {
        let exponent = match code {
            "VND" | "JPY" | "KRW" | "IDR" | "CLP" | "ISK" => 0,
            "BHD" | "KWD" | "OMR" | "TND" | "JOD" => 3,
            _ => 2,
        };
        Currency {
            code: code.to_owned(),
            exponent,
        }
    }

    /// The amount in minor units, refusing negatives and sub-minor fractions.
    pub fn to_minor(&self, amount: Decimal) -> Result<i64, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        let scaled = amount
            .checked_mul(Decimal::from(10_i64.pow(self.exponent)))
            .ok_or(MoneyError::TooLarge)?;
        if !scaled.fract().is_zero() {
            return Err(MoneyError::TooPrecise {
                code: self.code.clone(),
                exponent: self.exponent,
            });
        }
        i64::try_from(scaled.trunc())
            .ok()
            .filter(|minor| *minor <= MAX_MINOR_UNITS)
            .ok_or(MoneyError::TooLarge)
    }

    /// The decimal amount of a number of minor units (a stored amount, or a total of
    /// them: a decimal holds 96 bits, more than any total of stored days reaches).
    pub fn from_minor(&self, minor: impl Into<i128>) -> Decimal {
        Decimal::try_from_i128_with_scale(minor.into(), self.exponent)
            .unwrap_or(Decimal::MAX)
            .normalize()
    }

    /// The decimal amount of a fractional number of minor units (an average of
    /// stored amounts, say), unrounded.
    pub fn from_minor_decimal(&self, minor: Decimal) -> Decimal {
        minor / Decimal::from(10_i64.pow(self.exponent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn vnd_amounts_are_whole_dong() {
        let vnd = Currency::default();
        assert_eq!(vnd.to_minor(dec("150000000")), Ok(150_000_000));
        assert_eq!(vnd.to_minor(dec("150000000.00")), Ok(150_000_000));
        assert!(matches!(
            vnd.to_minor(dec("1.5")),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert_eq!(vnd.from_minor(150_000_000).to_string(), "150000000");
    }

    #[test]
    fn cents_round_trip_exactly() {
        let usd = Currency::from_code("USD");
        assert_eq!(usd.to_minor(dec("0.10")), Ok(10));
        assert_eq!(usd.to_minor(dec("19.99")), Ok(1999));
        assert_eq!(usd.from_minor(1999).to_string(), "19.99");
        assert_eq!(usd.from_minor(1000).to_string(), "10");
    }

    #[test]
    fn negative_and_huge_amounts_are_refused() {
        let vnd = Currency::default();
        assert_eq!(vnd.to_minor(dec("-1")), Err(MoneyError::Negative));
        assert_eq!(
            vnd.to_minor(dec("100000000000000000000")),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(vnd.to_minor(dec("1000000000000000")), Ok(MAX_MINOR_UNITS));
        assert_eq!(
            vnd.to_minor(dec("1000000000000001")),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(vnd.to_minor(dec("-0")), Ok(0));
    }
}
