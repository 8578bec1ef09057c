//! Phone numbers: Vietnamese numbers normalised to one national form, so that a call
//! from `+84 90 123 4567` finds the customer saved as `090.123.4567`.

/// The national form of a phone number: digits only, with `+84`, `0084` and `84`
/// prefixes turned into the leading `0`; other international numbers keep their `+`.
/// Spaces, dots, dashes and parentheses are ignored. `None` when it is not a number.
pub fn normalize(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let international = trimmed.starts_with('+');
    let mut digits = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '.' | '-' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    if digits.is_empty() {
        return None;
    }
    let national = |rest: &str| format!("0{rest}");
    Some(if international {
        match digits.strip_prefix("84") {
            Some(rest) => national(rest),
            None => format!("+{digits}"),
        }
    } else if let Some(rest) = digits.strip_prefix("0084") {
        national(rest)
    } else if digits.starts_with("84") && (11..=12).contains(&digits.len()) {
        national(&digits[2..])
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if digits.len() == 9 && !digits.starts_with('0') {
        // A national number whose trunk dropped the leading 0.
        national(&digits)
    } else {
        digits
    })
}

/// Whether a number looks like an internal extension (1 to 6 digits).
pub fn is_extension_like(number: &str) -> bool {
    (1..=6).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_prefixes_and_separators_normalise_to_one_form() {
        for raw in [
            "0901234567",
            "+84901234567",
            "+84 90 123 4567",
            "84901234567",
            "0084901234567",
            "090.123.4567",
            "090-123-4567",
            " (090) 123 4567 ",
        ] {
            assert_eq!(normalize(raw).as_deref(), Some("0901234567"), "{raw}");
        }
        assert_eq!(
            normalize("+84 24 3826 1234").as_deref(),
            Some("02438261234")
        );
        assert_eq!(normalize("842438261234").as_deref(), Some("02438261234"));
        assert_eq!(
            normalize("+1 415 555 0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(
            normalize("001 415 555 0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(normalize("201").as_deref(), Some("201"));
        assert_eq!(
            normalize("8412").as_deref(),
            Some("8412"),
            "a short number is not +84"
        );
        assert_eq!(normalize("anonymous"), None);
        assert_eq!(normalize(""), None);
        assert_eq!(normalize("09x1"), None);
    }

    #[test]
    fn extensions_are_short_digit_strings() {
        assert!(is_extension_like("201"));
        assert!(is_extension_like("100001"));
        assert!(!is_extension_like("0901234567"));
        assert!(!is_extension_like("20a"));
        assert!(!is_extension_like(""));
    }
}
