//! Contact rules from the reference tables: each type parses or says why not.

mod culture;
mod limit;
mod password;
mod role;
pub use culture::{Culture, parse_optional as parse_culture};
pub use limit::UsersMax;
pub use password::{Password, Policy};
pub use role::{Kind, PERMISSIONS, ROLES, Role, parse_roles, permissions_of};

pub(crate) use platform::text::bounded;

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
/// The reference gives phones a length only: extensions and letters
/// (`555-FLOWERS x12`) are numbers people write, so no character set is
/// imposed beyond "no control characters".
fn phone_number(s: &str, max: usize) -> Result<String, String> {
    bounded(s, max, false)
}

/// A contact's `phone`: at most 100 characters, or empty.
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

/// A contact's `cellularPhone`, or empty. The
/// reference allows 255 characters where a contact is created
/// (ContactCreateV2) but 50 where its information is changed
/// (ContactInfoUpdateV2); each model's limit holds where that model is
/// taken. (An account's owner, AccountOwnerCreateV2, may have 50: account-svc
/// checks that before it asks for the owner here.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellularPhone(String);

impl CellularPhone {
    /// ContactCreateV2's `CellularPhone`: at most 255 characters.
    pub const CREATE_MAX: usize = 255;
    /// ContactInfoUpdateV2's `CellularPhone`: at most 50 characters.
    pub const UPDATE_MAX: usize = 50;

    /// As a new contact's (ContactCreateV2).
    pub fn parse_create(s: &str) -> Result<Self, String> {
        phone_number(s, Self::CREATE_MAX).map(Self)
    }

    /// As a change to a contact's information (ContactInfoUpdateV2).
    pub fn parse_update(s: &str) -> Result<Self, String> {
        phone_number(s, Self::UPDATE_MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
    fn alternative_email_is_at_most_50_characters() {
        let at_most = format!("{}@example.com", "b".repeat(38));
        assert!(Email::parse_optional(&at_most).expect("valid").is_some());
        assert!(Email::parse_optional(&format!("b{at_most}")).is_err());
    }

    #[test]
    fn alternative_email_when_given_must_be_valid() {
        assert!(Email::parse_optional("b@c.co").expect("valid").is_some());
        assert!(Email::parse_optional("not an address").is_err());
        assert!(Email::parse_optional(&format!("{}@c.co", "b".repeat(46))).is_err());
    }

    #[test]
    fn phone_takes_any_format_the_reference_allows() {
        assert!(Phone::parse("+1 (555) 010-9999").is_ok());
        assert!(Phone::parse("555-FLOWERS x12").is_ok());
        assert!(Phone::parse("555\u{7}").is_err());
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
    fn cellular_phone_takes_any_format_the_reference_allows() {
        assert!(CellularPhone::parse_create("+1 (555) 010.9999").is_ok());
        assert!(CellularPhone::parse_create("555-CALL").is_ok());
        assert!(CellularPhone::parse_update("555\u{7}").is_err());
    }

    #[test]
    fn new_contacts_cellular_phone_is_at_most_255_characters() {
        assert!(CellularPhone::parse_create(&"1".repeat(255)).is_ok());
        assert_eq!(
            CellularPhone::parse_create(&"1".repeat(256)),
            Err("must be at most 255 characters".into())
        );
    }

    #[test]
    fn changed_cellular_phone_is_at_most_50_characters() {
        assert!(CellularPhone::parse_update(&"1".repeat(50)).is_ok());
        assert_eq!(
            CellularPhone::parse_update(&"1".repeat(51)),
            Err("must be at most 50 characters".into())
        );
    }

    #[test]
    fn cellular_phone_may_be_left_out() {
        assert_eq!(CellularPhone::parse_create("").expect("empty").as_str(), "");
        assert_eq!(CellularPhone::parse_update("").expect("empty").as_str(), "");
    }
}
