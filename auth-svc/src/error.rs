//! auth-svc's one error type and its one mapping to gRPC status.

use std::collections::HashMap;

use platform::status::{database, field_error, invalid_argument, with_reason};
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Invalid(Vec<(String, String)>),
    /// Scope names the contact's roles do not grant (RFC 6749 §5.2
    /// `invalid_scope`); lists each of them.
    #[error("scope not allowed: {0:?}")]
    InvalidScope(Vec<String>),
    /// The message is all the caller learns: never which part was wrong.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// The principal lacks a permission or the right place in the hierarchy.
    #[error("permission denied: {0}")]
    PermissionDenied(&'static str),
    /// The request is sound but the state of things refuses it.
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// As [`Error::FailedPrecondition`], naming the field to change.
    #[error("failed precondition on {field}: {message}")]
    FieldPrecondition {
        field: &'static str,
        message: &'static str,
    },
    /// Missing, or outside what the principal may see: one answer for both.
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("client id is taken")]
    ClientIdTaken,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A peer service's answer, passed on as it is (UNAVAILABLE stays 503).
    /// Boxed: a Status is large and every `Result` here would carry its size.
    #[error("upstream: {0}")]
    Upstream(Box<Status>),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A peer's failure, passed on.
    pub fn upstream(s: Status) -> Self {
        Self::Upstream(Box::new(s))
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => invalid_argument(&v),
            // RFC 6749 §5.2 `invalid_scope`, which the gateway answers as 400.
            Error::InvalidScope(names) => {
                let names = names.join(" ");
                with_reason(
                    Code::InvalidArgument,
                    format!("scope not allowed for this client: {names}"),
                    proto::reason::INVALID_SCOPE,
                    HashMap::from([(proto::reason::key::SCOPE.to_owned(), names)]),
                )
            }
            Error::Unauthenticated(m) => Status::unauthenticated(m),
            Error::PermissionDenied(m) => Status::permission_denied(m),
            Error::FailedPrecondition(m) => Status::failed_precondition(m),
            Error::FieldPrecondition { field, message } => {
                field_error(Code::FailedPrecondition, field, message)
            }
            Error::NotFound(m) => Status::not_found(m),
            Error::ClientIdTaken => field_error(
                Code::AlreadyExists,
                "clientID",
                "is already taken by another contact",
            ),
            Error::Db(e) => database(&e),
            Error::Upstream(s) => *s,
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Status::internal("internal error")
            }
        }
    }
}
