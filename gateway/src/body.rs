//! The request body's limits, applied before anything buffers it
//! ([`crate::layers`], steps 8 and 9): its size, and the time it may take
//! to arrive.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use http_body::{Frame, SizeHint};

use crate::problem::Problem;

/// The longest request body accepted; account documents are a few KiB.
pub const BODY_LIMIT: usize = 1 << 20;

/// A body declared larger than [`BODY_LIMIT`] is answered 413 unread; one
/// that turns out larger while it is read fails its reader, which answers
/// the same 413 ([`crate::extract`]).
pub async fn limit(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        let mut res = Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is over {BODY_LIMIT} bytes"),
        )
        .into_response();
        // The body stays unread: on HTTP/1 the connection cannot go on.
        if req.version() < Version::HTTP_2 {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        return res;
    }
    next.run(req.map(|b| Body::new(http_body_util::Limited::new(b, BODY_LIMIT))))
        .await
}

/// What became of a request body, seen by [`deadline`] once the
/// response is made.
#[derive(Default)]
struct BodyFate {
    /// Read to its end: the connection can take the next request.
    finished: AtomicBool,
    /// Still arriving when its budget ran out.
    timed_out: AtomicBool,
}

/// Gives the request's body `budget` from its head to arrive whole (a
/// budget, not a minimum rate: bodies here are a few KiB, so a client that
/// needs longer is stalling, and a rate low enough for honest clients
/// would let a 1 MiB trickle hold a request for minutes).
/// A body that overruns it answers 408 whatever the handler made of the
/// read error. A response that leaves the body unread says
/// `Connection: close` on HTTP/1, since hyper then closes the connection
/// rather than read what is left (HTTP/2 has no such header, and closes
/// only the stream).
pub async fn deadline(budget: Duration, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let http1 = req.version() < Version::HTTP_2;
    let fate = Arc::new(BodyFate::default());
    let deadline = tokio::time::Instant::now() + budget;
    let req = req.map(|inner| {
        Body::new(TimedBody {
            inner,
            deadline,
            sleep: None,
            fate: fate.clone(),
        })
    });
    let mut res = next.run(req).await;
    if fate.timed_out.load(Ordering::Relaxed) {
        metrics::counter!("gateway_body_read_timeouts_total").increment(1);
        tracing::info!(?budget, "request body too slow");
        res = Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s",
                budget.as_secs()
            ),
        )
        .into_response();
    }
    if http1 && !fate.finished.load(Ordering::Relaxed) {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// A request body that fails once it waits for the client past `deadline`.
/// A frame already received is always handed on: only waiting is timed.
struct TimedBody {
    inner: Body,
    deadline: tokio::time::Instant,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    fate: Arc<BodyFate>,
}

/// The error a [`TimedBody`] reads as.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyReadTimeout;

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if frame.is_none() || this.inner.is_end_stream() {
                    this.fate.finished.store(true, Ordering::Relaxed);
                }
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let deadline = this.deadline;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.fate.timed_out.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(axum::Error::new(BodyReadTimeout))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt as _;

    fn app() -> Router {
        Router::new()
            .route(
                "/echo",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .layer(axum::middleware::from_fn(limit))
    }

    fn post_of(len: usize, declared: bool) -> Request {
        let mut b = Request::builder().method("POST").uri("/echo");
        if declared {
            b = b.header(header::CONTENT_LENGTH, len);
        }
        b.body(Body::from(vec![b'x'; len])).expect("request")
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_413_problem_declared_or_not() {
        let declared = app()
            .oneshot(post_of(BODY_LIMIT + 1, true))
            .await
            .expect("answer");
        assert_eq!(declared.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            declared.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(declared.headers()[header::CONNECTION], "close");
        let streamed = app()
            .oneshot(post_of(BODY_LIMIT + 1, false))
            .await
            .expect("answer");
        assert_eq!(streamed.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let fits = app()
            .oneshot(post_of(BODY_LIMIT, true))
            .await
            .expect("answer");
        assert_eq!(fits.status(), StatusCode::OK);
    }
}
