//! account-svc's one error type and its one mapping to gRPC status.

use std::collections::HashMap;

use platform::status::{database, field_error, invalid_argument, with_reason};
use proto::reason::{self, key};
use tonic::{Code, Status};

use crate::domain::failed_setup::Refused;
use crate::domain::lifecycle::Refusal;
use crate::domain::limit;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Invalid(Vec<(String, String)>),
    /// Unknown, or outside the caller's subtree: the caller cannot tell which.
    #[error("customer not found")]
    NotFound,
    /// Unknown, or its parent outside the caller's subtree.
    #[error("failed setup not found")]
    FailedSetupNotFound,
    #[error("user name is taken")]
    UserNameTaken,
    /// A create of an own limit value the customer already has.
    #[error("the customer already has its own {0}")]
    LimitExists(&'static str),
    /// The card processor refused the payment for a reason that keeps the
    /// request as failed setup `id` (nothing of the customer was created).
    #[error("{}", failed_setup_message(id, refused))]
    FailedSetup { id: String, refused: Refused },
    #[error("{0}")]
    Conflict(String),
    /// Another write changed the row between our read and our write, again
    /// and again; the client may retry.
    #[error("{0}")]
    Contended(String),
    /// A peer service's answer, passed on as it came (its code, message and details).
    #[error("peer: {0}")]
    Upstream(Status),
    /// The Idempotency-Key store's answer (`platform::idempotency`), as it came.
    #[error("idempotency key: {0}")]
    Idempotency(Status),
    #[error("caller's home customer no longer exists")]
    HomeGone,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

fn failed_setup_message(id: &str, refused: &Refused) -> String {
    format!("{}; kept as failed setup {id}", refused.refusal.describe())
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => invalid_argument(&v),
            Error::NotFound => Status::not_found("customer not found"),
            Error::FailedSetupNotFound => Status::not_found("failed setup not found"),
            Error::UserNameTaken => field_error(
                Code::AlreadyExists,
                "general.accountName",
                "is already taken",
            ),
            Error::LimitExists(name) => field_error(
                Code::AlreadyExists,
                limit::NAME,
                &format!("the customer already has its own {name}; PUT changes it"),
            ),
            // The gateway puts the id, the processor's code and its message
            // into the problem document (409), so the client can restore it.
            Error::FailedSetup { id, refused } => with_reason(
                Code::FailedPrecondition,
                failed_setup_message(&id, &refused),
                reason::FAILED_SETUP,
                HashMap::from([
                    (key::FAILED_SETUP_ID.to_owned(), id),
                    (key::CODE.to_owned(), refused.code),
                    (key::REASON.to_owned(), refused.message),
                ]),
            ),
            Error::Conflict(m) => Status::failed_precondition(m),
            Error::Contended(m) => Status::aborted(m),
            Error::Upstream(s) => s,
            Error::Idempotency(s) => s,
            Error::HomeGone => Status::unauthenticated("the caller's partner no longer exists"),
            Error::Db(e) => database(&e),
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Status::internal("internal error")
            }
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid { field, message } => {
                Error::Invalid(vec![(field.to_owned(), message)])
            }
            Refusal::Conflict(m) => Error::Conflict(m),
        }
    }
}

impl From<limit::Refusal> for Error {
    fn from(r: limit::Refusal) -> Self {
        match r {
            limit::Refusal::Invalid(v) => Error::Invalid(v),
            limit::Refusal::Conflict(m) => Error::Conflict(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::failed_setup::SetupRefusal;

    #[test]
    fn a_failed_setup_answers_its_id_and_the_processors_code_and_reason() {
        let status = Status::from(Error::FailedSetup {
            id: "f1".into(),
            refused: Refused {
                refusal: SetupRefusal::FraudSuspected,
                code: "FR".into(),
                message: "Suspected fraud".into(),
            },
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "the payment failed fraud screening; kept as failed setup f1"
        );
        let (reason, metadata) = platform::status::reason(&status).expect("error info");
        assert_eq!(reason, "FAILED_SETUP");
        assert_eq!(
            metadata,
            HashMap::from([
                ("failedSetupID".to_owned(), "f1".to_owned()),
                ("code".to_owned(), "FR".to_owned()),
                ("reason".to_owned(), "Suspected fraud".to_owned()),
            ])
        );
    }
}
