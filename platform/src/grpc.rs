//! The gRPC server kit every service runs on, and client channels to peers.
//!
//! [`serve`] adds the gRPC health protocol and server reflection beside the
//! service, admits only callers that prove who they are
//! ([`crate::identity`]), serves on an already-bound listener (tests bind
//! port 0), and on shutdown reports NOT_SERVING first, then finishes
//! in-flight calls.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tracing::Instrument as _;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::transport::{Channel, Endpoint, Server};
use tonic_health::ServingStatus;

/// After `shutdown`, the server reports NOT_SERVING yet answers for `drain`
/// ([`crate::shutdown::drain_delay`] for a process of its own; zero when
/// nothing else calls it, as in the all-in-one stack once its gateway has
/// stopped), then stops accepting and finishes in-flight calls.
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    admission: Admission,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> anyhow::Result<()>
where
    S: tonic::codegen::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = Infallible,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    crate::metrics::install();
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(S::NAME, ServingStatus::Serving)
        .await;
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    // Each port lists what it serves, under both reflection versions
    // (grpcurl before 1.9 and grpcio's client ask v1alpha).
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(S::NAME)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection")
            .with_service_name("grpc.reflection.v1alpha.ServerReflection")
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let addr = listener.local_addr()?;
    tracing::info!(service = S::NAME, %addr, "gRPC server listening");
    let stopping = async move {
        shutdown.await;
        // Load balancers and the gateway's readiness stop sending new work.
        reporter
            .set_service_status(S::NAME, ServingStatus::NotServing)
            .await;
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        tracing::info!(
            service = S::NAME,
            ?drain,
            "gRPC server not serving; draining"
        );
        // New calls are still answered while callers notice.
        tokio::time::sleep(drain).await;
    };
    Server::builder()
        .layer(tower::layer::layer_fn(Observed))
        .layer(crate::identity::Admission::layer(
            admission.trust,
            admission.policy,
        ))
        // A peer that stops answering is noticed instead of hanging calls.
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopping)
        .await?;
    tracing::info!(service = S::NAME, "gRPC server stopped");
    Ok(())
}

/// Who a service admits: the callers it knows ([`crate::identity::Trust`])
/// and which of its methods each may call (its own
/// [`crate::identity::Policy`]).
#[derive(Clone, Debug)]
pub struct Admission {
    pub trust: crate::identity::Trust,
    pub policy: &'static crate::identity::Policy,
}

/// What a service's own binary does once its state is open: a metrics port
/// (`METRICS_ADDR`, for the life of the process), `serve` until SIGTERM or
/// Ctrl-C with the configured drain ([`crate::shutdown::drain_delay`]),
/// then the last spans flushed.
pub async fn run_binary<F, Fut>(
    telemetry: crate::telemetry::Telemetry,
    serve: F,
) -> anyhow::Result<()>
where
    F: FnOnce(Duration) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    crate::metrics::serve_from_env(crate::metrics::render, std::future::pending()).await?;
    let served = serve(crate::shutdown::drain_delay()).await;
    telemetry.shutdown();
    served
}

/// How often a peer's DNS name is resolved again, so new replicas get calls
/// and gone ones stop getting them.
const RESOLVE_EVERY: Duration = Duration::from_secs(5);

/// A lazily connecting channel to a peer service (`http://host:port`). A peer
/// that is down makes calls fail with UNAVAILABLE, which callers map to 503.
///
/// An IP address or `localhost` is one endpoint. Any other name (a headless
/// Kubernetes Service) is resolved now and every [`RESOLVE_EVERY`], and
/// calls are balanced over every address it returns: one HTTP/2 connection
/// per pod, instead of every call riding the one connection a ClusterIP
/// would pin. Must be called inside a Tokio runtime.
pub fn channel(url: &str) -> anyhow::Result<Channel> {
    let uri: http::Uri = url.parse()?;
    let host = uri
        .host()
        .ok_or_else(|| anyhow::anyhow!("{url}: no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(endpoint(url)?.connect_lazy());
    }
    let scheme = uri.scheme_str().unwrap_or("http").to_owned();
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    let name = format!("{host}:{port}");
    Ok(balanced(scheme, RESOLVE_EVERY, move || {
        let name = name.clone();
        async move { Ok(tokio::net::lookup_host(name).await?.collect()) }
    }))
}

fn endpoint(url: &str) -> anyhow::Result<Endpoint> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(2))
        .tcp_nodelay(true))
}

