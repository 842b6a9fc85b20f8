//! Account rules from the reference tables (DESIGN §6). Each type parses or
//! says why not; past [`crate::grpc`] the code holds only parsed values.

pub mod company;
pub mod country;
pub mod culture;
pub mod failed_setup;
pub mod lifecycle;
pub mod limit;
pub mod new_customer;
pub mod plan;
pub mod postal;
pub mod settings;
pub mod vat;

use std::collections::BTreeMap;

use platform::status::Violations;

pub(crate) use platform::text::bounded;

/// Empty (or blank) text is "unset", not an invalid value.
pub(crate) fn unless_empty<T>(
    s: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        parse(s).map(Some)
    }
}

/// Whether `s` (upper case) has the shape `shape`, written in the EU VIES
/// notation for VAT numbers, which postal codes reuse: `9` a digit, `L` a
/// letter, `X` a letter or a digit; any other character stands for itself.
/// Shapes as data keep each country's format a reviewable line in a table.
pub(crate) fn has_shape(s: &str, shape: &str) -> bool {
    s.len() == shape.len()
        && s.bytes().zip(shape.bytes()).all(|(c, p)| match p {
            b'9' => c.is_ascii_digit(),
            b'L' => c.is_ascii_uppercase(),
            b'X' => c.is_ascii_digit() || c.is_ascii_uppercase(),
            literal => c == literal,
        })
}

/// A customer's user name: letters, digits, `.`, `-` and `_`, since it also
/// appears in URL paths (`HEAD /accounts/{customerUserName}`). Unique
/// regardless of case, one namespace for both API versions. v2's
/// `accountName` holds at most 15 characters (AccountGeneralV2); v1's
/// `userName` as many as the reference's own v1 examples use, up to the
/// login limit of 50 (DESIGN §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

/// The longest v2 `general.accountName` (reference AccountGeneralV2).
pub const ACCOUNT_NAME_MAX: usize = 15;
/// The longest v1 `general.userName` (DESIGN §6.2).
pub const USER_NAME_MAX: usize = 50;

impl AccountName {
    /// v2's rule: at most 15 characters.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_at_most(s, ACCOUNT_NAME_MAX)
    }

    /// v1's rule: at most 50 characters.
    pub fn parse_v1(s: &str) -> Result<Self, String> {
        Self::parse_at_most(s, USER_NAME_MAX)
    }

    fn parse_at_most(s: &str, max: usize) -> Result<Self, String> {
        let v = bounded(s, max, true)?;
        if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err("may hold only letters, digits, '.', '-' and '_'".into());
        }
        Ok(Self(v))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The reference's `programs` (AccountCreateV1/V2): exactly one of
/// `partner` or `account`, which decides what is created. Read without
/// regard to case, since generated clients may send enum names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Partner,
    Account,
}

impl Program {
    pub fn parse(names: &[String]) -> Result<Self, String> {
        const ALLOWED: &str = r#"must be ["partner"] or ["account"]"#;
        match names {
            [] => Err(format!("is required: {ALLOWED}")),
            [one] => match one.trim().to_ascii_lowercase().as_str() {
                "partner" => Ok(Self::Partner),
                "account" => Ok(Self::Account),
                _ => Err(format!("unknown program {one:?}; {ALLOWED}")),
            },
            _ => Err(format!("holds one program only; {ALLOWED}")),
        }
    }
    pub fn of_kind(is_partner: bool) -> Self {
        if is_partner {
            Self::Partner
        } else {
            Self::Account
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partner => "partner",
            Self::Account => "account",
        }
    }
}

/// What a partner is: the root is a distributor; partners create partners
/// (private label) or advisors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerProgram {
    Distributor,
    Partner,
    Advisor,
}

impl PartnerProgram {
    /// Parses what a request may ask for; `distributor` is the root's alone.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "partner" => Ok(Self::Partner),
            "advisor" => Ok(Self::Advisor),
            _ => Err("must be \"partner\" or \"advisor\"".into()),
        }
    }
    /// Reads a stored program, `distributor` included; `None` for anything
    /// this version never wrote.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "distributor" => Some(Self::Distributor),
            "partner" => Some(Self::Partner),
            "advisor" => Some(Self::Advisor),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Distributor => "distributor",
            Self::Partner => "partner",
            Self::Advisor => "advisor",
        }
    }
}

