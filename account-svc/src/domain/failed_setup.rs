//! Failed setups (DESIGN §6, issue 4 item 6): a create the card processor
//! refused for a blacklisted card or failed fraud screening is kept, so a
//! partner can restore it with another payment instead of typing it again.
//!
//! What is kept is the request without its secrets. PCI DSS v4.0 3.3.1 keeps
//! no sensitive authentication data (the security code among it) after
//! authorisation, and 3.4.1 shows at most the BIN and the last four digits of
//! a card number; keeping only the last four means there is no number to
//! protect at rest, and a restore brings a new payment anyway. The owner's
//! password is not kept either: contact-svc alone holds it, hashed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prost::Message as _;
use proto::account::v1 as pb;

/// Why the processor refused: the refusals that keep a failed setup. A plain
/// decline (`CARD_DECLINED`) is the client's to fix and keeps nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupRefusal {
    Blacklisted,
    FraudSuspected,
}

impl SetupRefusal {
    /// The refusal of billing-svc's `google.rpc.ErrorInfo` reason, if it is
    /// one that keeps a failed setup.
    pub fn from_reason(reason: &str) -> Option<Self> {
        match reason {
            proto::reason::CARD_BLACKLISTED => Some(Self::Blacklisted),
            proto::reason::FRAUD_SUSPECTED => Some(Self::FraudSuspected),
            _ => None,
        }
    }

    /// As stored and sent: `blacklisted` or `fraud_suspected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blacklisted => "blacklisted",
            Self::FraudSuspected => "fraud_suspected",
        }
    }

    /// What the client reads in the error message.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Blacklisted => "the card is blacklisted",
            Self::FraudSuspected => "the payment failed fraud screening",
        }
    }
}

/// The processor's refusal as billing-svc passed it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub refusal: SetupRefusal,
    /// The processor's code (`BL`, `FR`) and message.
    pub code: String,
    pub message: String,
}

/// The last four digits of a card number as given, separators ignored:
/// within what PCI DSS 3.4.1 lets a display show, and enough to tell the
/// partner's cards apart.
pub fn last4(card_number: &str) -> String {
    let digits: Vec<char> = card_number.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// The request as a failed setup keeps it: the card's number, security code
/// and other details and the owner's password blanked. Only the payment type
/// and the card's brand stay, which the failed setup shows anyway; the rest
/// of the card is of no use, since a restore brings a new payment.
pub fn keepable(r: &pb::CreateCustomerRequest) -> pb::CreateCustomerRequest {
    let mut kept = r.clone();
    if let Some(owner) = kept.owner.as_mut() {
        owner.password = String::new();
    }
    if let Some(payment) = kept.payment.as_mut() {
        payment.credit_card = payment.credit_card.take().map(|c| pb::CreditCard {
            r#type: c.r#type,
            ..Default::default()
        });
    }
    kept
}

/// A kept request as the `request` column stores it: base64 of its protobuf
/// encoding, which text columns of both backends hold as is. Blanks the
/// secrets itself, so no caller can store them by forgetting to.
pub fn encode_request(r: &pb::CreateCustomerRequest) -> String {
    STANDARD.encode(keepable(r).encode_to_vec())
}

pub fn decode_request(stored: &str) -> Result<pb::CreateCustomerRequest, String> {
    let bytes = STANDARD
        .decode(stored)
        .map_err(|e| format!("stored request is not base64: {e}"))?;
    pb::CreateCustomerRequest::decode(bytes.as_slice())
        .map_err(|e| format!("stored request does not decode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NUMBER: &str = "4100000000000019";
    const SECURITY_CODE: &str = "7391";
    const PASSWORD: &str = "Zq8!unique-pass";

    fn request(card_number: &str) -> pb::CreateCustomerRequest {
        pb::CreateCustomerRequest {
            parent_partner_id: "p".repeat(32),
            account_name: "acme".into(),
            programs: vec!["account".into()],
            plan_name: "starter".into(),
            owner: Some(pb::Owner {
                login: "owner".into(),
                password: PASSWORD.into(),
                name: "Owner".into(),
                email: "owner@example.com".into(),
                ..Default::default()
            }),
            payment: Some(pb::Payment {
                r#type: "creditCard".into(),
                credit_card: Some(pb::CreditCard {
                    r#type: "VISA".into(),
                    card_number: card_number.into(),
                    expiration_date: "12/30".into(),
                    security_code: SECURITY_CODE.into(),
                    holder_name: "A Holder".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    #[test]
    fn the_stored_request_holds_no_card_number_security_code_or_password() {
        let stored = encode_request(&request(NUMBER));
        let bytes = STANDARD.decode(&stored).expect("base64");
        for secret in [NUMBER, SECURITY_CODE, PASSWORD, "12/30", "A Holder"] {
            assert!(!contains(&bytes, secret), "{secret} is stored");
        }
        // Not even the tail: the last four live in their own column.
        assert!(!contains(&bytes, &NUMBER[12..]));
    }

    #[test]
    fn a_number_with_separators_is_not_stored_either() {
        let spaced = "4100 0000 0000 0019";
        let bytes = STANDARD
            .decode(encode_request(&request(spaced)))
            .expect("base64");
        assert!(!contains(&bytes, spaced));
        assert!(!contains(&bytes, "0019"));
    }

    #[test]
    fn the_stored_request_keeps_everything_but_the_secrets() {
        let given = request(NUMBER);
        let back = decode_request(&encode_request(&given)).expect("decodes");
        let card = back
            .payment
            .as_ref()
            .and_then(|p| p.credit_card.as_ref())
            .expect("card");
        assert_eq!(card.r#type, "VISA");
        assert!(card.card_number.is_empty() && card.security_code.is_empty());
        let owner = back.owner.as_ref().expect("owner");
        assert!(owner.password.is_empty());
        assert_eq!(owner.login, "owner");
        assert_eq!(
            (back.account_name.as_str(), back.plan_name.as_str()),
            ("acme", "starter")
        );
        assert_eq!(back.parent_partner_id, given.parent_partner_id);
    }

    #[test]
    fn a_stored_request_that_is_not_base64_does_not_decode() {
        assert!(decode_request("not base64!").is_err());
    }

    #[test]
    fn last4_takes_the_last_four_digits_only() {
        assert_eq!(last4(NUMBER), "0019");
        assert_eq!(last4("4100-0000-0000-0019 "), "0019");
        assert_eq!(last4("12"), "12");
        assert_eq!(last4(""), "");
    }

    #[test]
    fn only_blacklisting_and_fraud_keep_a_failed_setup() {
        assert_eq!(
            SetupRefusal::from_reason("CARD_BLACKLISTED"),
            Some(SetupRefusal::Blacklisted)
        );
        assert_eq!(
            SetupRefusal::from_reason("FRAUD_SUSPECTED"),
            Some(SetupRefusal::FraudSuspected)
        );
        assert_eq!(SetupRefusal::from_reason("CARD_DECLINED"), None);
    }
}
