//! The card processor: verifies a card and answers a token that stands for it
//! from then on, so the platform never needs the card number again.
//!
//! [`SandboxProcessor`] is the only implementation. It answers by card number
//! alone (any future expiry, any valid security code and, for Maestro, any
//! valid start date and issue number), so demos and tests can reach every
//! outcome. [`TEST_CARDS`] lists the same numbers for code:
//!
//! | Card number          | Outcome                            |
//! |----------------------|------------------------------------|
//! | `4111111111111111`   | approved (VISA)                    |
//! | `5555555555554444`   | approved (MC)                      |
//! | `378282246310005`    | approved (AMEX)                    |
//! | `6759649826438453`   | approved (MAESTRO)                 |
//! | `4000000000000002`   | declined `05` "Do not honor"       |
//! | `4000000000009995`   | declined `51` "Insufficient funds" |
//! | `4000000000000069`   | declined `54` "Expired card"       |
//! | `4000000000000127`   | declined `N7` "Invalid CVV2"       |
//! | `4100000000000019`   | blacklisted (failed setup)         |
//! | `4000000000004954`   | suspected fraud (failed setup)     |
//! | `4000000000000119`   | processor unavailable (503)        |
//! | any other valid card | approved                           |
//!
//! An approval's token is `sbx_` and 24 random hex characters: random rather
//! than derived from the number, since a hash of a 16-digit number with a
//! known prefix is cheap to reverse (PCI DSS 3.5.1.1 wants keyed hashes).

use crate::domain::VerifiedCard;

/// The processor's reference to a verified card; what billing stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorToken(String);

impl ProcessorToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why the processor refused a card, or could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessorError {
    /// The issuer declined, with its ISO 8583 response code and text.
    #[error("declined {code}: {reason}")]
    Declined { code: String, reason: String },
    #[error("card is blacklisted")]
    Blacklisted,
    #[error("suspected fraud")]
    FraudSuspected,
    #[error("card processor is unavailable")]
    Unavailable,
}

#[tonic::async_trait]
pub trait CardProcessor: Send + Sync {
    async fn verify(&self, card: &VerifiedCard) -> Result<ProcessorToken, ProcessorError>;
}

/// What the sandbox answers for one of its test numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Approved,
    /// An issuer decline: ISO 8583 response code and text.
    Declined(&'static str, &'static str),
    Blacklisted,
    FraudSuspected,
    Unavailable,
}

impl Outcome {
    /// The word [`TEST_CARDS`] uses for it; the module table's outcome
    /// column starts with it.
    const fn label(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Declined(..) => "declined",
            Self::Blacklisted => "blacklisted",
            Self::FraudSuspected => "suspected fraud",
            Self::Unavailable => "processor unavailable",
        }
    }
}

/// The sandbox's test numbers, in the module table's order; the one source
/// of [`SandboxProcessor`]'s answers and of [`TEST_CARDS`].
const SANDBOX: &[(&str, Outcome)] = &[
    ("4111111111111111", Outcome::Approved),
    ("5555555555554444", Outcome::Approved),
    ("378282246310005", Outcome::Approved),
    ("6759649826438453", Outcome::Approved),
    ("4000000000000002", Outcome::Declined("05", "Do not honor")),
    (
        "4000000000009995",
        Outcome::Declined("51", "Insufficient funds"),
    ),
    ("4000000000000069", Outcome::Declined("54", "Expired card")),
    ("4000000000000127", Outcome::Declined("N7", "Invalid CVV2")),
    ("4100000000000019", Outcome::Blacklisted),
    ("4000000000004954", Outcome::FraudSuspected),
    ("4000000000000119", Outcome::Unavailable),
];

/// The sandbox's test card numbers and what each leads to: `approved`,
/// `declined` (the issuer's code and text are in the module table),
/// `blacklisted`, `suspected fraud` (both failed setups) or `processor
/// unavailable`. Any other valid card is approved.
pub const TEST_CARDS: &[(&str, &str)] = &{
    // Built from `SANDBOX` at compile time so the two cannot drift apart.
    let mut cards = [("", ""); SANDBOX.len()];
    let mut i = 0;
    while i < SANDBOX.len() {
        cards[i] = (SANDBOX[i].0, SANDBOX[i].1.label());
        i += 1;
    }
    cards
};

/// A deterministic stand-in for a real processor; see the module table.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxProcessor;

