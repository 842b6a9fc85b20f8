//! Contact rules from the reference tables: each type parses or says why not.

mod limit;
mod password;
mod role;
pub use limit::UsersMax;
pub use password::{Password, Policy};
pub use role::{Kind, PERMISSIONS, ROLES, Role, parse_roles, permissions_of};

fn bounded(value: &str, max: usize, required: bool) -> Result<String, String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err("is required".into());
    }
    if v.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(v.to_owned())
}

/// A login: 1..=50 characters, no spaces; unique platform-wide regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = bounded(s, 50, true)?;
        if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces".into());
        }
        Ok(Self(v))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The key uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A contact's name: 1..=50 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(s: &str) -> Result<Self, String> {
        bounded(s, 50, true).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: at most 50 characters, one `@`, a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = bounded(s, 50, true)?;
        let valid = match v.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !v.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err("must be a valid e-mail address".into());
        }
        Ok(Self(v))
    }

    /// An address that may be left out (`alternativeEmail`): empty or blank
    /// is `Ok(None)`; anything else must be a valid address.
    pub fn parse_optional(s: &str) -> Result<Option<Self>, String> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        Self::parse(s).map(Some)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Digits, spaces and `+-().` only, at most `max` characters, or empty.
fn phone_number(s: &str, max: usize) -> Result<String, String> {
    let v = bounded(s, max, false)?;
    if !v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return Err("may hold only digits, spaces and + - ( ) .".into());
    }
    Ok(v)
}

/// A contact's `phone`: at most 100 characters of digits, spaces and
/// `+-().`, or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, String> {
        phone_number(s, 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact's `cellularPhone`: at most 50 characters of digits, spaces and
/// `+-().`, or empty. (The reference's v2 read model allows 255, but create
/// and update take 50, and nothing longer can get in.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellularPhone(String);

impl CellularPhone {
    pub fn parse(s: &str) -> Result<Self, String> {
        phone_number(s, 50).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The cultures the reference lists, canonical (upper-case) spelling.
pub const CULTURES: &[&str] = &[
    "EN-US", "EN-GB", "FR-CA", "DE-DE", "IT-IT", "NL-NL", "JA-JP", "EN-AU",
];

/// A contact's culture, one of [`CULTURES`]. Only case may differ on the way
/// in (`nl-nl`); `nl_NL` or `nl` are refused rather than guessed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Culture(&'static str);

impl Culture {
    /// Empty (or blank) is "not given": `Ok(None)`.
    pub fn parse(s: &str) -> Result<Option<Self>, String> {
        let given = s.trim();
        if given.is_empty() {
            return Ok(None);
        }
        CULTURES
            .iter()
            .find(|c| c.eq_ignore_ascii_case(given))
            .map(|c| Some(Self(c)))
            .ok_or_else(|| format!("must be one of {}", CULTURES.join(", ")))
    }

    /// The canonical (upper-case) name.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_is_at_most_50_characters() {
        assert!(Login::parse(&"a".repeat(50)).is_ok());
        assert!(Login::parse(&"a".repeat(51)).is_err());
    }

    #[test]
    fn logins_compare_without_case() {
        assert_eq!(
            Login::parse("Ann").expect("ok").key(),
            Login::parse("aNN").expect("ok").key()
        );
    }

    #[test]
    fn email_needs_an_at_and_a_dotted_domain() {
        assert!(Email::parse("a@b.co").is_ok());
        assert!(Email::parse("ab.co").is_err());
        assert!(Email::parse("a@bco").is_err());
        assert!(Email::parse("a b@c.co").is_err());
    }

    #[test]
    fn name_is_required_and_at_most_50_characters() {
        assert!(PersonName::parse(&"a".repeat(50)).is_ok());
        assert!(PersonName::parse(&"a".repeat(51)).is_err());
        assert_eq!(PersonName::parse(" ").expect_err("blank"), "is required");
    }

    #[test]
    fn email_is_at_most_50_characters() {
        let at_most = format!("{}@example.com", "a".repeat(38));
        assert!(Email::parse(&at_most).is_ok());
        assert!(Email::parse(&format!("a{at_most}")).is_err());
    }

    #[test]
    fn alternative_email_may_be_left_out() {
        assert_eq!(Email::parse_optional(""), Ok(None));
        assert_eq!(Email::parse_optional("  "), Ok(None));
    }

    #[test]
    fn alternative_email_when_given_must_be_valid() {
        assert!(Email::parse_optional("b@c.co").expect("valid").is_some());
        assert!(Email::parse_optional("not an address").is_err());
        assert!(Email::parse_optional(&format!("{}@c.co", "b".repeat(46))).is_err());
    }

    #[test]
    fn phone_allows_digits_and_punctuation_only() {
        assert!(Phone::parse("+1 (555) 010-9999").is_ok());
        assert!(Phone::parse("call me").is_err());
    }

    #[test]
    fn phone_is_at_most_100_characters() {
        assert!(Phone::parse(&"1".repeat(100)).is_ok());
        assert!(Phone::parse(&"1".repeat(101)).is_err());
    }

    #[test]
    fn phone_may_be_left_out() {
        assert_eq!(Phone::parse("").expect("empty").as_str(), "");
    }

    #[test]
    fn cellular_phone_allows_digits_and_punctuation_only() {
        assert!(CellularPhone::parse("+1 (555) 010.9999").is_ok());
        assert!(CellularPhone::parse("555-CALL").is_err());
    }

    #[test]
    fn cellular_phone_is_at_most_50_characters() {
        assert!(CellularPhone::parse(&"1".repeat(50)).is_ok());
        assert!(CellularPhone::parse(&"1".repeat(51)).is_err());
    }

    #[test]
    fn culture_is_one_of_the_reference_set() {
        for name in CULTURES {
            let culture = Culture::parse(name).expect("known").expect("given");
            assert_eq!(culture.as_str(), *name);
        }
        assert_eq!(CULTURES.len(), 8);
    }

    #[test]
    fn culture_is_case_insensitive_in_and_upper_case_out() {
        let culture = Culture::parse("nl-nl").expect("known").expect("given");
        assert_eq!(culture.as_str(), "NL-NL");
        let culture = Culture::parse(" En-Gb ").expect("known").expect("given");
        assert_eq!(culture.as_str(), "EN-GB");
    }

    #[test]
    fn culture_outside_the_set_is_refused() {
        for bad in ["FR-FR", "nl_NL", "nl", "EN-USA", "english"] {
            let message = Culture::parse(bad).expect_err(bad);
            assert!(message.contains("EN-US"), "{bad}: {message}");
        }
    }

    #[test]
    fn empty_culture_is_not_given() {
        assert_eq!(Culture::parse(""), Ok(None));
        assert_eq!(Culture::parse("  "), Ok(None));
    }
}