/// A channel balanced over whatever `resolve` answers, asked again every
/// `every`; the resolving task ends when the channel is dropped. A failed
/// lookup keeps the addresses known so far.
fn balanced<R, F>(scheme: String, every: Duration, resolve: R) -> Channel
where
    R: Fn() -> F + Send + 'static,
    F: Future<Output = std::io::Result<Vec<std::net::SocketAddr>>> + Send,
{
    use std::collections::HashSet;
    use tonic::transport::channel::Change;
    let (channel, changes) = Channel::balance_channel::<std::net::SocketAddr>(64);
    tokio::spawn(async move {
        let mut known = HashSet::new();
        let mut failing = false;
        loop {
            match resolve().await {
                Ok(addrs) => {
                    failing = false;
                    let now: HashSet<_> = addrs.into_iter().collect();
                    for addr in now.difference(&known) {
                        let Ok(ep) = endpoint(&format!("{scheme}://{addr}")) else {
                            continue;
                        };
                        if changes.send(Change::Insert(*addr, ep)).await.is_err() {
                            return;
                        }
                    }
                    for addr in known.difference(&now) {
                        if changes.send(Change::Remove(*addr)).await.is_err() {
                            return;
                        }
                    }
                    if now != known {
                        tracing::debug!(peers = ?now, "peer addresses changed");
                    }
                    known = now;
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "resolving a peer failed; keeping its known addresses");
                    }
                    failing = true;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = changes.closed() => return,
            }
        }
    });
    channel
}

/// A peer's channel whose every call is a client span carrying the trace on
/// (`traceparent`) and proves its caller (`signer`'s service token): what
/// services and the gateway call each other through.
pub type Peer = Traced<Channel>;

/// [`channel`], traced and signed by `signer`.
pub fn peer(url: &str, signer: &crate::identity::Signer) -> anyhow::Result<Peer> {
    Ok(Traced::new(channel(url)?, signer.clone()))
}

/// `/package.Service/Method` split into service and method.
fn rpc_names(path: &str) -> (&str, &str) {
    path.trim_start_matches('/')
        .split_once('/')
        .unwrap_or(("unknown", "unknown"))
}

/// The gRPC status a response carries in its headers: a trailers-only
/// answer (every error of a unary call) has it there; a message answer has
/// it in the trailers, where it is OK for every unary call of ours.
fn status_code<B>(res: &http::Response<B>) -> tonic::Code {
    res.headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Health checks and reflection are probes, not work: counted, not traced.
fn is_probe(service: &str) -> bool {
    service.starts_with("grpc.")
}

pub(crate) type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// The server side of every call: a server span continuing the caller's
/// trace, the request counter and latency histogram per method, and the
/// caller's deadline. A call still running when its `grpc-timeout` passes
/// is stopped there (its future dropped, so an open transaction rolls back)
/// and answered DEADLINE_EXCEEDED: no work outlives the caller's wait. A
/// call whose caller goes away first is counted as CANCELLED, or as
/// DEADLINE_EXCEEDED when its deadline had passed, so the metrics see every
/// call, answered or not.
#[derive(Clone, Debug)]
pub struct Observed<S>(S);

impl<S, B, RB> tower::Service<http::Request<B>> for Observed<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let (service, method) = rpc_names(req.uri().path());
        let (service, method) = (service.to_owned(), method.to_owned());
        let span = if is_probe(&service) {
            tracing::Span::none()
        } else {
            let request_id = req
                .headers()
                .get(crate::context::REQUEST_ID_KEY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let span = tracing::info_span!(
                "grpc.server",
                otel.name = format!("{service}/{method}"),
                otel.kind = "server",
                otel.status_code = tracing::field::Empty,
                rpc.system = "grpc",
                rpc.service = %service,
                rpc.method = %method,
                rpc.grpc.status_code = tracing::field::Empty,
                request_id = %request_id,
                trace_id = tracing::field::Empty,
            );
            crate::telemetry::continue_trace(&span, req.headers());
            span
        };
        let wait = req
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::context::parse_grpc_timeout);
        let start = Instant::now();
        let call = {
            let _entered = span.enter();
            self.0.call(req)
        };
        Box::pin(
            async move {
                let mut outcome = Outcome {
                    service,
                    method,
                    start,
                    deadline: wait.map(|w| start + w),
                    answered: false,
                };
                let res = match wait {
                    Some(wait) => match tokio::time::timeout(wait, call).await {
                        Ok(res) => res,
                        Err(_) => Ok(tonic::Status::deadline_exceeded(
                            "the caller's deadline passed before the call finished",
                        )
                        .into_http()),
                    },
                    None => call.await,
                };
                let code = match &res {
                    Ok(r) => status_code(r),
                    Err(_) => tonic::Code::Internal,
                };
                let span = tracing::Span::current();
                span.record("rpc.grpc.status_code", i64::from(code as i32));
                if matches!(
                    code,
                    tonic::Code::Unknown
                        | tonic::Code::DeadlineExceeded
                        | tonic::Code::Unimplemented
                        | tonic::Code::Internal
                        | tonic::Code::Unavailable
                        | tonic::Code::DataLoss
                ) {
                    span.record("otel.status_code", "ERROR");
                }
                outcome.record(code);
                res
            }
            .instrument(span),
        )
    }
}

