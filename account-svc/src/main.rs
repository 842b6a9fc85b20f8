//! account-svc on its own: `ACCOUNT_SVC_ADDR` (default 127.0.0.1:50051), peers
//! at `CONTACT_SVC_URL`, `BILLING_SVC_URL`, `AUTH_SVC_URL`, the cache at
//! `REDIS_URL` (unset: in-process). It proves itself to its peers with the
//! key in `SERVICE_KEY_FILE` and admits the callers in `SERVICE_TRUST_FILE`.

use platform::config::var_or;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `--help` lists every variable; a bad value stops here, named.
    platform::settings::load(
        "account-svc",
        "customers, companies, plans, limits and the partner tree (gRPC)",
        account_svc::settings::ALL,
    );
    let telemetry = platform::telemetry::init("account-svc");
    let storage = platform::config::Storage::from_env();
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        // Only the schema: migrating needs neither Redis nor the peers.
        platform::db::Db::open(&storage, "account", account_svc::MIGRATIONS).await?;
        return Ok(());
    }
    let signer = platform::identity::Signer::from_env("account-svc")?;
    let trust = platform::identity::Trust::from_env()?;
    let peers = account_svc::Peers::connect(
        &var_or("CONTACT_SVC_URL", "http://127.0.0.1:50052"),
        &var_or("BILLING_SVC_URL", "http://127.0.0.1:50053"),
        &var_or("AUTH_SVC_URL", "http://127.0.0.1:50054"),
        &signer,
    )?;
    let cache =
        platform::cache::Cache::connect(storage.redis_url.as_deref(), &storage.schema_prefix)
            .await?;
    let state = account_svc::State::open(&storage, peers, cache).await?;
    let listener =
        tokio::net::TcpListener::bind(var_or("ACCOUNT_SVC_ADDR", "127.0.0.1:50051")).await?;
    platform::grpc::run_binary(telemetry, |drain| {
        account_svc::serve(listener, state, trust, platform::shutdown::signal(), drain)
    })
    .await
}
