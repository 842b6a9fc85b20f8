//! For the tests of connection hygiene (`tests/connections.rs`): a gateway
//! in front of a [`TestApp`]'s services with connection limits of the
//! test's choosing, and a raw HTTP/1.1 client over a plain `TcpStream`, to
//! behave as slow or stubborn clients do, which reqwest will not.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::TestApp;

pub use gateway::server::ConnLimits;

/// A gateway from [`TestApp::limited_gateway`]; it stops when dropped.
pub struct LimitedGateway {
    pub addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    /// Starts another gateway in front of this app's services (its own
    /// in-process cache, a 15 s request deadline) with these limits.
    pub async fn limited_gateway(&self, limits: ConnLimits) -> LimitedGateway {
        let upstreams = gateway::Upstreams {
            account: self.stack.service_url(crate::Svc::Account),
            contact: self.stack.service_url(crate::Svc::Contact),
            billing: self.stack.service_url(crate::Svc::Billing),
            auth: self.stack.service_url(crate::Svc::Auth),
        };
        let state = gateway::AppState::new(
            &upstreams,
            platform::cache::Cache::in_memory(),
            Duration::from_secs(15),
            self.stack.signer("gateway"),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(gateway::serve_with(
            listener,
            state,
            async move {
                let _ = stopped.await;
            },
            limits,
        ));
        LimitedGateway { addr, _stop: stop }
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Connects and sends `bytes` (a request, or the start of one).
pub async fn send(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// A complete GET of `path` that keeps the connection alive.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: gateway\r\n\r\n").into_bytes()
}

/// Reads one response (its body by `content-length`), failing the test if
/// none arrives within `within`.
pub async fn read_response(stream: &mut TcpStream, within: Duration) -> RawResponse {
    tokio::time::timeout(within, read_one(stream))
        .await
        .unwrap_or_else(|_| panic!("no response within {within:?}"))
}

async fn read_one(stream: &mut TcpStream) -> RawResponse {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0_u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed before a response head: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or_else(|| panic!("a response without content-length: {head}"));
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let mut chunk = [0_u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed inside a response body");
        body.extend_from_slice(&chunk[..n]);
    }
    RawResponse {
        status: status.parse().unwrap(),
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

/// Whether the gateway closes the connection within `within`, discarding
/// anything it sends first (a reset counts as closed).
pub async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let closed = async {
        let mut sink = [0_u8; 4096];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, closed).await.is_ok()
}

/// The value of a series without labels on the gateway's `/metrics`, 0 when
/// absent, asked on `stream` (kept alive).
pub async fn metric(stream: &mut TcpStream, name: &str) -> f64 {
    stream.write_all(&get("/metrics")).await.unwrap();
    let res = read_response(stream, Duration::from_secs(5)).await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .find(|(series, _)| *series == name)
        .map_or(0.0, |(_, v)| v.trim().parse().unwrap())
}
