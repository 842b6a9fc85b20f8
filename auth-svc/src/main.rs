//! auth-svc on its own: `AUTH_SVC_ADDR` (default 127.0.0.1:50054), calling
//! contact-svc at `CONTACT_SVC_URL` (default http://127.0.0.1:50052) and
//! account-svc at `ACCOUNT_SVC_URL` (default http://127.0.0.1:50051), with
//! the key in `SERVICE_KEY_FILE`; it admits the callers in
//! `SERVICE_TRUST_FILE`.

use proto::account::v1::account_service_client::AccountServiceClient;
use proto::contact::v1::contact_service_client::ContactServiceClient;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `--help` lists every variable; a bad value stops here, named.
    platform::settings::load(
        "auth-svc",
        "API clients and their OAuth2 tokens (gRPC)",
        auth_svc::settings::ALL,
    );
    let telemetry = platform::telemetry::init("auth-svc");
    let storage = platform::config::Storage::from_env();
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        // Only the schema: migrating needs neither Redis nor the peers.
        platform::db::Db::open(&storage, "auth", auth_svc::MIGRATIONS).await?;
        return Ok(());
    }
    let addr = platform::config::var_or("AUTH_SVC_ADDR", "127.0.0.1:50054");
    let contact_url = platform::config::var_or("CONTACT_SVC_URL", "http://127.0.0.1:50052");
    let signer = platform::identity::Signer::from_env("auth-svc")?;
    let trust = platform::identity::Trust::from_env()?;
    let contacts = ContactServiceClient::new(platform::grpc::peer(&contact_url, &signer)?);
    let account_url = platform::config::var_or("ACCOUNT_SVC_URL", "http://127.0.0.1:50051");
    let accounts = AccountServiceClient::new(platform::grpc::peer(&account_url, &signer)?);
    let cache =
        platform::cache::Cache::connect(storage.redis_url.as_deref(), &storage.schema_prefix)
            .await?;
    let state = auth_svc::State::open(&storage, cache, contacts, accounts).await?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    platform::grpc::run_binary(telemetry, |drain| {
        auth_svc::serve(listener, state, trust, platform::shutdown::signal(), drain)
    })
    .await
}
