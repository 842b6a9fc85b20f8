//! The gateway's tower stack. Layers run top to bottom for a request.

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use std::sync::Arc;
use std::time::Duration;

use crate::AppState;
use crate::problem::REQUEST_ID;
use crate::ratelimit::RateSlot;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn app(state: AppState, body_read_timeout: Duration, max_in_flight: u32) -> Router {
    let timeout = state.request_timeout;
    let metrics_state = state.clone();
    let routes = crate::routes::router(state)
        // Prometheus text, outside the API documents.
        .route(
            "/metrics",
            axum::routing::get(move || crate::metrics::render(metrics_state.clone())),
        );
    wrap(routes, timeout, body_read_timeout, max_in_flight)
}

/// `routes` under the gateway's stack: `timeout` is each request's
/// deadline, `body_read_timeout` a body's budget, `max_in_flight` how many
/// requests it serves at once before it sheds.
pub fn wrap(
    routes: Router,
    timeout: Duration,
    body_read_timeout: Duration,
    max_in_flight: u32,
) -> Router {
    // The body's budget ends before the deadline's backstop (step 7).
    let body_budget = body_read_timeout.min(timeout);
    let slots = Arc::new(tokio::sync::Semaphore::new(max_in_flight as usize));
    routes.layer(
        ServiceBuilder::new()
            // 1. Every request gets an id (the client's X-Request-ID when it
            //    sends a sane one) so logs, problems and services agree on it.
            .layer(middleware::from_fn(sanitize_request_id))
            .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
            // 2. ...and the response echoes it.
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
            // 3. One server span per request, continuing the client's trace
            //    when it sends a traceparent, carrying the id for the logs;
            //    and the request counters and latency histogram per route.
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(http_span)
                    .on_response(
                        |res: &Response, _latency: std::time::Duration, span: &tracing::Span| {
                            span.record(
                                "http.response.status_code",
                                i64::from(res.status().as_u16()),
                            );
                            if res.status().is_server_error() {
                                span.record("otel.status_code", "ERROR");
                            }
                        },
                    ),
            )
            .layer(middleware::from_fn(record_metrics))
            // 4. Problem documents read the id from here.
            .layer(middleware::from_fn(request_id_scope))
            // 4a. A handler that panics answers a 500 problem document
            //     (traced and counted above) and the process serves on.
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
            // 4b. Beyond `max_in_flight` requests at once, a request is
            //     answered 503 at once instead of queueing until every
            //     one misses its deadline; probes are never shed.
            .layer(middleware::from_fn(move |req: Request, next: Next| {
                shed(slots.clone(), req, next)
            }))
            // 5. Authenticated requests answer with their rate limit.
            .layer(middleware::from_fn(rate_limit_headers))
            // 6. XML for clients that prefer it (problems included, those
            //    of the steps below too).
            .layer(middleware::from_fn(crate::formats::negotiate))
            // 7. A backstop for work that outlives its deadline, around
            //    everything that reads the body or calls a service; the
            //    gRPC deadline set from the same value normally answers
            //    first (504).
            .layer(middleware::from_fn(move |req: Request, next: Next| {
                backstop(timeout + std::time::Duration::from_secs(1), req, next)
            }))
            // 8. Bodies beyond what any route takes are refused (413
            //    problem) before anything buffers them.
            .layer(middleware::from_fn(crate::body::limit))
            // 9. A body still arriving `BODY_READ_TIMEOUT_SECONDS` after
            //    its head is a slow client: 408, and the connection closes,
            //    as it does after any response that left the body unread.
            //    Its budget ends before step 7's, so a slow client is told
            //    408, never 504.
            .layer(middleware::from_fn(move |req: Request, next: Next| {
                crate::body::deadline(body_budget, req, next)
            }))
            // 10. Idempotency-Key on creating POSTs, for the services: the
            //     first step that buffers a body, inside the three above.
            .layer(middleware::from_fn(crate::idempotency::layer)),
    )
}

/// Step 4a's answer: the panic's message goes to the log, never to the
/// client.
fn panicked(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what, "a handler panicked");
    metrics::counter!("gateway_panics_total").increment(1);
    crate::problem::Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        .into_response()
}

/// Step 4b: a slot per request in flight, or a 503 with `Retry-After`.
/// Liveness and readiness stay outside, so a busy gateway is neither
/// restarted nor taken out of its Service for being busy.
async fn shed(slots: Arc<tokio::sync::Semaphore>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/health/") {
        return next.run(req).await;
    }
    let Ok(_slot) = slots.try_acquire() else {
        metrics::counter!("gateway_requests_shed_total").increment(1);
        let mut res = crate::problem::Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the gateway is serving as many requests as it can; retry shortly",
        )
        .into_response();
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return res;
    };
    next.run(req).await
}

