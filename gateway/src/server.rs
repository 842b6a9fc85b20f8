//! The gateway's accept loop (in place of `axum::serve`, which offers no
//! timeouts and no connection cap): each connection is served by hyper-util
//! (HTTP/1.1, or HTTP/2 with prior knowledge) under a watchdog that closes
//! it when a client is slow to send a request's head
//! (`HEADER_READ_TIMEOUT_SECONDS`) or leaves it idle between requests
//! (`IDLE_TIMEOUT_SECONDS`); at most `MAX_CONNECTIONS` are open at once, and
//! one more is answered `503` on the socket and closed. Slow request bodies
//! (`BODY_READ_TIMEOUT_SECONDS`) are a request's matter, judged in
//! [`crate::layers`].

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, Version};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt as _;

/// The connection settings, read from the environment once at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// `HEADER_READ_TIMEOUT_SECONDS`: how long a client has to send a
    /// request's complete head, from the connection's opening for its first
    /// request and from the first byte for the later ones.
    pub header_read_timeout: Duration,
    /// `IDLE_TIMEOUT_SECONDS`: how long a connection may stay open with no
    /// request in flight and nothing sent.
    pub idle_timeout: Duration,
    /// `BODY_READ_TIMEOUT_SECONDS`: how long a request's whole body may take
    /// to arrive, from its head; never more than the request's deadline.
    pub body_read_timeout: Duration,
    /// `MAX_CONNECTIONS`: open connections this process serves at once.
    pub max_connections: u32,
    /// `MAX_IN_FLIGHT_REQUESTS`: requests served at once; more are shed
    /// with a 503 ([`crate::layers`], step 4b).
    pub max_in_flight: u32,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_in_flight: 1024,
        }
    }
}

/// The longest timeout accepted: an hour already keeps slow clients far
/// longer than any request lives.
const MAX_TIMEOUT_SECONDS: u64 = 3600;
/// Beyond this the file-descriptor limit, not this cap, decides.
const MAX_MAX_CONNECTIONS: u64 = 1_000_000;

impl ConnLimits {
    /// The settings from the environment, each defaulting as documented; a
    /// value that is not a whole number in range stops start-up naming its
    /// variable.
    pub fn from_env() -> anyhow::Result<Self> {
        let d = Self::default();
        Ok(Self {
            header_read_timeout: seconds("HEADER_READ_TIMEOUT_SECONDS", d.header_read_timeout)?,
            idle_timeout: seconds("IDLE_TIMEOUT_SECONDS", d.idle_timeout)?,
            body_read_timeout: seconds("BODY_READ_TIMEOUT_SECONDS", d.body_read_timeout)?,
            max_connections: u32::try_from(number(
                "MAX_CONNECTIONS",
                platform::config::var("MAX_CONNECTIONS").as_deref(),
                u64::from(d.max_connections),
                MAX_MAX_CONNECTIONS,
            )?)?,
            max_in_flight: u32::try_from(number(
                "MAX_IN_FLIGHT_REQUESTS",
                platform::config::var("MAX_IN_FLIGHT_REQUESTS").as_deref(),
                u64::from(d.max_in_flight),
                MAX_MAX_CONNECTIONS,
            )?)?,
        })
    }
}

fn seconds(name: &str, default: Duration) -> anyhow::Result<Duration> {
    let value = platform::config::var(name);
    number(
        name,
        value.as_deref(),
        default.as_secs(),
        MAX_TIMEOUT_SECONDS,
    )
    .map(Duration::from_secs)
}

/// `value` as a whole number from 1 to `max`, or `default` when unset.
fn number(name: &str, value: Option<&str>, default: u64, max: u64) -> anyhow::Result<u64> {
    let Some(value) = value else {
        return Ok(default);
    };
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            anyhow::anyhow!("{name} must be a whole number from 1 to {max}, not {value:?}")
        })
}

/// Accepts connections on `listener` and serves `app` on each until
/// `shutdown` resolves; then stops accepting, asks every connection to
/// close after its requests in flight, and returns once all are closed.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    register_series();
    let builder = Arc::new(builder(&limits));
    let open = Arc::new(Semaphore::new(limits.max_connections as usize));
    let refuser = Refuser::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                if !accept_failed(&e, shutdown.as_mut()).await {
                    break;
                }
                continue;
            }
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refuser.refuse(stream);
            continue;
        };
        let conn = Conn {
            builder: builder.clone(),
            app: app.clone(),
            peer,
            limits,
            stop: stop_rx.clone(),
        };
        tokio::spawn(conn.serve(stream, permit));
    }
    drop(listener);
    stop_tx.send_replace(true);
    // Every open connection holds a permit: holding them all means every
    // connection has closed.
    let _ = open.acquire_many(limits.max_connections).await;
    refuser.finished().await;
}

