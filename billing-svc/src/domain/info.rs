//! Billing contact fields: who receives invoices. The address follows the
//! v2 address rules, which account-svc owns (billing asks it to validate).
//! [`PaymentName`] and [`PaymentPhone`] are the contact a payment brings at
//! creation (the reference's PaymentV2 `name` and `phone`), whose limits
//! differ from those of a later billing update.

/// PaymentV2 `name`: required, at most 50 characters ("Max length is 50
/// symbols"). Surrounding whitespace is dropped: the reference's own v1
/// example sends `" Company name "`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentName(String);

impl PaymentName {
    pub const MAX_LEN: usize = 50;

    pub fn parse(s: &str) -> Result<Self, String> {
        required_text(s, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// PaymentV2 `phone`: required, at most 100 characters. The reference sets
/// no format, so none is imposed beyond dropping surrounding whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPhone(String);

impl PaymentPhone {
    pub const MAX_LEN: usize = 100;

    pub fn parse(s: &str) -> Result<Self, String> {
        required_text(s, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text a payment must carry: at most `max` characters as sent (the limit
/// counts what was sent, as the OpenAPI schema does), not blank, trimmed.
fn required_text(s: &str, max: usize) -> Result<String, String> {
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    match s.trim() {
        "" => Err("is required".into()),
        s => Ok(s.to_owned()),
    }
}

/// A billing name: 1..=100 characters once trimmed.
pub fn name(s: &str) -> Result<String, String> {
    // Lengths count what was sent, as the OpenAPI schema does.
    if s.chars().count() > 100 {
        return Err("must be at most 100 characters".into());
    }
    let s = s.trim();
    match s.chars().count() {
        0 => Err("must not be empty".into()),
        _ if s.chars().any(char::is_control) => Err("must not contain control characters".into()),
        _ => Ok(s.to_owned()),
    }
}

/// The billing phone as a change sets it: the rule of the payment's phone
/// ([`PaymentPhone`], the reference's PaymentV2), so what a create
/// accepted is accepted again when it is sent back.
pub fn phone(s: &str) -> Result<String, String> {
    PaymentPhone::parse(s).map(|p| p.as_str().to_owned())
}

/// The address invoices go to: `local@domain.tld`, at most 100 characters.
pub fn email(s: &str) -> Result<String, String> {
    if s.chars().count() > 100 {
        return Err("must be at most 100 characters".into());
    }
    let s = s.trim();
    let valid = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        Ok(s.to_owned())
    } else {
        Err("must be an email address".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_name_is_required() {
        assert_eq!(PaymentName::parse(""), Err("is required".into()));
        assert_eq!(PaymentName::parse("   "), Err("is required".into()));
    }

    #[test]
    fn payment_name_is_trimmed_as_the_reference_example_sends_it() {
        assert_eq!(
            PaymentName::parse(" Company name ").map(|n| n.as_str().to_owned()),
            Ok("Company name".into())
        );
    }

    #[test]
    fn payment_name_is_at_most_50_characters() {
        assert!(PaymentName::parse(&"n".repeat(50)).is_ok());
        assert_eq!(
            PaymentName::parse(&"n".repeat(51)),
            Err("must be at most 50 characters".into())
        );
    }

    #[test]
    fn payment_phone_is_required() {
        assert_eq!(PaymentPhone::parse(""), Err("is required".into()));
        assert_eq!(PaymentPhone::parse(" "), Err("is required".into()));
    }

    #[test]
    fn payment_phone_is_at_most_100_characters() {
        assert!(PaymentPhone::parse(&"1".repeat(100)).is_ok());
        assert_eq!(
            PaymentPhone::parse(&"1".repeat(101)),
            Err("must be at most 100 characters".into())
        );
    }

    #[test]
    fn payment_phone_takes_any_format_the_reference_allows() {
        for phone in ["12365458789", "+1 (714) 555-0100 ext. 12", "0800 FLOWERS"] {
            assert_eq!(
                PaymentPhone::parse(phone).map(|p| p.as_str().to_owned()),
                Ok(phone.to_owned())
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Acme Billing "), Ok("Acme Billing".into()));
        assert!(name("   ").is_err());
        assert!(name(&"x".repeat(101)).is_err());
        assert!(name(&"x".repeat(100)).is_ok());
    }

    #[test]
    fn a_changed_phone_follows_the_payments_rule() {
        assert_eq!(phone("+1 (555) 010-2030"), Ok("+1 (555) 010-2030".into()));
        assert_eq!(phone("555-FLOWERS x12"), Ok("555-FLOWERS x12".into()));
        assert!(phone(" ").is_err());
        assert!(phone(&"1".repeat(100)).is_ok());
        assert!(phone(&"1".repeat(101)).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(email("ap@acme.example"), Ok("ap@acme.example".into()));
        for bad in [
            "",
            "acme.example",
            "@acme.example",
            "ap@acme",
            "ap@.acme",
            "a p@acme.example",
            "a@b@c.d",
        ] {
            assert!(email(bad).is_err(), "{bad:?} passed");
        }
    }
}
