//! The gateway's tower stack. Layers run top to bottom for a request.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use std::sync::{Arc, Mutex};

use crate::AppState;
use crate::problem::REQUEST_ID;
use crate::ratelimit::Decision;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request body accepted; account documents are a few KiB.
pub const BODY_LIMIT: usize = 1 << 20;

pub fn app(state: AppState) -> Router {
    let timeout = state.request_timeout;
    let metrics_state = state.clone();
    crate::routes::router(state)
        // Prometheus text, outside the API documents.
        .route(
            "/metrics",
            axum::routing::get(move || crate::metrics::render(metrics_state.clone())),
        )
        .layer(
        ServiceBuilder::new()
            // 1. Every request gets an id (the client's X-Request-ID when it
            //    sends a sane one) so logs, problems and services agree on it.
            .layer(middleware::from_fn(sanitize_request_id))
            .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
            // 2. ...and the response echoes it.
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
            // 3. One span per request, carrying the id, for the logs.
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }))
            // 4. Problem documents read the id from here.
            .layer(middleware::from_fn(request_id_scope))
            // 5. Authenticated requests answer with their rate limit.
            .layer(middleware::from_fn(rate_limit_headers))
            // 6. XML for clients that prefer it (problems included).
            .layer(middleware::from_fn(crate::formats::negotiate))
            // 7. Idempotency-Key on creating POSTs, for the services.
            .layer(middleware::from_fn(crate::idempotency::layer))
            // 8. A backstop for work that outlives its deadline; the gRPC
            //    deadline set from the same value normally answers first (504).
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::GATEWAY_TIMEOUT, timeout + std::time::Duration::from_secs(1)))
            // 9. Bodies beyond what any route takes are refused unread.
            .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT)),
    )
}

/// Where the [`crate::auth::Caller`] extractor leaves its rate-limit
/// decision for [`rate_limit_headers`] to answer with.
#[derive(Clone, Default)]
pub struct RateSlot(Arc<Mutex<Option<Decision>>>);

impl RateSlot {
    pub fn put(&self, d: Decision) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(d);
    }

    fn take(&self) -> Option<Decision> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// `RateLimit-Policy` and `RateLimit` on every response to an
/// authenticated request, and `Retry-After` on a refusal.
async fn rate_limit_headers(mut req: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(d) = slot.take() {
        d.write_headers(res.headers_mut());
    }
    res
}

/// Drops a client-sent X-Request-ID that is too long or not printable, so
/// a fresh one is made instead of logging whatever a client sends.
async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let bad = req.headers().get(&X_REQUEST_ID).is_some_and(|v| {
        v.len() > 128
            || !v
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
    });
    if bad {
        req.headers_mut().remove(&X_REQUEST_ID);
    }
    next.run(req).await
}

pub async fn request_id_scope(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    REQUEST_ID.scope(id, next.run(req)).await
}
