//! Building and reading the rich gRPC error details the platform uses:
//! `google.rpc.BadRequest` field violations for bad input, and
//! `google.rpc.ErrorInfo` for machine-readable reasons (a card decline).

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

/// Collects every problem of a request before answering, so a client fixes
/// all of its fields in one round.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations(Vec<(String, String)>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    /// Records the error of a parse, returning the value when it parsed.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }

    /// Requires `id` to be an id this platform issues (32 lowercase hex).
    pub fn require_id(&mut self, field: &str, id: &str) {
        if !crate::id::is_id(id) {
            self.add(field, "must be a 32-character id");
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0
    }
}

/// INVALID_ARGUMENT carrying each field violation.
pub fn invalid_argument(violations: &[(String, String)]) -> Status {
    // Violations travel in HTTP/2 headers (grpc-message and the details),
    // which peers cap (16 KiB by default): a request with many long bad
    // values must not turn its 400 into a protocol error. So at most
    // MAX_VIOLATIONS, each field and message cut to MAX_TEXT characters.
    let violations: Vec<(String, String)> = violations
        .iter()
        .take(MAX_VIOLATIONS)
        .map(|(f, m)| (clip(f), clip(m)))
        .collect();
    let message = clip_to(
        &violations
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
        MAX_MESSAGE,
    );
    let details = ErrorDetails::with_bad_request(
        violations
            .into_iter()
            .map(|(f, m)| FieldViolation::new(f, m))
            .collect::<Vec<_>>(),
    );
    Status::with_error_details(Code::InvalidArgument, message, details)
}

const MAX_VIOLATIONS: usize = 50;
const MAX_TEXT: usize = 120;
const MAX_MESSAGE: usize = 1024;

fn clip(s: &str) -> String {
    clip_to(s, MAX_TEXT)
}

fn clip_to(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// A status with a machine-readable reason and metadata.
pub fn with_reason(
    code: Code,
    message: impl Into<String>,
    reason: &str,
    metadata: HashMap<String, String>,
) -> Status {
    Status::with_error_details(
        code,
        message,
        ErrorDetails::with_error_info(reason, "partner", metadata),
    )
}

/// The field violations a status carries (empty when none).
pub fn field_violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The ErrorInfo reason and metadata a status carries, if any.
pub fn reason(status: &Status) -> Option<(String, HashMap<String, String>)> {
    status
        .get_error_details()
        .error_info()
        .map(|i| (i.reason.clone(), i.metadata.clone()))
}

/// Any code with one field violation attached, e.g. ALREADY_EXISTS for a
/// taken name, so the client learns which field to change.
pub fn field_error(code: Code, field: &str, message: &str) -> Status {
    let (field, message) = (clip(field), clip(message));
    let details =
        ErrorDetails::with_bad_request(vec![FieldViolation::new(field.clone(), message.clone())]);
    Status::with_error_details(code, format!("{field}: {message}"), details)
}

/// A database failure as seen by the caller: the database being out of reach
/// is UNAVAILABLE (retry later), anything else INTERNAL. The cause is logged
/// here and never sent.
pub fn database(err: &sqlx::Error) -> Status {
    tracing::error!(error = %err, "database error");
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => Status::unavailable("storage is unavailable"),
        // The server going away under a connection (a PostgreSQL restart:
        // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
        // now; class 08, connection exceptions) is an outage a retry
        // outlives, not a fault of ours.
        sqlx::Error::Database(db)
            if db
                .code()
                .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) =>
        {
            Status::unavailable("storage is unavailable")
        }
        _ => Status::internal("internal error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_long_violations_stay_small_enough_for_headers() {
        let long = "x".repeat(10_000);
        let many: Vec<_> = (0..500).map(|i| (format!("f{i}"), long.clone())).collect();
        let s = invalid_argument(&many);
        assert!(
            s.message().len() <= 4 * MAX_MESSAGE,
            "{}",
            s.message().len()
        );
        let v = field_violations(&s);
        assert_eq!(v.len(), MAX_VIOLATIONS);
        assert!(v.iter().all(|(_, m)| m.chars().count() <= MAX_TEXT + 1));
    }

    #[test]
    fn field_violations_round_trip() {
        let s = invalid_argument(&[("general.accountName".into(), "at most 15 characters".into())]);
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&s),
            vec![(
                "general.accountName".to_owned(),
                "at most 15 characters".to_owned()
            )]
        );
    }
}
