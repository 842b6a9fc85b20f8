//! contact-svc on its own: `CONTACT_SVC_ADDR` (default 127.0.0.1:50052), the
//! cache of list totals at `REDIS_URL` (unset: in-process); account-svc at
//! `ACCOUNT_SVC_URL` and auth-svc at `AUTH_SVC_URL`, asked on a partner's
//! behalf (proving itself with the key in `SERVICE_KEY_FILE`); it admits the
//! callers listed in `SERVICE_TRUST_FILE`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `--help` lists every variable; a bad value stops here, named.
    platform::settings::load(
        "contact-svc",
        "contacts, their passwords and roles (gRPC)",
        contact_svc::settings::ALL,
    );
    let telemetry = platform::telemetry::init("contact-svc");
    let storage = platform::config::Storage::from_env();
    let addr = platform::config::var_or("CONTACT_SVC_ADDR", "127.0.0.1:50052");
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        // Only the schema: migrating needs no Redis.
        platform::db::Db::open(&storage, "contact", contact_svc::MIGRATIONS).await?;
        return Ok(());
    }
    let cache =
        platform::cache::Cache::connect(storage.redis_url.as_deref(), &storage.schema_prefix)
            .await?;
    let trust = platform::identity::Trust::from_env()?;
    let signer = platform::identity::Signer::from_env("contact-svc")?;
    let peers = contact_svc::behalf::Peers::connect(
        &platform::config::var_or("ACCOUNT_SVC_URL", "http://127.0.0.1:50051"),
        &platform::config::var_or("AUTH_SVC_URL", "http://127.0.0.1:50054"),
        &signer,
    )?;
    let state = contact_svc::State::open(&storage, peers, cache).await?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    platform::grpc::run_binary(telemetry, |drain| {
        contact_svc::serve(listener, state, trust, platform::shutdown::signal(), drain)
    })
    .await
}
