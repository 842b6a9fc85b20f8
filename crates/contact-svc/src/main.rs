//! contact-svc on its own: `CONTACT_SVC_ADDR` (default 127.0.0.1:50052).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::telemetry::init();
    let storage = platform::config::Storage::from_env();
    let addr = platform::config::var_or("CONTACT_SVC_ADDR", "127.0.0.1:50052");
    let state = contact_svc::State::open(&storage).await?;
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        return Ok(()); // opening the database applied the migrations
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    contact_svc::serve(listener, state, platform::shutdown::signal()).await
}
