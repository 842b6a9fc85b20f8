//! The all-in-one launcher: every service in one process, each a real gRPC
//! server on its own loopback port, and the gateway in front; embedded
//! SQLite and an in-process cache unless `DATABASE_URL` / `REDIS_URL` say
//! otherwise. `cargo run` starts it; the end-to-end tests start one per test
//! (port 0, their own data) and may stop and restart single services.
//!
//! Each component proves who it is on its internal calls as it would in its
//! own pod ([`platform::identity`]): the stack makes every component a key
//! at start (kept in memory only) and admits them, plus the callers listed
//! in `SERVICE_TRUST_FILE` (an operator's grpcurl, a product service).

#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod settings;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use platform::config::{Storage, var, var_or};
use platform::shutdown::Shutdown;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Svc {
    Account,
    Contact,
    Billing,
    Auth,
}

impl Svc {
    pub const ALL: [Svc; 4] = [Svc::Account, Svc::Contact, Svc::Billing, Svc::Auth];

    pub fn name(self) -> &'static str {
        match self {
            Svc::Account => "account-svc",
            Svc::Contact => "contact-svc",
            Svc::Billing => "billing-svc",
            Svc::Auth => "auth-svc",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub storage: Storage,
    pub gateway_addr: SocketAddr,
    pub service_addrs: HashMap<Svc, SocketAddr>,
    pub bootstrap: bootstrap::Settings,
    /// The deadline of each REST request (`REQUEST_TIMEOUT_SECONDS`).
    pub request_timeout: Duration,
    /// How often billing closes the previous month into invoices
    /// (`BILLING_CLOSE_INTERVAL_SECS`, default an hour; 0 or `None`: never).
    pub close_periods_every: Option<Duration>,
    /// Callers admitted beside the stack's own components
    /// (`SERVICE_TRUST_FILE`, optional here): name, role, public key.
    pub callers: Vec<(String, platform::identity::Role, Vec<u8>)>,
}

fn addr(key: &str, default: &str) -> anyhow::Result<SocketAddr> {
    var_or(key, default)
        .parse()
        .with_context(|| format!("{key} must be host:port"))
}

impl Config {
    /// The environment, with the defaults of a local run.
    pub fn from_env() -> anyhow::Result<Self> {
        let timeout: u64 = var("REQUEST_TIMEOUT_SECONDS")
            .map(|v| v.parse())
            .transpose()
            .context("REQUEST_TIMEOUT_SECONDS must be a number")?
            .unwrap_or(30);
        Ok(Self {
            storage: Storage::from_env(),
            gateway_addr: addr("GATEWAY_ADDR", "127.0.0.1:8080")?,
            service_addrs: HashMap::from([
                (Svc::Account, addr("ACCOUNT_SVC_ADDR", "127.0.0.1:50051")?),
                (Svc::Contact, addr("CONTACT_SVC_ADDR", "127.0.0.1:50052")?),
                (Svc::Billing, addr("BILLING_SVC_ADDR", "127.0.0.1:50053")?),
                (Svc::Auth, addr("AUTH_SVC_ADDR", "127.0.0.1:50054")?),
            ]),
            bootstrap: bootstrap::Settings::from_env()?,
            request_timeout: Duration::from_secs(timeout.clamp(1, 300)),
            callers: match var("SERVICE_TRUST_FILE") {
                Some(path) => platform::identity::Trust::read(std::path::Path::new(&path))?,
                None => vec![],
            },
            close_periods_every: match var_or("BILLING_CLOSE_INTERVAL_SECS", "3600")
                .parse::<u64>()
                .context("BILLING_CLOSE_INTERVAL_SECS must be a number of seconds")?
            {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
        })
    }

    /// Every port chosen by the OS, for tests.
    pub fn ephemeral(storage: Storage) -> Self {
        let any: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            storage,
            gateway_addr: any,
            service_addrs: Svc::ALL.into_iter().map(|s| (s, any)).collect(),
            bootstrap: bootstrap::Settings::default(),
            request_timeout: Duration::from_secs(15),
            // Tests close periods themselves, when they choose.
            close_periods_every: None,
            callers: vec![],
        }
    }
}

/// A service's state, kept so the service can be stopped and served again.
#[derive(Clone)]
enum ServiceState {
    Account(account_svc::State),
    Contact(contact_svc::State),
    Billing(billing_svc::State),
    Auth(auth_svc::State),
}

struct Running {
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
}

pub struct Stack {
    pub gateway_addr: SocketAddr,
    pub service_addrs: HashMap<Svc, SocketAddr>,
    pub credentials: bootstrap::Credentials,
    states: HashMap<Svc, ServiceState>,
    running: HashMap<Svc, Running>,
    gateway: Running,
    gateway_state: gateway::AppState,
    closer: Option<JoinHandle<()>>,
    signers: HashMap<&'static str, platform::identity::Signer>,
    trust: platform::identity::Trust,
}

/// The stack's own callers and their roles; `bootstrap` is the operator
/// that makes the root distributor and its first API client.
const COMPONENTS: [(&str, platform::identity::Role); 6] = {
    use platform::identity::Role::*;
    [
        ("gateway", Gateway),
        ("account-svc", Service),
        ("contact-svc", Service),
        ("billing-svc", Service),
        ("auth-svc", Service),
        ("bootstrap", Operator),
    ]
};

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// A key of its own for each of the stack's components, and the trust that
/// admits them beside the operator's `callers`.
fn identities(
    callers: &[(String, platform::identity::Role, Vec<u8>)],
) -> anyhow::Result<(
    HashMap<&'static str, platform::identity::Signer>,
    platform::identity::Trust,
)> {
    let mut signers = HashMap::new();
    let mut callers = callers.to_vec();
    for (name, role) in COMPONENTS {
        let (signer, _) = platform::identity::Signer::generate(name)?;
        callers.push((name.to_owned(), role, signer.public_key()));
        signers.insert(name, signer);
    }
    Ok((signers, platform::identity::Trust::new(callers)?))
}

/// Opens and migrates every service's store, each with its peers' channels
/// signed as itself.
async fn open_states(
    storage: &Storage,
    cache: &platform::cache::Cache,
    urls: &HashMap<Svc, String>,
    signers: &HashMap<&'static str, platform::identity::Signer>,
) -> anyhow::Result<HashMap<Svc, ServiceState>> {
    let signer = |name: &str| &signers[name];
    let contacts = || -> anyhow::Result<_> {
        Ok(
            proto::contact::v1::contact_service_client::ContactServiceClient::new(
                platform::grpc::peer(&urls[&Svc::Contact], signer("auth-svc"))?,
            ),
        )
    };
    let peers = account_svc::Peers::connect(
        &urls[&Svc::Contact],
        &urls[&Svc::Billing],
        &urls[&Svc::Auth],
        signer("account-svc"),
    )?;
    Ok(HashMap::from([
        (
            Svc::Account,
            ServiceState::Account(account_svc::State::open(storage, peers, cache.clone()).await?),
        ),
        (
            Svc::Contact,
            ServiceState::Contact(
                contact_svc::State::open(
                    storage,
                    contact_svc::behalf::Peers::connect(
                        &urls[&Svc::Account],
                        &urls[&Svc::Auth],
                        signer("contact-svc"),
                    )?,
                    cache.clone(),
                )
                .await?,
            ),
        ),
        (
            Svc::Billing,
            ServiceState::Billing(
                billing_svc::State::open(
                    storage,
                    proto::account::v1::account_service_client::AccountServiceClient::new(
                        platform::grpc::peer(&urls[&Svc::Account], signer("billing-svc"))?,
                    ),
                    cache.clone(),
                )
                .await?,
            ),
        ),
        (
            Svc::Auth,
            ServiceState::Auth(
                auth_svc::State::open(
                    storage,
                    cache.clone(),
                    contacts()?,
                    proto::account::v1::account_service_client::AccountServiceClient::new(
                        platform::grpc::peer(&urls[&Svc::Account], signer("auth-svc"))?,
                    ),
                )
                .await?,
            ),
        ),
    ]))
}

impl Stack {
    /// Binds every port, opens and migrates every store, serves every
    /// service, runs the bootstrap and opens the gateway.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let mut listeners = HashMap::new();
        let mut service_addrs = HashMap::new();
        for svc in Svc::ALL {
            let listener = TcpListener::bind(config.service_addrs[&svc])
                .await
                .with_context(|| format!("binding {}", svc.name()))?;
            service_addrs.insert(svc, listener.local_addr()?);
            listeners.insert(svc, listener);
        }
        let gateway_listener = TcpListener::bind(config.gateway_addr)
            .await
            .with_context(|| format!("binding the gateway to {}", config.gateway_addr))?;
        let gateway_addr = gateway_listener.local_addr()?;
        let urls: HashMap<Svc, String> = service_addrs.iter().map(|(s, a)| (*s, url(*a))).collect();

