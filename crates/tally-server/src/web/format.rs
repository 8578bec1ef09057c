//! Numbers, money, durations and dates as people read them: `1.234.567 ₫` and
//! `27/11/2026` in Vietnamese, `1,234,567 ₫` and `2026-11-27` in English, talk time as
//! `h:mm:ss` in both.

use crate::export::Lang;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use tally_core::metric::Unit;
use tally_core::quantity::round;
use tally_core::{Currency, Day};

/// The thousands and decimal separators of a language.
fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    }
}

/// A decimal with grouped thousands, to at most `places` decimals (trailing zeros
/// dropped), written from the decimal's integer digits: a page of 3,000 rows writes
/// five of these a row.
pub fn number(value: Decimal, places: u32, lang: Lang) -> String {
    let (thousands, decimal) = separators(lang);
    let value = round(value, places).normalize();
    let digits = value.mantissa().unsigned_abs().to_string();
    let digits = digits.as_bytes();
    let scale = value.scale() as usize;
    let whole = digits.len().saturating_sub(scale);
    let mut text = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    if value.is_sign_negative() && !value.is_zero() {
        text.push('-');
    }
    if whole == 0 {
        text.push('0');
    }
    for (i, digit) in digits[..whole].iter().enumerate() {
        if i > 0 && (whole - i).is_multiple_of(3) {
            text.push(thousands);
        }
        text.push(char::from(*digit));
    }
    if scale > 0 {
        text.push(decimal);
        (digits.len()..scale).for_each(|_| text.push('0'));
        digits[whole..]
            .iter()
            .for_each(|d| text.push(char::from(*d)));
    }
    text
}

/// An amount of money with the currency's sign after it: `1.234.567 ₫`.
pub fn money(value: Decimal, currency: &Currency, lang: Lang) -> String {
    let symbol = match currency.code.as_str() {
        "VND" => "₫",
        "USD" => "$",
        "EUR" => "€",
        other => other,
    };
    format!("{} {symbol}", number(value, currency.exponent, lang))
}

/// Seconds as `h:mm:ss` (hours are not wrapped at a day).
pub fn duration(seconds: Decimal) -> String {
    let total = round(seconds, 0);
    let sign = if total.is_sign_negative() && !total.is_zero() {
        "-"
    } else {
        ""
    };
    let total = total.abs().to_u64().unwrap_or(u64::MAX);
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    format!("{sign}{h}:{m:02}:{s:02}")
}

/// A value in its metric's unit.
pub fn quantity(value: Decimal, unit: Unit, currency: &Currency, lang: Lang) -> String {
    match unit {
        Unit::Count => number(value, 2, lang),
        Unit::Seconds => duration(value),
        Unit::Money => money(value, currency, lang),
    }
}

/// A fraction as a percentage to one decimal: `87,5 %` / `87.5%`.
pub fn percent(fraction: Decimal, lang: Lang) -> String {
    let value = number(fraction * Decimal::ONE_HUNDRED, 1, lang);
    match lang {
        Lang::Vi => format!("{value} %"),
        Lang::En => format!("{value}%"),
    }
}

/// A local day: `27/11/2026` / `2026-11-27`.
pub fn date(day: Day, lang: Lang) -> String {
    let d = day.date();
    match lang {
        Lang::Vi => format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
        Lang::En => d.to_string(),
    }
}

/// A calendar month: `11/2026` on the Vietnamese pages, `2026-11` in English.
pub fn month(day: Day, lang: Lang) -> String {
    let d = day.date();
    match lang {
        Lang::Vi => format!("{:02}/{}", d.month(), d.year()),
        Lang::En => format!("{}-{:02}", d.year(), d.month()),
    }
}

/// A day as typed on a page, `dd/mm/yyyy` (or `d/m/yyyy`) on the Vietnamese pages, as
/// the `yyyy-mm-dd` the services read; anything else (a day that does not exist
/// included) is left as typed, for them to refuse with the field's name.
pub fn typed_day(typed: &str) -> String {
    let typed = typed.trim();
    let parts: Vec<&str> = typed.split('/').collect();
    let numeric = |p: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    let iso = match parts.as_slice() {
        [d, m, y] if numeric(d, 1..=2) && numeric(m, 1..=2) && numeric(y, 4..=4) => {
            format!("{y}-{m:0>2}-{d:0>2}")
        }
        _ => return typed.to_owned(),
    };
    // A day that does not exist (31/02) stays as typed, so its error shows what was typed.
    match iso.parse::<Day>() {
        Ok(_) => iso,
        Err(_) => typed.to_owned(),
    }
}