/// One server call's metrics, recorded once: with the code it answered, or,
/// if its future is dropped unanswered (the caller went away), when dropped.
struct Outcome {
    service: String,
    method: String,
    start: Instant,
    deadline: Option<Instant>,
    answered: bool,
}

impl Outcome {
    fn record(&mut self, code: tonic::Code) {
        self.answered = true;
        // A service or method the server does not have is one label,
        // whatever name a caller made up; so is every call refused before
        // routing for want of credentials, whose path anyone can invent.
        let (service, method) = if matches!(
            code,
            tonic::Code::Unimplemented | tonic::Code::Unauthenticated
        ) {
            ("other".to_owned(), "other".to_owned())
        } else {
            (self.service.clone(), self.method.clone())
        };
        metrics::counter!(
            "grpc_server_requests_total",
            "service" => service.clone(),
            "method" => method.clone(),
            "code" => code_name(code),
        )
        .increment(1);
        metrics::histogram!(
            "grpc_server_request_duration_seconds",
            "service" => service,
            "method" => method,
        )
        .record(self.start.elapsed().as_secs_f64());
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !self.answered {
            let code = if self.deadline.is_some_and(|d| Instant::now() >= d) {
                tonic::Code::DeadlineExceeded
            } else {
                tonic::Code::Cancelled
            };
            self.record(code);
        }
    }
}

/// How long past its deadline a call may wait for a peer instance before
/// [`Traced`] gives up; calls without a deadline wait this long in all.
const NO_DEADLINE_CAP: Duration = Duration::from_secs(60);

/// The client side of every call: a client span, whose `traceparent` goes
/// out in the call's metadata so the server's span becomes its child.
///
/// It also bounds the wait for a peer instance. tonic enforces a call's
/// deadline inside each endpoint's connection; a balanced channel with no
/// endpoint (a headless Service with no ready pod) would hold the call in its
/// queue for ever. A call that gets no answer by its deadline (plus a little,
/// so the connection's own timeout answers first when there is one) fails
/// UNAVAILABLE.
///
/// Every call goes out with the caller's service token, and an assertion for
/// the principal it carries if it has none yet ([`crate::identity`]).
#[derive(Clone, Debug)]
pub struct Traced<S> {
    inner: S,
    signer: crate::identity::Signer,
}

impl<S> Traced<S> {
    pub fn new(inner: S, signer: crate::identity::Signer) -> Self {
        Self { inner, signer }
    }
}