/// The series this module and the body deadline
/// ([`crate::layers`]) count, shown as 0 from the start rather than absent
/// until the first event.
fn register_series() {
    for name in [
        "gateway_connections_refused_total",
        "gateway_header_read_timeouts_total",
        "gateway_body_read_timeouts_total",
    ] {
        metrics::counter!(name).increment(0);
    }
    metrics::gauge!("gateway_connections_open").increment(0.0);
}

/// hyper's settings. hyper's own HTTP/1 header timeout is off: it also runs
/// while a keep-alive connection waits for its next request, which would
/// cut every idle connection at the header timeout; [`Conn`] times both.
fn builder(limits: &ConnLimits) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1().timer(TokioTimer::new()).header_read_timeout(None);
    // HTTP/2 pings find peers that vanished without closing; a live peer
    // answers a ping as quickly as it would send a request's head.
    b.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.idle_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    b
}

/// Logs an accept failure and tells whether to go on accepting: after
/// running out of file descriptors (or another resource), a pause instead of
/// a busy loop; resources come back as connections close.
async fn accept_failed(e: &std::io::Error, shutdown: Pin<&mut impl Future<Output = ()>>) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    // A client that went away before it was accepted: nothing to wait for.
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return true;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in 1 s");
    tokio::select! {
        () = shutdown => false,
        () = tokio::time::sleep(Duration::from_secs(1)) => true,
    }
}

/// Answers connections beyond `MAX_CONNECTIONS` with a 503 problem on the
/// socket. A few tasks at a time write it and wait for the client to finish
/// sending (closing with unread input sends a TCP reset, which may destroy
/// the answer before the client reads it); past them, one non-blocking write
/// and close, so a flood of connections costs no more than accepting it.
struct Refuser {
    slots: Arc<Semaphore>,
    response: Bytes,
}

/// Refusals answered by a task at once.
const REFUSAL_TASKS: u32 = 64;
/// How long a refused client has to read its answer and close.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

impl Refuser {
    fn new() -> Self {
        Self {
            slots: Arc::new(Semaphore::new(REFUSAL_TASKS as usize)),
            response: refusal_response(),
        }
    }

    fn refuse(&self, stream: TcpStream) {
        metrics::counter!("gateway_connections_refused_total").increment(1);
        tracing::debug!("connection refused: MAX_CONNECTIONS reached");
        match self.slots.clone().try_acquire_owned() {
            Ok(slot) => {
                tokio::spawn(answer_and_linger(stream, self.response.clone(), slot));
            }
            Err(_) => {
                let _ = stream.try_write(&self.response);
            }
        }
    }

    async fn finished(&self) {
        let _ = self.slots.acquire_many(REFUSAL_TASKS).await;
    }
}

async fn answer_and_linger(mut stream: TcpStream, response: Bytes, _slot: OwnedSemaphorePermit) {
    let answered = async {
        stream.write_all(&response).await?;
        stream.shutdown().await?;
        let mut sink = [0_u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_LINGER, answered).await;
}

/// The whole HTTP/1.1 answer to a refused connection: a problem document
/// like every other (no request id: no request was read).
fn refusal_response() -> Bytes {
    let problem = crate::problem::Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the gateway has too many open connections; retry later",
    );
    let body = serde_json::to_string(&problem).unwrap_or_default();
    Bytes::from(format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         content-type: application/problem+json\r\n\
         content-length: {}\r\n\
         retry-after: 1\r\n\
         connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    ))
}

/// One accepted connection and what serving it needs.
struct Conn {
    builder: Arc<auto::Builder<TokioExecutor>>,
    app: Router,
    peer: SocketAddr,
    limits: ConnLimits,
    stop: watch::Receiver<bool>,
}

/// Why the watchdog closes a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expiry {
    /// A request's head did not arrive in time: closed at once.
    Head,
    /// Nothing in flight for too long: asked to close (HTTP/2 sends
    /// GOAWAY), and closed if it has not after [`ConnLimits::header_read_timeout`].
    Idle,
}

/// What the watchdog does when its deadline passes.
enum Step {
    /// The deadline moved on meanwhile.
    Wait,
    AskToClose,
    Close,
}