        let (signers, trust) = identities(&config.callers)?;
        let signer = |name: &str| &signers[name];
        let storage = &config.storage;
        let cache =
            platform::cache::Cache::connect(storage.redis_url.as_deref(), &storage.schema_prefix)
                .await?;
        let states = open_states(storage, &cache, &urls, &signers).await?;
        let mut running = HashMap::new();
        for (svc, listener) in listeners {
            running.insert(svc, serve(&states[&svc], &trust, listener));
        }

        let credentials = bootstrap::run(
            proto::account::v1::account_service_client::AccountServiceClient::new(
                platform::grpc::peer(&urls[&Svc::Account], signer("bootstrap"))?,
            ),
            proto::auth::v1::auth_service_client::AuthServiceClient::new(platform::grpc::peer(
                &urls[&Svc::Auth],
                signer("bootstrap"),
            )?),
            &config.bootstrap,
            &storage.data_dir,
        )
        .await?;

        let upstreams = gateway::Upstreams {
            account: urls[&Svc::Account].clone(),
            contact: urls[&Svc::Contact].clone(),
            billing: urls[&Svc::Billing].clone(),
            auth: urls[&Svc::Auth].clone(),
        };
        let app =
            gateway::AppState::new(&upstreams, cache, config.request_timeout, signer("gateway"))?;
        let gateway_state = app.clone();
        let gateway_shutdown = Shutdown::new();
        let task = tokio::spawn(gateway::serve(
            gateway_listener,
            app,
            gateway_shutdown.wait(),
        ));
        let gateway = Running {
            shutdown: gateway_shutdown,
            task,
        };
        let closer = match (config.close_periods_every, &states[&Svc::Billing]) {
            (Some(every), ServiceState::Billing(billing)) => Some(tokio::spawn(
                billing_svc::closing::run_closer(billing.clone(), every),
            )),
            _ => None,
        };
        Ok(Self {
            gateway_addr,
            service_addrs,
            credentials,
            states,
            running,
            gateway,
            gateway_state,
            closer,
            signers,
            trust,
        })
    }