/// The reference's account options: three known keys (case-sensitive), values ≤ 255.
pub const OPTION_KEYS: &[&str] = &[
    "ExternalPartnerID",
    "ExternalReferralID",
    "PaymentMethodConfirmationRequired",
];

/// Parses the options, naming each bad one under `prefix` by its key
/// (`general.options.ExternalPartnerID`), as the body spells it.
pub fn parse_options(
    options: &std::collections::HashMap<String, String>,
    prefix: &str,
    violations: &mut Violations,
) -> Option<BTreeMap<String, String>> {
    let before = violations.fields().len();
    let mut out = BTreeMap::new();
    // Sorted, so the answer names them in a stable order.
    for (k, v) in options.iter().collect::<BTreeMap<_, _>>() {
        let field = format!("{prefix}.{k}");
        if !OPTION_KEYS.contains(&k.as_str()) {
            violations.add(
                field,
                format!("is not an option; allowed: {}", OPTION_KEYS.join(", ")),
            );
        } else if v.chars().count() > 255 {
            violations.add(field, "must be at most 255 characters");
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    (violations.fields().len() == before).then_some(out)
}

/// Why a customer is deleted: required, at most 512 characters.
pub fn parse_reason(s: &str) -> Result<String, String> {
    bounded(s, 512, true)
}

/// Free comments on a deletion: at most 512 characters.
pub fn parse_comments(s: &str) -> Result<String, String> {
    bounded(s, 512, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_name_is_at_most_15_characters() {
        assert!(AccountName::parse("abcdefghijklmno").is_ok());
        assert!(AccountName::parse("abcdefghijklmnop").is_err());
    }

    #[test]
    fn account_name_is_required() {
        assert!(AccountName::parse("  ").is_err());
    }

    #[test]
    fn account_name_is_url_safe() {
        assert!(AccountName::parse("acme/x").is_err());
        assert!(AccountName::parse("acme x").is_err());
        assert!(AccountName::parse("acme-1.x_y").is_ok());
    }

    #[test]
    fn user_name_is_at_most_50_characters_in_v1() {
        assert!(AccountName::parse_v1(&"a".repeat(50)).is_ok());
        assert!(AccountName::parse_v1(&"a".repeat(51)).is_err());
        assert!(AccountName::parse_v1("test-partner-account").is_ok());
    }

    #[test]
    fn programs_are_partner_or_account() {
        assert_eq!(Program::parse(&["account".into()]), Ok(Program::Account));
        assert_eq!(Program::parse(&["partner".into()]), Ok(Program::Partner));
        assert_eq!(Program::parse(&["Partner".into()]), Ok(Program::Partner));
        assert!(Program::parse(&["Email".into()]).is_err());
    }

    #[test]
    fn programs_are_required_and_hold_one() {
        assert!(Program::parse(&[]).is_err());
        assert!(Program::parse(&["account".into(), "partner".into()]).is_err());
    }

    #[test]
    fn options_accept_only_the_reference_keys() {
        let mut o = std::collections::HashMap::new();
        o.insert("ExternalPartnerID".to_owned(), "x".repeat(255));
        assert!(parse_options(&o, "o", &mut Violations::new()).is_some());
        o.insert("externalpartnerid".to_owned(), "x".to_owned());
        let mut v = Violations::new();
        assert!(parse_options(&o, "o", &mut v).is_none());
        assert_eq!(v.fields()[0].0, "o.externalpartnerid");
    }

    #[test]
    fn option_values_are_at_most_255_characters() {
        let mut o = std::collections::HashMap::new();
        o.insert("ExternalReferralID".to_owned(), "x".repeat(256));
        let mut v = Violations::new();
        assert!(parse_options(&o, "o", &mut v).is_none());
        assert_eq!(v.fields()[0].0, "o.ExternalReferralID");
    }

    #[test]
    fn shapes_read_9_as_digit_l_as_letter_x_as_either() {
        assert!(has_shape("A1", "L9"));
        assert!(has_shape("1A", "XX"));
        assert!(!has_shape("11", "L9"));
        assert!(!has_shape("A12", "L9"));
    }

    #[test]
    fn shapes_take_other_characters_literally() {
        assert!(has_shape("U12", "U99"));
        assert!(!has_shape("V12", "U99"));
    }

    #[test]
    fn delete_reason_is_required_and_at_most_512() {
        assert!(parse_reason("").is_err());
        assert!(parse_reason(&"r".repeat(512)).is_ok());
        assert!(parse_reason(&"r".repeat(513)).is_err());
    }
}