impl<S, B, RB> tower::Service<http::Request<B>> for Traced<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Into<tonic::codegen::StdError> + Send + 'static,
    RB: Send + 'static,
{
    type Response = S::Response;
    type Error = tonic::codegen::StdError;
    type Future = BoxFuture<S::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let (service, method) = rpc_names(req.uri().path());
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = format!("{service}/{method}"),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        let wait = req
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::context::parse_grpc_timeout)
            .map_or(NO_DEADLINE_CAP, |d| d + Duration::from_millis(250));
        let service = service.to_owned();
        crate::telemetry::inject(&span, req.headers_mut());
        self.signer.sign(&mut req);
        let call = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        Box::pin(
            async move {
                let res = match tokio::time::timeout(wait, call).await {
                    // A connection that breaks under a call (the peer was
                    // killed, a reset) is the peer being unavailable, which
                    // callers answer 503 and retry; tonic would call it
                    // UNKNOWN "transport error", which reads as our bug.
                    // What tonic knows (a deadline that expired stays
                    // CANCELLED, which callers answer 504) is kept.
                    Ok(res) => res.map_err(|e| {
                        let status = tonic::Status::from_error(e.into());
                        let status = if status.code() == tonic::Code::Unknown {
                            tonic::Status::unavailable(format!(
                                "{service} is unavailable: {}",
                                status.message()
                            ))
                        } else {
                            status
                        };
                        Box::new(status) as tonic::codegen::StdError
                    }),
                    // Only a call no instance took gets here (a connection's
                    // own deadline answers first): the peer is unavailable
                    // (503, retry), not slow.
                    Err(_) => Err(Box::new(tonic::Status::unavailable(format!(
                        "no instance of {service} answered within the deadline"
                    ))) as tonic::codegen::StdError),
                };
                let span = tracing::Span::current();
                match &res {
                    Ok(r) => {
                        let code = status_code(r);
                        span.record("rpc.grpc.status_code", i64::from(code as i32));
                        if code != tonic::Code::Ok {
                            span.record("otel.status_code", "ERROR");
                        }
                    }
                    Err(_) => {
                        span.record("otel.status_code", "ERROR");
                    }
                }
                res
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    /// A call still running at its `grpc-timeout` is stopped there and
    /// answered DEADLINE_EXCEEDED; one that finishes in time is untouched.
    #[tokio::test]
    async fn a_call_past_its_deadline_is_stopped_and_answered_deadline_exceeded() {
        use tower::{Service as _, ServiceExt as _};
        let finished = Arc::new(Mutex::new(false));
        let seen = finished.clone();
        let slow = tower::service_fn(move |_req: http::Request<()>| {
            let seen = seen.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                *seen.lock().unwrap() = true;
                Ok::<_, Infallible>(http::Response::new(Body::default()))
            }
        });
        let mut observed = Observed(slow);
        let call = |timeout: &str| {
            http::Request::builder()
                .uri("/partner.test.v1.Test/Slow")
                .header("grpc-timeout", timeout)
                .body(())
                .unwrap()
        };
        let res = observed
            .ready()
            .await
            .unwrap()
            .call(call("50m"))
            .await
            .unwrap();
        assert_eq!(status_code(&res), tonic::Code::DeadlineExceeded);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            !*finished.lock().unwrap(),
            "the work went on past the deadline"
        );
        let res = observed
            .ready()
            .await
            .unwrap()
            .call(call("5S"))
            .await
            .unwrap();
        assert_eq!(status_code(&res), tonic::Code::Ok);
        assert!(*finished.lock().unwrap());
    }

    /// A health server on its own port reporting `status` for service "x".
    async fn replica(status: ServingStatus) -> std::net::SocketAddr {
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter.set_service_status("x", status).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _keep = reporter;
            Server::builder()
                .add_service(health)
                .serve_with_incoming(TcpListenerStream::new(listener))
                .await
        });
        addr
    }

    async fn statuses(client: &mut HealthClient<Channel>, n: usize) -> Vec<i32> {
        let mut out = vec![];
        for _ in 0..n {
            let r = client
                .check(HealthCheckRequest {
                    service: "x".into(),
                })
                .await
                .unwrap();
            out.push(r.into_inner().status);
        }
        out
    }

    #[tokio::test]
    async fn calls_spread_over_every_address_and_follow_changes() {
        let serving = replica(ServingStatus::Serving).await;
        let other = replica(ServingStatus::NotServing).await;
        let answer = Arc::new(Mutex::new(vec![serving, other]));
        let dns = answer.clone();
        let channel = balanced("http".into(), Duration::from_millis(50), move || {
            let addrs = dns.lock().unwrap().clone();
            async move { Ok(addrs) }
        });
        let mut client = HealthClient::new(channel);
        // Both replicas answer: the balancer picks the less loaded of two
        // random ones, so 60 sequential calls reach both.
        let seen = statuses(&mut client, 60).await;
        assert!(seen.contains(&(ServingStatus::Serving as i32)), "{seen:?}");
        assert!(
            seen.contains(&(ServingStatus::NotServing as i32)),
            "{seen:?}"
        );
        // One replica leaves the answer: after a resolution, none go there.
        answer.lock().unwrap().retain(|a| *a == serving);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let seen = statuses(&mut client, 20).await;
        assert!(
            seen.iter().all(|s| *s == ServingStatus::Serving as i32),
            "{seen:?}"
        );
    }

    #[tokio::test]
    async fn a_call_with_no_instance_to_go_to_fails_after_its_deadline() {
        let channel = balanced("http".into(), Duration::from_millis(50), || async {
            Ok(vec![])
        });
        let signer = crate::identity::Signer::generate("test").unwrap().0;
        let mut client = HealthClient::new(Traced::new(channel, signer));
        let mut req = tonic::Request::new(HealthCheckRequest {
            service: "x".into(),
        });
        req.set_timeout(Duration::from_millis(100));
        let err = tokio::time::timeout(Duration::from_secs(5), client.check(req))
            .await
            .expect("the call is not held for ever")
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unavailable, "{err:?}");
    }

    #[test]
    fn method_paths_split_into_service_and_method() {
        assert_eq!(
            rpc_names("/partner.account.v1.AccountService/GetCustomer"),
            ("partner.account.v1.AccountService", "GetCustomer")
        );
        assert_eq!(rpc_names("/nonsense"), ("unknown", "unknown"));
    }
}