    /// One of the stack's own callers (`gateway`, `account-svc`, …,
    /// `bootstrap`), for tests that call a service as it would.
    ///
    /// # Panics
    /// On a name that is not one of the stack's components.
    pub fn signer(&self, name: &str) -> &platform::identity::Signer {
        &self.signers[name]
    }

    /// What the gateway's `/metrics` answers (its own series and the
    /// process's), for a metrics port of the stack's own.
    pub fn metrics_text(&self) -> impl Fn() -> String + Clone + Send + Sync + 'static {
        let state = self.gateway_state.clone();
        move || gateway::metrics::text(&state)
    }

    pub fn gateway_url(&self) -> String {
        url(self.gateway_addr)
    }

    pub fn service_url(&self, svc: Svc) -> String {
        url(self.service_addrs[&svc])
    }

    /// A service's database, for tests that check what is (not) stored.
    pub fn db(&self, svc: Svc) -> platform::db::Db {
        match &self.states[&svc] {
            ServiceState::Account(s) => s.db.clone(),
            ServiceState::Contact(s) => s.db.clone(),
            ServiceState::Billing(s) => s.db.clone(),
            ServiceState::Auth(s) => s.db.clone(),
        }
    }

    /// account-svc's state, for tests that arm its test hooks
    /// (`crash_after_customer_row`). `None` cannot happen: the stack always
    /// runs account-svc.
    pub fn account_state(&self) -> Option<account_svc::State> {
        match &self.states[&Svc::Account] {
            ServiceState::Account(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// Stops one service as an outage would: its port closes.
    pub async fn stop_service(&mut self, svc: Svc) -> anyhow::Result<()> {
        if let Some(r) = self.running.remove(&svc) {
            r.shutdown.trigger();
            r.task.await??;
        }
        Ok(())
    }

    /// Serves a stopped service again on its port, with its data.
    pub async fn start_service(&mut self, svc: Svc) -> anyhow::Result<()> {
        if self.running.contains_key(&svc) {
            return Ok(());
        }
        let listener = TcpListener::bind(self.service_addrs[&svc]).await?;
        self.running
            .insert(svc, serve(&self.states[&svc], &self.trust, listener));
        Ok(())
    }

    /// Stops the gateway first (no new requests), then the services.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(closer) = self.closer.take() {
            closer.abort();
        }
        self.gateway.shutdown.trigger();
        (&mut self.gateway.task).await??;
        // Together; they do not drain (served with a zero delay): with the
        // gateway gone, nothing calls them any more.
        let running: Vec<Running> = self.running.drain().map(|(_, r)| r).collect();
        for r in &running {
            r.shutdown.trigger();
        }
        for r in running {
            r.task.await??;
        }
        Ok(())
    }
}

fn serve(
    state: &ServiceState,
    trust: &platform::identity::Trust,
    listener: TcpListener,
) -> Running {
    let shutdown = Shutdown::new();
    let stop = shutdown.wait();
    let trust = trust.clone();
    let task = match state.clone() {
        ServiceState::Account(s) => {
            tokio::spawn(account_svc::serve(listener, s, trust, stop, Duration::ZERO))
        }
        ServiceState::Contact(s) => {
            tokio::spawn(contact_svc::serve(listener, s, trust, stop, Duration::ZERO))
        }
        ServiceState::Billing(s) => {
            tokio::spawn(billing_svc::serve(listener, s, trust, stop, Duration::ZERO))
        }
        ServiceState::Auth(s) => {
            tokio::spawn(auth_svc::serve(listener, s, trust, stop, Duration::ZERO))
        }
    };
    Running { shutdown, task }
}
