//! Billing rules from the reference tables: each type parses or says why not.
//! [`card`] holds the credit-card fields and the rules that join them,
//! [`info`] the billing contact, [`usage`] chargeable activity, [`money`]
//! amounts and currencies, [`invoice`] periods and what an invoice adds up to.

mod card;
pub mod info;
pub mod invoice;
pub mod money;
pub mod usage;
pub use card::{
    CardFields, CardNumber, CardOnFile, CardType, Expiry, HolderName, IssueNumber, SecurityCode,
    StartDate, VerifiedCard,
};

/// How a customer pays: by card, or by paper check, which bills the parent
/// partner instead of the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentType {
    CreditCard,
    PaperCheck,
}

impl PaymentType {
    /// The reference spells the values in camelCase; other spellings are refused.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "creditCard" => Ok(Self::CreditCard),
            "paperCheck" => Ok(Self::PaperCheck),
            "" => Err("is required".into()),
            _ => Err("must be creditCard or paperCheck".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreditCard => "creditCard",
            Self::PaperCheck => "paperCheck",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_type_is_credit_card_or_paper_check() {
        assert_eq!(
            PaymentType::parse("creditCard"),
            Ok(PaymentType::CreditCard)
        );
        assert_eq!(
            PaymentType::parse("paperCheck"),
            Ok(PaymentType::PaperCheck)
        );
        assert!(PaymentType::parse("CreditCard").is_err());
        assert!(PaymentType::parse("wire").is_err());
        assert!(PaymentType::parse("").is_err());
    }

    #[test]
    fn payment_type_round_trips_through_its_name() {
        for t in [PaymentType::CreditCard, PaymentType::PaperCheck] {
            assert_eq!(PaymentType::parse(t.as_str()), Ok(t));
        }
    }
}
