//! `stack`: every service and the gateway in one process (what `cargo run`
//! starts). The other commands are operators' tools:
//! - `stack bootstrap` runs only the bootstrap against services that are
//!   already running (`ACCOUNT_SVC_URL`, `AUTH_SVC_URL`), for a Kubernetes
//!   Job, as the identity in `SERVICE_KEY_FILE` (default name `bootstrap`);
//! - `stack keygen NAME [ROLE]` makes an internal caller's key: it writes
//!   `NAME.key` (mode 0600) and prints the caller's trust-file line;
//! - `stack service-token SERVICE` prints a service token for calling
//!   SERVICE (e.g. `partner.account.v1.AccountService`) with grpcurl, as the
//!   identity in `SERVICE_KEY_FILE` (default name `operator`).

use platform::config::var_or;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `--help` lists every variable; a bad value stops here, named.
    platform::settings::load(
        "stack",
        "every service and the gateway in one process; also `stack bootstrap | keygen NAME [ROLE] | service-token SERVICE`",
        stack::settings::ALL,
    );
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => {}
        ["keygen", name] => return keygen(name, "service"),
        ["keygen", name, role] => return keygen(name, role),
        ["service-token", service] => {
            let signer = platform::identity::Signer::from_env("operator")?;
            println!("{}", signer.token(service));
            return Ok(());
        }
        ["bootstrap"] => {
            let _telemetry = platform::telemetry::init("partner-platform");
            return bootstrap_only().await;
        }
        _ => anyhow::bail!("usage: stack [bootstrap | keygen NAME [ROLE] | service-token SERVICE]"),
    }
    let telemetry = platform::telemetry::init("partner-platform");
    let config = stack::Config::from_env()?;
    let data_dir = config.storage.data_dir.clone();
    let started = std::time::Instant::now();
    let stack = stack::Stack::start(config).await?;
    // The gateway serves /metrics for the whole process; METRICS_ADDR adds a
    // port of its own, as the separate components have.
    platform::metrics::serve_from_env(stack.metrics_text(), std::future::pending()).await?;
    let c = &stack.credentials;
    println!();
    println!(
        "Partner platform ready in {:.1}s at {}",
        started.elapsed().as_secs_f64(),
        stack.gateway_url()
    );
    println!("  OpenAPI:   {}/swagger", stack.gateway_url());
    println!("  client_id: {}", c.client_id);
    match (&c.client_secret, c.generated) {
        (Some(secret), true) => {
            println!("  client_secret: {secret}");
            println!(
                "  (shown once; also saved to {} with mode 0600)",
                data_dir.join("bootstrap.json").display()
            );
        }
        // Not made by this run: kept from an earlier one, or chosen by
        // the operator (then nothing was written, so the banner says so).
        (Some(_), false) => match data_dir.join("bootstrap.json") {
            saved if saved.exists() => println!("  client_secret: see {}", saved.display()),
            _ => println!("  client_secret: the one set in BOOTSTRAP_CLIENT_SECRET"),
        },
        (None, _) => println!(
            "  client_secret: not kept; set BOOTSTRAP_CLIENT_ID and BOOTSTRAP_CLIENT_SECRET to choose one"
        ),
    }
    println!("Ctrl-C stops it.");
    platform::shutdown::signal().await;
    let stopped = stack.shutdown().await;
    telemetry.shutdown();
    stopped
}

async fn bootstrap_only() -> anyhow::Result<()> {
    use proto::account::v1::account_service_client::AccountServiceClient;
    use proto::auth::v1::auth_service_client::AuthServiceClient;
    let storage = platform::config::Storage::from_env();
    let signer = platform::identity::Signer::from_env("bootstrap")?;
    let creds = stack::bootstrap::run(
        AccountServiceClient::new(platform::grpc::peer(
            &var_or("ACCOUNT_SVC_URL", "http://127.0.0.1:50051"),
            &signer,
        )?),
        AuthServiceClient::new(platform::grpc::peer(
            &var_or("AUTH_SVC_URL", "http://127.0.0.1:50054"),
            &signer,
        )?),
        &stack::bootstrap::Settings::from_env()?,
        &storage.data_dir,
    )
    .await?;
    println!(
        "root distributor {} ; bootstrap client {}",
        creds.customer_id, creds.client_id
    );
    if creds.generated {
        println!(
            "client_secret written to {}",
            storage.data_dir.join("bootstrap.json").display()
        );
    }
    Ok(())
}

/// A new internal caller: its key file, and the line every service it calls
/// adds to its trust file.
fn keygen(name: &str, role: &str) -> anyhow::Result<()> {
    use base64::Engine as _;
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let role: platform::identity::Role = role.parse()?;
    let (signer, pkcs8) = platform::identity::Signer::generate(name)?;
    let path = format!("{name}.key");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    writeln!(
        file,
        "{}",
        base64::engine::general_purpose::STANDARD.encode(pkcs8)
    )?;
    eprintln!("wrote {path} (mode 0600); its trust-file line:");
    println!("{}", signer.trust_line(role));
    Ok(())
}