#[tonic::async_trait]
impl CardProcessor for SandboxProcessor {
    async fn verify(&self, card: &VerifiedCard) -> Result<ProcessorToken, ProcessorError> {
        let outcome = SANDBOX
            .iter()
            .find(|(number, _)| *number == card.number.expose())
            .map_or(Outcome::Approved, |(_, outcome)| *outcome);
        match outcome {
            Outcome::Approved => Ok(ProcessorToken(format!(
                "sbx_{}",
                hex::encode(rand::random::<[u8; 12]>())
            ))),
            Outcome::Declined(code, reason) => Err(ProcessorError::Declined {
                code: code.to_owned(),
                reason: reason.to_owned(),
            }),
            Outcome::Blacklisted => Err(ProcessorError::Blacklisted),
            Outcome::FraudSuspected => Err(ProcessorError::FraudSuspected),
            Outcome::Unavailable => Err(ProcessorError::Unavailable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CardFields;

    fn declined(code: &str, reason: &str) -> ProcessorError {
        ProcessorError::Declined {
            code: code.to_owned(),
            reason: reason.to_owned(),
        }
    }

    fn card(card_type: &str, number: &str, security_code: &str) -> VerifiedCard {
        let start_date = if card_type == "MAESTRO" { "01/20" } else { "" };
        VerifiedCard::parse(&CardFields {
            card_type,
            number,
            expiration_date: "12/99",
            security_code,
            start_date,
            ..CardFields::default()
        })
        .expect("a valid test card")
    }

    fn visa(number: &str) -> VerifiedCard {
        card("VISA", number, "123")
    }

    async fn verify(number: &str) -> Result<ProcessorToken, ProcessorError> {
        SandboxProcessor.verify(&visa(number)).await
    }

    #[tokio::test]
    async fn sandbox_approves_the_test_cards_and_any_other_valid_card() {
        for (t, n, code) in [
            ("VISA", "4111111111111111", "123"),
            ("MC", "5555555555554444", "123"),
            ("AMEX", "378282246310005", "1234"),
            ("MAESTRO", "6759649826438453", "123"),
            ("VISA", "4242424242424242", "123"),
        ] {
            assert!(
                SandboxProcessor.verify(&card(t, n, code)).await.is_ok(),
                "{n}"
            );
        }
    }

    #[tokio::test]
    async fn sandbox_tokens_are_random_not_derived_from_the_number() {
        let a = verify("4111111111111111").await.expect("approved");
        let b = verify("4111111111111111").await.expect("approved");
        assert_ne!(a, b);
        let hex = a.as_str().strip_prefix("sbx_").expect("sbx_ prefix");
        assert_eq!(hex.len(), 24);
        assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[tokio::test]
    async fn sandbox_declines_with_the_issuer_codes() {
        for (n, code, reason) in [
            ("4000000000000002", "05", "Do not honor"),
            ("4000000000009995", "51", "Insufficient funds"),
            ("4000000000000069", "54", "Expired card"),
            ("4000000000000127", "N7", "Invalid CVV2"),
        ] {
            assert_eq!(verify(n).await, Err(declined(code, reason)), "{n}");
        }
    }

    #[tokio::test]
    async fn sandbox_fails_setup_for_blacklisted_fraud_and_outage_cards() {
        assert_eq!(
            verify("4100000000000019").await,
            Err(ProcessorError::Blacklisted)
        );
        assert_eq!(
            verify("4000000000004954").await,
            Err(ProcessorError::FraudSuspected)
        );
        assert_eq!(
            verify("4000000000000119").await,
            Err(ProcessorError::Unavailable)
        );
    }

    #[test]
    fn test_cards_list_every_sandbox_number_with_its_outcome() {
        assert_eq!(TEST_CARDS.len(), SANDBOX.len());
        for ((number, label), (sandbox_number, outcome)) in TEST_CARDS.iter().zip(SANDBOX) {
            assert_eq!((number, *label), (sandbox_number, outcome.label()));
        }
        let find = |label: &str| TEST_CARDS.iter().find(|(_, l)| *l == label);
        assert_eq!(
            find("blacklisted"),
            Some(&("4100000000000019", "blacklisted"))
        );
        assert_eq!(
            find("suspected fraud"),
            Some(&("4000000000004954", "suspected fraud"))
        );
    }

    #[test]
    fn test_cards_are_valid_cards_of_a_brand() {
        for (number, _) in TEST_CARDS {
            let n = crate::domain::CardNumber::parse(number).expect(number);
            assert!(n.brand().is_some(), "{number}");
        }
    }

    /// The module doc's table, row by row: (number, outcome).
    fn doc_table() -> Vec<(String, String)> {
        include_str!("processor.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("//! | `"))
            .filter_map(|row| {
                let (number, rest) = row.split_once('`')?;
                let outcome = rest.trim().trim_start_matches('|').trim();
                Some((
                    number.to_owned(),
                    outcome.trim_end_matches('|').trim().to_owned(),
                ))
            })
            .collect()
    }

    #[test]
    fn module_table_documents_every_test_card_in_order() {
        let table = doc_table();
        assert_eq!(
            table.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            TEST_CARDS.iter().map(|(n, _)| *n).collect::<Vec<_>>()
        );
        for ((number, documented), (_, outcome)) in table.iter().zip(SANDBOX) {
            assert!(
                documented.starts_with(outcome.label()),
                "{number}: {documented}"
            );
            if let Outcome::Declined(code, reason) = outcome {
                assert!(
                    documented.contains(code) && documented.contains(reason),
                    "{number}: {documented}"
                );
            }
        }
    }
}