/// The route template (`/v1/api/accounts/{id}`), never the path itself, so
/// labels stay bounded; requests no route matched share one label.
fn route_of(req: &Request) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
}

/// Methods outside the standard set share one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn http_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let method = method_label(req.method());
    let route = route_of(req);
    let span = tracing::info_span!(
        "http",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        http.route = %route,
        url.path = %req.uri().path(),
        http.response.status_code = tracing::field::Empty,
        request_id = %id,
        trace_id = tracing::field::Empty,
    );
    // The public edge: a client's traceparent is linked, not followed, so
    // no client chooses our trace ids or forces sampling.
    platform::telemetry::start_trace_linked(&span, req.headers());
    span
}

/// `http_server_requests_total{method,route,status}`,
/// `http_server_request_duration_seconds{method,route}` and
/// `http_server_requests_in_flight`.
async fn record_metrics(req: Request, next: Next) -> Response {
    let method = method_label(req.method());
    let route = route_of(&req).to_owned();
    let start = std::time::Instant::now();
    let _in_flight = InFlight::enter();
    let res = next.run(req).await;
    metrics::counter!(
        "http_server_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => res.status().as_u16().to_string(),
    )
    .increment(1);
    let elapsed = start.elapsed();
    // One access line per request, inside the request's span, so it carries
    // request_id and trace_id; probes and scrapes would only be noise.
    if !route.starts_with("/health/") && route != "/metrics" {
        tracing::info!(
            status = res.status().as_u16(),
            latency_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "request answered"
        );
    }
    metrics::histogram!(
        "http_server_request_duration_seconds",
        "method" => method,
        "route" => route,
    )
    .record(elapsed.as_secs_f64());
    res
}

/// `http_server_requests_in_flight`, counted down on drop: a request whose
/// client goes away is dropped, not finished, and must not stay counted.
struct InFlight(metrics::Gauge);

impl InFlight {
    fn enter() -> Self {
        let gauge = metrics::gauge!("http_server_requests_in_flight");
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
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

/// Answers a request still running `limit` after it came in with a 504
/// problem document (and drops its work), like every other 504.
async fn backstop(limit: std::time::Duration, req: Request, next: Next) -> Response {
    use axum::response::IntoResponse as _;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => crate::problem::Problem::new(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            "the request took longer than its deadline",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    fn request(path: &str) -> Request {
        Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("request")
    }

    fn stack(routes: Router, max_in_flight: u32) -> Router {
        wrap(
            routes,
            Duration::from_secs(5),
            Duration::from_secs(5),
            max_in_flight,
        )
    }

    #[tokio::test]
    async fn a_handler_that_panics_answers_a_500_problem_and_the_next_is_served() {
        async fn boom() -> &'static str {
            panic!("a bug in a handler")
        }
        let app = stack(
            Router::new()
                .route("/boom", get(boom))
                .route("/fine", get(|| async { "fine" })),
            8,
        );
        let res = app.clone().oneshot(request("/boom")).await.expect("answer");
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .expect("body");
        let problem: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(problem["status"], 500, "{problem}");
        assert!(
            !problem.to_string().contains("a bug in a handler"),
            "the panic's message stays in the log: {problem}"
        );
        let res = app.oneshot(request("/fine")).await.expect("answer");
        assert_eq!(res.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn beyond_its_slots_a_request_is_shed_with_503_and_probes_are_not() {
        let entered = Arc::new(tokio::sync::Notify::new());
        let (release, released) = tokio::sync::watch::channel(false);
        let inside = entered.clone();
        let slow = move || {
            let inside = inside.clone();
            let mut released = released.clone();
            async move {
                inside.notify_one();
                let _ = released.wait_for(|r| *r).await;
                "done"
            }
        };
        let app = stack(
            Router::new()
                .route("/slow", get(slow))
                .route("/health/live", get(|| async { "ok" })),
            1,
        );
        let first = tokio::spawn(app.clone().oneshot(request("/slow")));
        entered.notified().await;
        let shed = app.clone().oneshot(request("/slow")).await.expect("answer");
        assert_eq!(shed.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(shed.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            shed.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let live = app
            .clone()
            .oneshot(request("/health/live"))
            .await
            .expect("answer");
        assert_eq!(live.status(), StatusCode::OK);
        release.send(true).expect("the first request waits");
        let first = first.await.expect("joined").expect("answer");
        assert_eq!(first.status(), StatusCode::OK);
        // Its slot is free again.
        let _ = release.send(true);
        let again = app.oneshot(request("/slow")).await.expect("answer");
        assert_eq!(again.status(), StatusCode::OK);
    }
}
