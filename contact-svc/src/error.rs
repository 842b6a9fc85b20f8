//! contact-svc's one error type and its one mapping to gRPC status.

use std::collections::HashMap;

use platform::status::{database, field_error, invalid_argument, with_reason};
use proto::reason::{self, key};
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Invalid(Vec<(String, String)>),
    #[error("login is taken")]
    LoginTaken,
    #[error("contact not found")]
    NotFound,
    /// One more contact would exceed the customer's `Iam_usersMax` (`value`).
    #[error("Iam_usersMax ({value}) reached")]
    LimitExceeded { value: i64 },
    /// The contact is the only holder of the customer's owner role.
    #[error("last owner")]
    LastOwner,
    /// The contact already holds roles on the target customer.
    #[error("already assigned")]
    AlreadyAssigned,
    /// A password change named a current password that does not verify.
    #[error("wrong current password")]
    WrongPassword,
    /// The principal's token lacks this permission.
    #[error("missing permission {0}")]
    PermissionDenied(&'static str),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A peer's answer, passed on as it came.
    #[error("peer: {0}")]
    Peer(#[from] Status),
    #[error("{0}")]
    Internal(String),
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => invalid_argument(&v),
            Error::LoginTaken => field_error(Code::AlreadyExists, "login", "is already taken"),
            Error::NotFound => Status::not_found("contact not found"),
            // FAILED_PRECONDITION by the contract; the reason lets the
            // gateway tell a limit (402) from other preconditions.
            Error::LimitExceeded { value } => with_reason(
                Code::FailedPrecondition,
                format!("the account's Iam_usersMax ({value}) allows no more users"),
                reason::LIMIT_EXCEEDED,
                HashMap::from([
                    (key::LIMIT.to_owned(), "Iam_usersMax".to_owned()),
                    (key::VALUE.to_owned(), value.to_string()),
                ]),
            ),
            Error::LastOwner => with_reason(
                Code::FailedPrecondition,
                "the last owner of a customer cannot be removed",
                reason::LAST_OWNER,
                HashMap::new(),
            ),
            Error::AlreadyAssigned => field_error(
                Code::AlreadyExists,
                "targetAccountID",
                "the contact is already assigned to this customer",
            ),
            Error::WrongPassword => invalid_argument(&[(
                "currentPassword".to_owned(),
                "is not the current password".to_owned(),
            )]),
            Error::PermissionDenied(permission) => {
                Status::permission_denied(format!("the token lacks permission {permission}"))
            }
            Error::Db(e) => database(&e),
            Error::Peer(status) => status,
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Status::internal("internal error")
            }
        }
    }
}
