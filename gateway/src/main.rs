//! The gateway on its own: listens on `GATEWAY_ADDR` (default
//! 127.0.0.1:8080) and calls the services at `ACCOUNT_SVC_URL`,
//! `CONTACT_SVC_URL`, `BILLING_SVC_URL` and `AUTH_SVC_URL`, proving itself
//! with the key in `SERVICE_KEY_FILE`.

use std::time::Duration;

use anyhow::Context as _;
use platform::config::{var, var_or};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `--help` lists every variable; a bad value stops here, named.
    platform::settings::load(
        "gateway",
        "the REST gateway: authenticates partners and calls the services over gRPC",
        gateway::settings::ALL,
    );
    let telemetry = platform::telemetry::init("gateway");
    let storage = platform::config::Storage::from_env();
    let upstreams = gateway::Upstreams {
        account: var_or("ACCOUNT_SVC_URL", "http://127.0.0.1:50051"),
        contact: var_or("CONTACT_SVC_URL", "http://127.0.0.1:50052"),
        billing: var_or("BILLING_SVC_URL", "http://127.0.0.1:50053"),
        auth: var_or("AUTH_SVC_URL", "http://127.0.0.1:50054"),
    };
    let timeout: u64 = var("REQUEST_TIMEOUT_SECONDS")
        .map(|v| v.parse())
        .transpose()
        .context("REQUEST_TIMEOUT_SECONDS must be a number")?
        .unwrap_or(30);
    let cache =
        platform::cache::Cache::connect(storage.redis_url.as_deref(), &storage.schema_prefix)
            .await?;
    let signer = platform::identity::Signer::from_env("gateway")?;
    let state = gateway::AppState::new(
        &upstreams,
        cache,
        Duration::from_secs(timeout.clamp(1, 300)),
        &signer,
    )?;
    let listener = tokio::net::TcpListener::bind(var_or("GATEWAY_ADDR", "127.0.0.1:8080")).await?;
    // The metrics port lives until the process exits.
    let metrics_state = state.clone();
    platform::metrics::serve_from_env(
        move || gateway::metrics::text(&metrics_state),
        std::future::pending(),
    )
    .await?;
    let served = gateway::serve(listener, state, platform::shutdown::signal()).await;
    telemetry.shutdown();
    served
}
