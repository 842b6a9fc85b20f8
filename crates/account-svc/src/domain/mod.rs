//! Account rules from the reference tables (DESIGN §6). Each type parses or
//! says why not; past [`crate::grpc`] the code holds only parsed values.

pub mod company;
pub mod country;
pub mod culture;
pub mod failed_setup;
pub mod lifecycle;
pub mod limit;
pub mod plan;
pub mod postal;
pub mod settings;
pub mod vat;

use std::collections::BTreeMap;

pub(crate) fn bounded(value: &str, max: usize, required: bool) -> Result<String, String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err("is required".into());
    }
    if v.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(v.to_owned())
}

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

/// An account's user name (the reference's account name): 1..=15 characters
/// of letters, digits, `.`, `-` and `_`, since it also appears in URL paths
/// (`HEAD /accounts/{customerUserName}`). Unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

impl AccountName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = bounded(s, 15, true)?;
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

/// The programs a customer may subscribe to.
pub const PROGRAMS: &[&str] = &["Email", "Voice", "Storage", "Backup", "Security"];

/// A non-empty set of known programs, in the order given, without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programs(Vec<&'static str>);

impl Programs {
    pub fn parse(names: &[String], required: bool) -> Result<Self, String> {
        if required && names.is_empty() {
            return Err(format!(
                "at least one program is required (one of {})",
                PROGRAMS.join(", ")
            ));
        }
        let mut out: Vec<&'static str> = Vec::new();
        for n in names {
            let Some(p) = PROGRAMS.iter().find(|p| **p == n.as_str()) else {
                return Err(format!(
                    "unknown program {n:?}; known: {}",
                    PROGRAMS.join(", ")
                ));
            };
            if out.contains(p) {
                return Err(format!("program {n:?} is listed twice"));
            }
            out.push(p);
        }
        Ok(Self(out))
    }
    pub fn joined(&self) -> String {
        self.0.join(" ")
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

pub fn parse_options(
    options: &std::collections::HashMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in options {
        if !OPTION_KEYS.contains(&k.as_str()) {
            return Err(format!(
                "unknown option {k:?}; allowed: {}",
                OPTION_KEYS.join(", ")
            ));
        }
        if v.chars().count() > 255 {
            return Err(format!("option {k} must be at most 255 characters"));
        }
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
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
    fn unknown_program_is_refused() {
        assert!(Programs::parse(&["Email".into()], true).is_ok());
        assert!(Programs::parse(&["Fax".into()], true).is_err());
    }

    #[test]
    fn accounts_need_a_program() {
        assert!(Programs::parse(&[], true).is_err());
        assert!(Programs::parse(&[], false).is_ok());
    }

    #[test]
    fn options_accept_only_the_reference_keys() {
        let mut o = std::collections::HashMap::new();
        o.insert("ExternalPartnerID".to_owned(), "x".to_owned());
        assert!(parse_options(&o).is_ok());
        o.insert("externalpartnerid".to_owned(), "x".to_owned());
        assert!(parse_options(&o).is_err());
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