impl Conn {
    /// Serves the connection until it ends or the watchdog ends it; the
    /// permit counts it open until then.
    async fn serve(self, stream: TcpStream, _permit: OwnedSemaphorePermit) {
        let _open = OpenConnection::enter();
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            io: stream,
            activity: activity.clone(),
        });
        let service = ConnService {
            app: self.app.clone(),
            peer: self.peer,
            activity: activity.clone(),
        };
        let builder = self.builder.clone();
        let mut conn = pin!(builder.serve_connection(io, service));
        let mut stop = self.stop.clone();
        let mut stopping = false;
        // Set once an idle connection was asked to close.
        let mut closing_since: Option<Instant> = None;
        loop {
            let deadline = activity.deadline(&self.limits, closing_since);
            tokio::select! {
                served = conn.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(peer = %self.peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = activity.wake.notified() => {}
                () = sleep_until(deadline) => match self.on_deadline(&activity, closing_since) {
                    Step::Wait => {}
                    Step::AskToClose => {
                        closing_since = Some(Instant::now());
                        conn.as_mut().graceful_shutdown();
                    }
                    // Dropping the connection closes the socket.
                    Step::Close => return,
                },
                _ = stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }

    fn on_deadline(&self, activity: &Activity, closing_since: Option<Instant>) -> Step {
        match activity.expired(&self.limits, closing_since, Instant::now()) {
            None => Step::Wait,
            Some(Expiry::Head) => {
                metrics::counter!("gateway_header_read_timeouts_total").increment(1);
                tracing::debug!(peer = %self.peer, "connection closed: request head too slow");
                Step::Close
            }
            Some(Expiry::Idle) if closing_since.is_some() => Step::Close,
            Some(Expiry::Idle) => Step::AskToClose,
        }
    }
}

/// `gateway_connections_open`, counted down on drop.
struct OpenConnection(metrics::Gauge);

impl OpenConnection {
    fn enter() -> Self {
        let gauge = metrics::gauge!("gateway_connections_open");
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// What a connection is waiting for, kept by its reads and its requests.
struct Activity {
    state: Mutex<State>,
    /// Wakes the watchdog when its deadline moves earlier or appears.
    wake: Notify,
}

struct State {
    wait: Wait,
    /// HTTP/2 sends frames (pings, settings) between requests, so on it a
    /// byte does not start a request's head.
    h2: bool,
}

#[derive(Clone, Copy, Debug)]
enum Wait {
    /// For a request's head: since the connection opened (the first
    /// request) or since the first byte after the last request.
    Head(Instant),
    /// No request in flight and nothing received since the last one.
    Idle(Instant),
    /// This many requests in flight (HTTP/2 streams, or one HTTP/1 request
    /// whose response is still being written).
    Busy(usize),
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new(State {
                wait: Wait::Head(Instant::now()),
                h2: false,
            }),
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bytes_arrived(&self) {
        let mut s = self.lock();
        if let (Wait::Idle(_), false) = (s.wait, s.h2) {
            s.wait = Wait::Head(Instant::now());
            drop(s);
            self.wake.notify_one();
        }
    }

    fn request_started(self: &Arc<Self>, version: Version) -> InFlight {
        let mut s = self.lock();
        s.h2 |= version == Version::HTTP_2;
        s.wait = match s.wait {
            Wait::Busy(n) => Wait::Busy(n + 1),
            Wait::Head(_) | Wait::Idle(_) => Wait::Busy(1),
        };
        InFlight(self.clone())
    }

    fn request_finished(&self) {
        let mut s = self.lock();
        s.wait = match s.wait {
            Wait::Busy(n) if n > 1 => Wait::Busy(n - 1),
            _ => Wait::Idle(Instant::now()),
        };
        drop(s);
        self.wake.notify_one();
    }

    /// When the watchdog must look again; `None` while requests are in
    /// flight (their own deadlines bound them).
    fn deadline(&self, limits: &ConnLimits, closing_since: Option<Instant>) -> Option<Instant> {
        match self.lock().wait {
            Wait::Busy(_) => None,
            Wait::Head(t) => Some(t + limits.header_read_timeout),
            Wait::Idle(t) => Some(match closing_since {
                Some(c) => c + limits.header_read_timeout,
                None => t + limits.idle_timeout,
            }),
        }
    }

    fn expired(
        &self,
        limits: &ConnLimits,
        closing_since: Option<Instant>,
        now: Instant,
    ) -> Option<Expiry> {
        let deadline = self.deadline(limits, closing_since)?;
        if now < deadline {
            return None;
        }
        match self.lock().wait {
            Wait::Head(_) => Some(Expiry::Head),
            Wait::Idle(_) => Some(Expiry::Idle),
            Wait::Busy(_) => None,
        }
    }
}

/// A request in flight, until its response has been written (or dropped).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The socket, telling [`Activity`] when bytes arrive.
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The app as hyper calls it on one connection: each request carries the
/// peer's address (`ConnectInfo`, as `into_make_service_with_connect_info`
/// gave it) and counts as in flight until its response is written.
#[derive(Clone)]
struct ConnService {
    app: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.request_started(req.version());
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let answered = self.app.clone().oneshot(req);
        Box::pin(async move {
            let res = answered.await?;
            Ok(res.map(|inner| {
                Body::new(Tracked {
                    inner,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// A response body holding its request in flight until hyper drops it.
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
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

    #[test]
    fn unset_variables_take_their_defaults() {
        assert_eq!(number("X", None, 10, 3600).ok(), Some(10));
    }

    #[test]
    fn a_value_must_be_a_whole_number_in_range_and_the_error_names_the_variable() {
        assert_eq!(number("X", Some(" 2 "), 10, 3600).ok(), Some(2));
        for bad in ["0", "-1", "1.5", "ten", "3601"] {
            let e = number("IDLE_TIMEOUT_SECONDS", Some(bad), 60, 3600)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.starts_with("IDLE_TIMEOUT_SECONDS must be"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_refusal_is_a_complete_http_answer_that_closes() {
        let text = String::from_utf8(refusal_response().to_vec()).unwrap_or_default();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(head.contains("\r\nretry-after: 1"), "{head}");
        assert!(
            head.contains(&format!("\r\ncontent-length: {}", body.len())),
            "{head}"
        );
        let problem: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(problem["status"], 503, "{body}");
        assert_eq!(problem["title"], "Service Unavailable", "{body}");
    }

    fn limits() -> ConnLimits {
        ConnLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ..ConnLimits::default()
        }
    }

    /// The deadline lies between `header/idle + before` and `+ after`.
    fn within(deadline: Option<Instant>, wait: Duration, before: Instant, after: Instant) -> bool {
        deadline.is_some_and(|d| d >= before + wait && d <= after + wait)
    }

    #[test]
    fn the_first_request_head_is_timed_from_the_connection_opening() {
        let before = Instant::now();
        let a = Arc::new(Activity::new());
        let after = Instant::now();
        // Bytes of the first head do not restart its clock.
        a.bytes_arrived();
        assert!(within(
            a.deadline(&limits(), None),
            Duration::from_secs(10),
            before,
            after
        ));
        let deadline = a.deadline(&limits(), None).unwrap();
        assert_eq!(a.expired(&limits(), None, deadline), Some(Expiry::Head));
    }

    #[test]
    fn between_requests_idle_is_timed_until_a_byte_starts_the_next_head() {
        let a = Arc::new(Activity::new());
        let request = a.request_started(Version::HTTP_11);
        assert_eq!(a.deadline(&limits(), None), None, "no deadline in flight");
        let before = Instant::now();
        drop(request);
        let after = Instant::now();
        assert!(within(
            a.deadline(&limits(), None),
            Duration::from_secs(60),
            before,
            after
        ));
        let before = Instant::now();
        a.bytes_arrived();
        let after = Instant::now();
        assert!(within(
            a.deadline(&limits(), None),
            Duration::from_secs(10),
            before,
            after
        ));
    }

    #[test]
    fn on_http2_frames_between_requests_leave_the_connection_idle() {
        let a = Arc::new(Activity::new());
        let (one, two) = (
            a.request_started(Version::HTTP_2),
            a.request_started(Version::HTTP_2),
        );
        drop(one);
        assert_eq!(a.deadline(&limits(), None), None, "a stream is still open");
        drop(two);
        a.bytes_arrived();
        let deadline = a.deadline(&limits(), None).unwrap();
        assert_eq!(a.expired(&limits(), None, deadline), Some(Expiry::Idle));
    }

    #[test]
    fn an_idle_connection_asked_to_close_gets_a_header_timeout_to_do_so() {
        let a = Arc::new(Activity::new());
        drop(a.request_started(Version::HTTP_11));
        let asked = Instant::now();
        assert_eq!(
            a.deadline(&limits(), Some(asked)),
            Some(asked + Duration::from_secs(10))
        );
    }
}
