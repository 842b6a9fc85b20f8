//! Every error the gateway answers is an RFC 9457 problem document, made here
//! and only here: from a gRPC status (following google/rpc/code.proto, with
//! the contract's choices for conflicts), from a bad request the gateway
//! itself refuses, or from a missing route.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::reason::{self, key};
use serde::Serialize;
use tonic::Code;
use utoipa::ToSchema;

tokio::task_local! {
    /// The request id of the request being answered, set by the
    /// [`crate::layers::request_id_scope`] middleware so that every problem
    /// document can carry it.
    pub static REQUEST_ID: String;
}

/// One bad field of a request.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field in the request, e.g. `general.accountName`.
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The `X-Request-ID` of the request, for support.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The card processor's response code on a decline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The card processor's reason on a decline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// On a create the processor refused for a blacklisted card or failed
    /// fraud screening: the failed setup that keeps the request.
    #[serde(rename = "failedSetupID", skip_serializing_if = "Option::is_none")]
    pub failed_setup_id: Option<String>,
    /// On a 402 for a limit: the limit's name (`Iam_usersMax`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// On a 403 for a route's permission: the permission the token lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_permission: Option<String>,
    /// On a 402 for short credit: the balance the payer has, in minor units
    /// of `currency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
    /// On a 402 for short credit: the ISO 4217 currency of `balance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip)]
    pub www_authenticate: Option<&'static str>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
            request_id: String::new(),
            errors: Vec::new(),
            code: None,
            reason: None,
            missing_permission: None,
            failed_setup_id: None,
            balance: None,
            currency: None,
            limit: None,
            www_authenticate: None,
        }
    }

    /// 400 naming the fields at fault.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors,
            ..Self::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// 403 for a route the token's permissions do not cover.
    pub fn forbidden(permission: &str) -> Self {
        Self {
            missing_permission: Some(permission.to_owned()),
            ..Self::new(
                StatusCode::FORBIDDEN,
                format!("the token lacks permission {permission}"),
            )
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "no such resource")
    }

    /// 401 with the challenge RFC 6750 §3 asks for.
    pub fn unauthorized(detail: &str) -> Self {
        Self {
            www_authenticate: Some("Bearer realm=\"partner\""),
            ..Self::new(StatusCode::UNAUTHORIZED, detail)
        }
    }

    /// Renames fields as one API version spells them (v1's `street` is v2's
    /// `addressLine1`).
    pub fn rename_fields(mut self, rename: impl Fn(&str) -> String) -> Self {
        // A problem without field errors (a 503, a 404) keeps its detail.
        if self.errors.is_empty() {
            return self;
        }
        for e in &mut self.errors {
            e.field = rename(&e.field);
        }
        self.detail = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        self
    }
}

