//! billing-svc's one error type and its one mapping to gRPC status.

use std::collections::HashMap;

use platform::status::{database, invalid_argument, with_reason};
use proto::reason::{self, key};
use tonic::{Code, Status};

use crate::processor::ProcessorError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Invalid(Vec<(String, String)>),
    /// The processor refused the card. `reason_code` is the ErrorInfo reason
    /// (`CARD_DECLINED`, `CARD_BLACKLISTED`, `FRAUD_SUSPECTED`); `code` and
    /// `reason` are what the client shows (DESIGN §6: 409 `{code, reason}`).
    #[error("card declined: {reason}")]
    Declined {
        reason_code: &'static str,
        code: String,
        reason: String,
    },
    #[error("card processor is unavailable")]
    Unavailable,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A parent partner holds less credit than an allocation asks for.
    #[error("insufficient credit: {balance} {currency}")]
    InsufficientCredit { balance: i64, currency: String },
    /// The request is well formed but the state forbids it.
    #[error("{0}")]
    Conflict(String),
    /// A peer's answer, passed on as it came (NOT_FOUND for a customer
    /// outside the caller's subtree, UNAVAILABLE when it is down).
    #[error("peer: {0}")]
    Peer(#[from] Status),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<ProcessorError> for Error {
    fn from(e: ProcessorError) -> Self {
        match e {
            ProcessorError::Declined { code, reason } => Error::Declined {
                reason_code: reason::CARD_DECLINED,
                code,
                reason,
            },
            ProcessorError::Blacklisted => Error::Declined {
                reason_code: reason::CARD_BLACKLISTED,
                code: "BL".into(),
                reason: "Card is blacklisted".into(),
            },
            ProcessorError::FraudSuspected => Error::Declined {
                reason_code: reason::FRAUD_SUSPECTED,
                code: "FR".into(),
                reason: "Suspected fraud".into(),
            },
            ProcessorError::Unavailable => Error::Unavailable,
        }
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => invalid_argument(&v),
            Error::Declined {
                reason_code,
                code,
                reason,
            } => {
                let message = format!("card declined: {reason}");
                with_reason(
                    Code::FailedPrecondition,
                    message,
                    reason_code,
                    HashMap::from([
                        (key::CODE.to_owned(), code),
                        (key::REASON.to_owned(), reason),
                    ]),
                )
            }
            Error::Unavailable => {
                tracing::error!("card processor is unavailable");
                Status::unavailable("card processor is unavailable")
            }
            Error::NotFound(what) => Status::not_found(format!("{what} not found")),
            Error::InsufficientCredit { balance, currency } => with_reason(
                Code::FailedPrecondition,
                format!("the parent partner's credit balance is {balance} {currency}"),
                reason::INSUFFICIENT_CREDIT,
                HashMap::from([
                    (key::BALANCE.to_owned(), balance.to_string()),
                    (key::CURRENCY.to_owned(), currency),
                ]),
            ),
            Error::Conflict(message) => Status::failed_precondition(message),
            Error::Peer(status) => status,
            Error::Db(e) => database(&e),
        }
    }
}
