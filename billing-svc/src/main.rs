//! billing-svc on its own: `BILLING_SVC_ADDR` (default 127.0.0.1:50053),
//! account-svc at `ACCOUNT_SVC_URL` (proving itself with the key in
//! `SERVICE_KEY_FILE`), the cache at `REDIS_URL` (in-process without); it
//! admits the callers in `SERVICE_TRUST_FILE`. It closes the previous month into invoices every
//! `BILLING_CLOSE_INTERVAL_SECS` (default 3600; 0 turns the closer off).
//! `billing-svc migrate` applies the migrations and exits;
//! `billing-svc close-period YYYY-MM` closes one ended month and exits.

use std::time::Duration;

use billing_svc::domain::invoice::Period;
use platform::config::var_or;
use proto::account::v1::account_service_client::AccountServiceClient;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `--help` lists every variable; a bad value stops here, named.
    platform::settings::load(
        "billing-svc",
        "billing data, payment methods, credit, usage and invoices (gRPC)",
        billing_svc::settings::ALL,
    );
    let telemetry = platform::telemetry::init("billing-svc");
    let storage = platform::config::Storage::from_env();
    let mut args = std::env::args().skip(1);
    let command = args.next();
    if command.as_deref() == Some("migrate") {
        // Only the schema: migrating needs neither a key nor the peers.
        platform::db::Db::open(&storage, "billing", billing_svc::MIGRATIONS).await?;
        return Ok(());
    }
    let signer = platform::identity::Signer::from_env("billing-svc")?;
    let accounts = AccountServiceClient::new(platform::grpc::peer(
        &var_or("ACCOUNT_SVC_URL", "http://127.0.0.1:50051"),
        &signer,
    )?);
    let cache =
        platform::cache::Cache::connect(storage.redis_url.as_deref(), &storage.schema_prefix)
            .await?;
    let state = billing_svc::State::open(&storage, accounts, cache).await?;
    match command.as_deref() {
        Some("close-period") => {
            let arg = args.next().unwrap_or_default();
            let period = Period::parse(&arg)
                .map_err(|m| anyhow::anyhow!("close-period YYYY-MM: {arg:?} {m}"))?;
            if period.end() > time::OffsetDateTime::now_utc() {
                anyhow::bail!("period {period} has not ended yet");
            }
            let closed = billing_svc::closing::close_period(&state, period)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{period}: {} invoices created, {} already there",
                closed.created, closed.existing
            );
            return Ok(());
        }
        Some(other) => anyhow::bail!("unknown command {other:?}: migrate or close-period YYYY-MM"),
        None => {}
    }
    let every: u64 = var_or("BILLING_CLOSE_INTERVAL_SECS", "3600").parse()?;
    if every > 0 {
        tokio::spawn(billing_svc::closing::run_closer(
            state.clone(),
            Duration::from_secs(every),
        ));
    }
    let trust = platform::identity::Trust::from_env()?;
    let listener =
        tokio::net::TcpListener::bind(var_or("BILLING_SVC_ADDR", "127.0.0.1:50053")).await?;
    platform::grpc::run_binary(telemetry, |drain| {
        billing_svc::serve(listener, state, trust, platform::shutdown::signal(), drain)
    })
    .await
}