/// Whether digits are grouped by threes with this separator: `1.500.000`.
pub fn grouped_by_threes(text: &str, separator: char) -> bool {
    let groups: Vec<&str> = text.split(separator).collect();
    let digits = |g: &&str| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit());
    groups.len() > 1
        && groups.iter().all(digits)
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3)
}

/// An amount of money as typed in a CRM form, `15.000.000` or `15,000,000 ₫` (VND has
/// no decimals, so either separator grouping by threes is read as thousands), as the
/// decimal the services read; anything else is left as typed, for them to refuse.
pub fn typed_amount(typed: &str) -> String {
    let text = typed.replace([' ', '\u{a0}', '₫'], "");
    match ['.', ',']
        .into_iter()
        .find(|s| grouped_by_threes(&text, *s))
    {
        Some(separator) => text.replace(separator, ""),
        None => text,
    }
}

/// A day as a date field shows it: `dd/mm/yyyy` on the Vietnamese pages (`lang` "vi"),
/// the `yyyy-mm-dd` of the browser's date picker in English; text that is not a day
/// stays as typed, to be corrected.
pub fn day_field(iso: &str, lang: &str) -> String {
    match (lang, iso.parse::<Day>()) {
        ("vi", Ok(day)) => date(day, Lang::Vi),
        _ => iso.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn money_is_grouped_in_the_locale() {
        let vnd = Currency::default();
        assert_eq!(money(dec("1234567"), &vnd, Lang::Vi), "1.234.567 ₫");
        assert_eq!(money(dec("1234567"), &vnd, Lang::En), "1,234,567 ₫");
        assert_eq!(money(dec("-500"), &vnd, Lang::Vi), "-500 ₫");
        let usd = Currency::from_code("USD");
        assert_eq!(money(dec("1234.5"), &usd, Lang::Vi), "1.234,5 $");
        assert_eq!(number(dec("999"), 0, Lang::Vi), "999");
        assert_eq!(number(dec("1000"), 0, Lang::Vi), "1.000");
    }

    #[test]
    fn numbers_keep_their_decimals_and_sign() {
        assert_eq!(number(dec("1234567.125"), 2, Lang::Vi), "1.234.567,13");
        assert_eq!(number(dec("1234567.125"), 2, Lang::En), "1,234,567.13");
        assert_eq!(number(dec("0.05"), 2, Lang::En), "0.05");
        assert_eq!(number(dec("-0.5"), 1, Lang::Vi), "-0,5");
        assert_eq!(number(dec("-0.004"), 2, Lang::En), "0");
        assert_eq!(number(dec("12.50"), 2, Lang::En), "12.5");
        assert_eq!(number(dec("100.0"), 1, Lang::En), "100");
        assert_eq!(number(dec("-1234"), 0, Lang::En), "-1,234");
    }

    #[test]
    fn talk_time_is_hours_minutes_seconds() {
        assert_eq!(duration(dec("0")), "0:00:00");
        assert_eq!(duration(dec("59")), "0:00:59");
        assert_eq!(duration(dec("3725")), "1:02:05");
        assert_eq!(duration(dec("90000")), "25:00:00");
        assert_eq!(duration(dec("-61")), "-0:01:01");
    }

    #[test]
    fn percentages_and_dates_follow_the_language() {
        assert_eq!(percent(dec("0.875"), Lang::Vi), "87,5 %");
        assert_eq!(percent(dec("1.2"), Lang::En), "120%");
        let day: Day = "2026-11-05".parse().expect("day");
        assert_eq!(date(day, Lang::Vi), "05/11/2026");
        assert_eq!(date(day, Lang::En), "2026-11-05");
    }

    #[test]
    fn amounts_are_read_with_either_grouping() {
        assert_eq!(typed_amount("15.000.000"), "15000000");
        assert_eq!(typed_amount("15,000,000 ₫"), "15000000");
        assert_eq!(typed_amount("2500000"), "2500000");
        assert_eq!(typed_amount("12.5"), "12.5");
        assert_eq!(typed_amount("abc"), "abc");
    }

    #[test]
    fn typed_days_are_read_day_first() {
        assert_eq!(typed_day("05/11/2026"), "2026-11-05");
        assert_eq!(typed_day(" 5/1/2026 "), "2026-01-05");
        assert_eq!(typed_day("2026-11-05"), "2026-11-05");
        assert_eq!(typed_day("31/02/2026"), "31/02/2026");
        assert_eq!(typed_day("11/5/26"), "11/5/26");
        assert_eq!(day_field("2026-11-05", "vi"), "05/11/2026");
        assert_eq!(day_field("2026-11-05", "en"), "2026-11-05");
        assert_eq!(day_field("5/11", "vi"), "5/11");
    }
}
