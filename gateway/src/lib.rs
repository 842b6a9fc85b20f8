//! The REST gateway: the platform's only public door. It authenticates each
//! request ([`auth`]), translates REST v1/v2 into gRPC calls to the services
//! ([`routes`], one module per resource), maps every failure to a problem
//! document in one place ([`problem`]) and serves the OpenAPI documents and
//! Swagger UI ([`openapi`]). It owns no tables.

#![forbid(unsafe_code)]
// A `Problem` is the error response itself, made once per failed request;
// moving its ~200 bytes costs nothing next to the request's I/O, and boxing
// it at every `?` would only add noise.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod body;
pub mod client_addr;
pub mod extract;
pub mod formats;
pub mod idempotency;
pub mod layers;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod routes;
pub mod server;
pub mod settings;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use proto::account::v1::account_service_client::AccountServiceClient;
use proto::auth::v1::auth_service_client::AuthServiceClient;
use proto::billing::v1::billing_service_client::BillingServiceClient;
use proto::contact::v1::contact_service_client::ContactServiceClient;
use tonic::transport::Channel;

/// Where the gateway finds each service.
#[derive(Clone, Debug)]
pub struct Upstreams {
    pub account: String,
    pub contact: String,
    pub billing: String,
    pub auth: String,
}

/// A service's channel, marking replayed answers (`idempotency::Replay`).
pub type Upstream = idempotency::Replay<platform::grpc::Peer>;

#[derive(Clone)]
pub struct AppState {
    pub account: AccountServiceClient<Upstream>,
    pub contact: ContactServiceClient<Upstream>,
    pub billing: BillingServiceClient<Upstream>,
    pub auth: AuthServiceClient<Upstream>,
    /// Every service's channel by name, for readiness (gRPC health).
    pub health: Vec<(&'static str, Channel)>,
    pub cache: platform::cache::Cache,
    /// The deadline of each request, carried to the services over gRPC.
    pub request_timeout: Duration,
    /// Per-client API budgets and the token endpoint's failure budgets.
    pub limiter: Arc<ratelimit::RateLimiter>,
    /// Set on shutdown: `/health/ready` answers 503 while requests are
    /// still served, so the load balancer stops sending new ones first.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// `TRUSTED_PROXIES`: the proxies (the Ingress) whose `Forwarded` /
    /// `X-Forwarded-For` name the client's address ([`client_addr`]).
    pub trusted_proxies: Arc<Vec<platform::net::Cidr>>,
}

impl AppState {
    pub fn new(
        upstreams: &Upstreams,
        cache: platform::cache::Cache,
        request_timeout: Duration,
        signer: &platform::identity::Signer,
    ) -> anyhow::Result<Self> {
        let account = platform::grpc::channel(&upstreams.account)?;
        let contact = platform::grpc::channel(&upstreams.contact)?;
        let billing = platform::grpc::channel(&upstreams.billing)?;
        let auth = platform::grpc::channel(&upstreams.auth)?;
        let trusted_proxies = platform::config::var("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(platform::net::Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("TRUSTED_PROXIES: {e}"))?;
        Ok(Self {
            account: AccountServiceClient::new(idempotency::Replay(platform::grpc::Traced::new(
                account.clone(),
                signer.clone(),
            ))),
            contact: ContactServiceClient::new(idempotency::Replay(platform::grpc::Traced::new(
                contact.clone(),
                signer.clone(),
            ))),
            billing: BillingServiceClient::new(idempotency::Replay(platform::grpc::Traced::new(
                billing.clone(),
                signer.clone(),
            ))),
            auth: AuthServiceClient::new(idempotency::Replay(platform::grpc::Traced::new(
                auth.clone(),
                signer.clone(),
            ))),
            health: vec![
                ("partner.account.v1.AccountService", account),
                ("partner.contact.v1.ContactService", contact),
                ("partner.billing.v1.BillingService", billing),
                ("partner.auth.v1.AuthService", auth),
            ],
            limiter: Arc::new(ratelimit::RateLimiter::new(cache.clone())),
            draining: Arc::default(),
            trusted_proxies: Arc::new(trusted_proxies),
            cache,
            request_timeout,
        })
    }
}

/// Serves the gateway on `listener` until `shutdown`; then reports
/// not-ready for [`platform::shutdown::drain_delay`] while still serving,
/// then stops accepting and lets in-flight requests finish. The connection
/// limits come from the environment ([`server::ConnLimits::from_env`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(listener, state, shutdown, server::ConnLimits::from_env()?).await
}

/// [`serve`] with these connection limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: server::ConnLimits,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    platform::metrics::install();
    tracing::info!(%addr, ?limits, "gateway listening");
    let draining = state.draining.clone();
    let shutdown = async move {
        shutdown.await;
        draining.store(true, std::sync::atomic::Ordering::Relaxed);
        let drain = platform::shutdown::drain_delay();
        tracing::info!(?drain, "gateway not ready; draining");
        tokio::time::sleep(drain).await;
        tracing::info!("gateway stops accepting; finishing in-flight requests");
    };
    let app = layers::app(state, limits.body_read_timeout, limits.max_in_flight);
    server::run(listener, app, limits, shutdown).await;
    tracing::info!("gateway stopped");
    Ok(())
}
