//! `Idempotency-Key` on creating POSTs: the gateway checks the key, hashes
//! the request (method, path, body with its member names normalised) and
//! hands both to the service that owns what the request creates, which keeps
//! them with what it creates (`platform::idempotency`). A replayed answer is
//! marked `Idempotent-Replayed: true`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Digest as _;

use crate::problem::Problem;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// The longest key accepted.
pub const MAX_LEN: usize = 255;

/// The key and hash of the request being served, for `Caller`.
#[derive(Clone, Debug)]
pub struct RequestKey {
    pub key: String,
    pub hash: String,
}

tokio::task_local! {
    /// Set by [`Replay`] when a service answered from a kept answer.
    static REPLAYED_FLAG: Cell<bool>;
}

/// Whether `key` is one the API takes: 1 to 255 visible ASCII characters.
pub fn valid(key: &str) -> bool {
    (1..=MAX_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// For POSTs under `/v1/` and `/v2/` with a key: checks it, hashes the
/// request for the services, and marks a replayed answer.
pub async fn layer(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let applies =
        req.method() == Method::POST && (path.starts_with("/v1/") || path.starts_with("/v2/"));
    let Some(value) = req.headers().get(HEADER).filter(|_| applies).cloned() else {
        return next.run(req).await;
    };
    let Some(key) = value.to_str().ok().filter(|k| valid(k)).map(str::to_owned) else {
        return Problem::field(
            "Idempotency-Key",
            format!("must be 1 to {MAX_LEN} visible ASCII characters"),
        )
        .into_response();
    };
    let (mut parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::body::BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            return Problem::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
                .into_response();
        }
    };
    let hash = request_hash(&parts.method, &path, parts.uri.query(), &bytes);
    parts.extensions.insert(RequestKey { key, hash });
    let req = Request::from_parts(parts, Body::from(bytes));
    let (replayed, mut res) = REPLAYED_FLAG
        .scope(Cell::new(false), async {
            let res = next.run(req).await;
            (REPLAYED_FLAG.with(Cell::get), res)
        })
        .await;
    if replayed {
        res.headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    res
}

/// SHA-256 over what the request asks. A JSON body is hashed in canonical
/// form (members sorted, PascalCase names as camelCase), so the same
/// document sent with other whitespace, order or spelling is the same
/// request.
fn request_hash(method: &Method, path: &str, query: Option<&str>, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| crate::formats::camel_case_members(v).ok())
        .and_then(|v| serde_json::to_vec(&v).ok());
    let mut h = sha2::Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"?");
    h.update(query.unwrap_or("").as_bytes());
    h.update(b"\n");
    h.update(canonical.as_deref().unwrap_or(body));
    hex::encode(h.finalize())
}

/// Wraps a gRPC channel: an answer carrying the service's replay mark sets
/// the flag [`layer`] turns into `Idempotent-Replayed`.
#[derive(Clone, Debug)]
pub struct Replay<S>(pub S);

impl<S, B, RB> tower::Service<axum::http::Request<B>> for Replay<S>
where
    S: tower::Service<axum::http::Request<B>, Response = axum::http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let call = self.0.call(req);
        Box::pin(async move {
            let res = call.await?;
            if res
                .headers()
                .contains_key(platform::idempotency::REPLAYED_HEADER)
            {
                // Outside a keyed request there is no flag to set.
                let _ = REPLAYED_FLAG.try_with(|f| f.set(true));
            }
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid("a"));
        assert!(valid(&"k".repeat(255)));
        assert!(!valid(""));
        assert!(!valid(&"k".repeat(256)));
        assert!(!valid("has space"));
        assert!(!valid("ключ"));
    }

    #[test]
    fn the_same_document_hashes_alike_whatever_its_spelling() {
        let a = request_hash(
            &Method::POST,
            "/v2/api/accounts",
            None,
            br#"{"general":{"accountName":"x"},"planName":"starter"}"#,
        );
        let b = request_hash(
            &Method::POST,
            "/v2/api/accounts",
            None,
            br#"{ "PlanName": "starter", "General": {"AccountName": "x"} }"#,
        );
        let c = request_hash(
            &Method::POST,
            "/v2/api/accounts",
            None,
            br#"{"general":{"accountName":"y"},"planName":"starter"}"#,
        );
        let d = request_hash(
            &Method::POST,
            "/v1/api/accounts",
            None,
            br#"{"general":{"accountName":"x"},"planName":"starter"}"#,
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