impl From<tonic::Status> for Problem {
    fn from(s: tonic::Status) -> Self {
        // Exhaustive on purpose: a new code must be placed consciously.
        let status = match s.code() {
            Code::Ok => StatusCode::INTERNAL_SERVER_ERROR,
            // The gateway starts every call and never cancels one itself: a
            // CANCELLED answer is tonic's client turning an elapsed
            // `grpc-timeout` into "Timeout expired", here or in a service's
            // call to a peer. Either way the request's deadline passed. (A
            // client that goes away gets no answer at all.)
            Code::Cancelled => StatusCode::GATEWAY_TIMEOUT,
            Code::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
            Code::InvalidArgument => StatusCode::BAD_REQUEST,
            Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists => StatusCode::CONFLICT,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            // The contract answers 409 for a state that forbids the change
            // (a partner with children, a declined card).
            Code::FailedPrecondition => StatusCode::CONFLICT,
            Code::Aborted => StatusCode::CONFLICT,
            Code::OutOfRange => StatusCode::BAD_REQUEST,
            Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        };
        if status.is_server_error() {
            // The cause stays in the log; the client gets the request id.
            tracing::error!(code = ?s.code(), message = s.message(), "upstream failure");
            let detail = match status {
                StatusCode::SERVICE_UNAVAILABLE => "a service is unavailable; retry later",
                StatusCode::GATEWAY_TIMEOUT => "the request took longer than its deadline",
                _ => "internal error",
            };
            return Self::new(status, detail);
        }
        let errors: Vec<FieldError> = platform::status::field_violations(&s)
            .into_iter()
            .map(|(field, message)| FieldError { field, message })
            .collect();
        let mut p = Self {
            errors,
            ..Self::new(status, s.message())
        };
        if status == StatusCode::UNAUTHORIZED {
            p.www_authenticate = Some("Bearer realm=\"partner\", error=\"invalid_token\"");
        }
        if let Some((reason, meta)) = platform::status::reason(&s) {
            // A prepaid limit that forbids the change, or a parent short of
            // the credit it is asked to allocate, is 402 (DESIGN §6).
            if reason == reason::LIMIT_EXCEEDED || reason == reason::INSUFFICIENT_CREDIT {
                p.status = StatusCode::PAYMENT_REQUIRED.as_u16();
                p.title = "Payment Required".into();
            }
            // An Idempotency-Key sent again with another request.
            if reason == reason::IDEMPOTENCY_KEY_REUSED {
                p.status = StatusCode::UNPROCESSABLE_ENTITY.as_u16();
                p.title = "Unprocessable Entity".into();
            }
            p.kind = format!(
                "urn:partner:problem:{}",
                reason.to_lowercase().replace('_', "-")
            );
            let mut meta: HashMap<String, String> = meta;
            p.code = meta.remove(key::CODE);
            p.reason = meta.remove(key::REASON);
            p.failed_setup_id = meta.remove(key::FAILED_SETUP_ID);
            p.limit = meta.remove(key::LIMIT);
            p.balance = meta.remove(key::BALANCE).and_then(|b| b.parse().ok());
            p.currency = meta.remove(key::CURRENCY);
        }
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        if self.request_id.is_empty() {
            self.request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(challenge) = self.www_authenticate {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        res
    }
}

/// Unknown routes answer a problem document too.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no such route")
}

/// A known route asked with a method it does not have.
pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this route",
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic::Code;

    use super::*;

    fn refusal(reason: &str, meta: &[(&str, &str)]) -> Problem {
        let meta: HashMap<String, String> = meta
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Problem::from(platform::status::with_reason(
            Code::FailedPrecondition,
            "refused",
            reason,
            meta,
        ))
    }

    #[test]
    fn a_deadline_that_ran_out_is_504_however_tonic_words_it() {
        for status in [
            tonic::Status::cancelled("Timeout expired"),
            tonic::Status::deadline_exceeded("the caller's deadline passed"),
        ] {
            let p = Problem::from(status);
            assert_eq!(p.status, 504, "{p:?}");
            assert_eq!(p.detail, "the request took longer than its deadline");
        }
    }

    #[test]
    fn short_credit_is_402_with_the_balance_and_currency() {
        let p = refusal(
            "INSUFFICIENT_CREDIT",
            &[("balance", "1200"), ("currency", "USD")],
        );
        assert_eq!(p.status, 402);
        assert_eq!(p.title, "Payment Required");
        assert_eq!(p.kind, "urn:partner:problem:insufficient-credit");
        assert_eq!(p.balance, Some(1200));
        assert_eq!(p.currency.as_deref(), Some("USD"));
        let body = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(body["balance"], 1200);
        assert_eq!(body["currency"], "USD");
    }

    #[test]
    fn a_declined_card_is_409_with_the_processor_code_and_reason_only() {
        let p = refusal(
            "CARD_DECLINED",
            &[("code", "05"), ("reason", "Do not honor")],
        );
        assert_eq!(p.status, 409);
        assert_eq!(p.code.as_deref(), Some("05"));
        assert_eq!(p.reason.as_deref(), Some("Do not honor"));
        let body = serde_json::to_value(&p).unwrap_or_default();
        assert!(body.get("balance").is_none(), "{body}");
        assert!(body.get("currency").is_none(), "{body}");
    }

    #[test]
    fn renaming_fields_keeps_the_detail_of_a_problem_without_fields() {
        let p = Problem::from(tonic::Status::unavailable("billing is down"))
            .rename_fields(str::to_owned);
        assert_eq!(p.status, 503);
        assert_eq!(p.detail, "a service is unavailable; retry later");
        let mut p = Problem::field("street", "is required");
        p = p.rename_fields(|f| f.replace("street", "addressLine1"));
        assert_eq!(p.detail, "addressLine1: is required");
    }
}
