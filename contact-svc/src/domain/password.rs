//! Passwords and the policy they must meet. The reference's default
//! (ContactCreateV2 `Password`) is at least 6 characters with letters and
//! digits; a partner's settings may make it stricter for its descendants
//! (longer, a symbol, mixed case), never looser.
//!
//! The reference sets no longest password, so none is set here: the
//! gateway's body limit bounds what can arrive, and Argon2 reads the
//! password once (into its initial Blake2b hash), so a long one costs
//! hardly more to hash than a short one.

/// The shortest password any policy allows, and the default.
pub const MIN_LENGTH: usize = 6;
/// The highest minimum a policy may ask: what a partner's settings allow
/// (account-svc checks 6..=128).
pub const MAX_MIN_LENGTH: usize = 128;

/// A customer's password rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    min_length: usize,
    require_symbols: bool,
    require_mixed_case: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_length: MIN_LENGTH,
            require_symbols: false,
            require_mixed_case: false,
        }
    }
}

impl Policy {
    /// A policy as the caller's settings state it. It can only tighten the
    /// default: a minimum below 6 means 6. No setting asks more than 128, so
    /// a larger minimum is a caller's slip and is held at 128.
    pub fn new(min_length: i32, require_symbols: bool, require_mixed_case: bool) -> Self {
        // Negative is "below 6" too.
        let wanted = usize::try_from(min_length).unwrap_or(0);
        Self {
            min_length: wanted.clamp(MIN_LENGTH, MAX_MIN_LENGTH),
            require_symbols,
            require_mixed_case,
        }
    }

    pub fn min_length(&self) -> usize {
        self.min_length
    }
}

/// A password that met a [`Policy`] when parsed. Never logged: Debug prints
/// a placeholder, and there is no Display.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Neither a letter, a digit nor a space: `!`, `€`, `_` all count.
fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

impl Password {
    /// Under the default policy.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_with(s, &Policy::default())
    }

    /// Under `policy`. Every rule the password misses is named, so that a
    /// user fixes them in one go rather than one per attempt.
    pub fn parse_with(s: &str, policy: &Policy) -> Result<Self, String> {
        if s.is_empty() {
            return Err("is required".into());
        }
        let mut missing = Vec::new();
        let n = s.chars().count();
        if n < policy.min_length {
            missing.push(format!("must be at least {} characters", policy.min_length));
        }
        if !s.chars().any(char::is_alphabetic) || !s.chars().any(|c| c.is_ascii_digit()) {
            missing.push("must contain letters and digits".into());
        }
        if policy.require_symbols && !s.chars().any(is_symbol) {
            missing.push("must contain a symbol".into());
        }
        if policy.require_mixed_case
            && !(s.chars().any(char::is_uppercase) && s.chars().any(char::is_lowercase))
        {
            missing.push("must contain upper-case and lower-case letters".into());
        }
        if missing.is_empty() {
            Ok(Self(s.to_owned()))
        } else {
            Err(missing.join("; "))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(min_length: i32, symbols: bool, mixed_case: bool) -> Policy {
        Policy::new(min_length, symbols, mixed_case)
    }

    #[test]
    fn password_is_required() {
        assert_eq!(Password::parse("").expect_err("empty"), "is required");
    }

    #[test]
    fn default_password_needs_six_characters() {
        assert!(Password::parse("abc123").is_ok());
        assert_eq!(
            Password::parse("ab12").expect_err("short"),
            "must be at least 6 characters"
        );
    }

    #[test]
    fn password_needs_letters_and_digits() {
        for bad in ["abcdefgh", "12345678", "!!!!!!!!"] {
            assert_eq!(
                Password::parse(bad).expect_err(bad),
                "must contain letters and digits"
            );
        }
    }

    #[test]
    fn password_has_no_longest_length() {
        let long = format!("a1{}", "b".repeat(1_000));
        assert!(Password::parse(&long).is_ok());
    }

    #[test]
    fn every_missing_rule_is_named() {
        assert_eq!(
            Password::parse_with("abc", &strict(8, true, false)).expect_err("weak"),
            "must be at least 8 characters; must contain letters and digits; must contain a symbol"
        );
    }

    #[test]
    fn policy_raises_the_minimum_length() {
        let policy = strict(10, false, false);
        assert_eq!(
            Password::parse_with("abc12345", &policy).expect_err("short"),
            "must be at least 10 characters"
        );
        assert!(Password::parse_with("abc1234567", &policy).is_ok());
    }

    #[test]
    fn policy_minimum_below_six_means_six() {
        assert_eq!(strict(0, false, false), Policy::default());
        assert_eq!(strict(-3, false, false).min_length(), 6);
        assert!(Password::parse_with("ab12", &strict(4, false, false)).is_err());
    }

    #[test]
    fn policy_minimum_above_what_settings_allow_is_held_at_128() {
        assert_eq!(strict(500, false, false).min_length(), 128);
    }

    #[test]
    fn policy_may_require_a_symbol() {
        let policy = strict(6, true, false);
        assert_eq!(
            Password::parse_with("abc123", &policy).expect_err("no symbol"),
            "must contain a symbol"
        );
        assert!(Password::parse_with("abc12!", &policy).is_ok());
        assert!(Password::parse_with("abc12_", &policy).is_ok());
    }

    #[test]
    fn a_space_is_not_a_symbol() {
        assert!(Password::parse_with("abc 123", &strict(6, true, false)).is_err());
    }

    #[test]
    fn policy_may_require_mixed_case() {
        let policy = strict(6, false, true);
        assert_eq!(
            Password::parse_with("abc123", &policy).expect_err("one case"),
            "must contain upper-case and lower-case letters"
        );
        assert!(Password::parse_with("ABC123", &policy).is_err());
        assert!(Password::parse_with("aBc123", &policy).is_ok());
    }

    #[test]
    fn password_never_shows_in_debug() {
        let p = Password::parse("secret123").expect("ok");
        assert!(!format!("{p:?}").contains("secret"));
    }
}
