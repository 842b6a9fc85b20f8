//! The gateway's environment ([`platform::settings`]): its own variables,
//! then the lists every binary shares.

use platform::settings::{
    self as s, ACCOUNT_SVC_URL, AUTH_SVC_URL, BILLING_SVC_URL, CONTACT_SVC_URL, Var,
};

/// The edge: where it listens, how long requests and connections may take,
/// whom it believes about client addresses. Also read by `stack`.
pub const EDGE: &[Var] = &[
    Var::new(
        "GATEWAY_ADDR",
        "127.0.0.1:8080",
        s::listen_addr,
        "Where the gateway listens.",
    ),
    Var::new(
        "REQUEST_TIMEOUT_SECONDS",
        "30",
        s::number::<1, 300>,
        "Each REST request's deadline, carried to every service (grpc-timeout).",
    ),
    Var::new(
        "TRUSTED_PROXIES",
        "",
        s::cidrs,
        "CIDR blocks of the proxies whose Forwarded / X-Forwarded-For name the client.",
    ),
    Var::new(
        "HEADER_READ_TIMEOUT_SECONDS",
        "10",
        s::number::<1, 3600>,
        "How long a client has to send a request's head.",
    ),
    Var::new(
        "IDLE_TIMEOUT_SECONDS",
        "60",
        s::number::<1, 3600>,
        "A connection with no request in flight this long is closed.",
    ),
    Var::new(
        "BODY_READ_TIMEOUT_SECONDS",
        "10",
        s::number::<1, 3600>,
        "How long a body may take after its head; slower: 408.",
    ),
    Var::new(
        "MAX_IN_FLIGHT_REQUESTS",
        "1024",
        s::number::<1, 1_000_000>,
        "Requests served at once; more are shed with 503 + Retry-After.",
    ),
    Var::new(
        "MAX_CONNECTIONS",
        "10000",
        s::number::<1, 1_000_000>,
        "Open connections served; one more is answered 503 and closed.",
    ),
];

/// The services the standalone gateway calls.
pub const UPSTREAMS: &[Var] = &[
    ACCOUNT_SVC_URL,
    CONTACT_SVC_URL,
    BILLING_SVC_URL,
    AUTH_SVC_URL,
];

/// Everything the `gateway` binary reads.
pub const ALL: &[&[Var]] = &[EDGE, UPSTREAMS, s::STORAGE, s::CALLER, s::OPERATIONS];
