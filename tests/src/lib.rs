//! The harness of the end-to-end tests: [`TestApp::spawn`] starts a whole
//! stack on port 0 with its own data, as `cargo run` would, and offers the
//! calls a partner makes. With `DATABASE_URL` (postgres) and `REDIS_URL` set,
//! each app gets its own PostgreSQL schemas and Redis key prefix instead of
//! SQLite files, so the same tests run on both backends.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used)] // test support: a failed step should stop the test loudly

pub mod conn;
use std::time::Duration;

use platform::config::{Storage, var};
use reqwest::StatusCode;
use serde_json::{Value, json};
pub use stack::Svc;

pub struct TestApp {
    pub stack: stack::Stack,
    pub url: String,
    pub http: reqwest::Client,
    /// The bootstrap client of the root distributor.
    pub root_client: (String, String),
    pub root_id: String,
    /// Where this app keeps its data: its schema and Redis key prefix and its
    /// Redis, for a second gateway in front of the same services.
    pub storage: Storage,
    _data: tempfile::TempDir,
}

/// A partner's identity in a test: its id and a token of its owner.
pub struct Partner {
    pub id: String,
    pub token: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with_redis(var("REDIS_URL")).await
    }

    /// [`TestApp::spawn`] with this Redis (`None`: the in-process cache)
    /// whatever `REDIS_URL` says; `DATABASE_URL` still comes from the
    /// environment.
    pub async fn spawn_with_redis(redis_url: Option<String>) -> Self {
        Self::start(redis_url, vec![]).await
    }

    /// [`TestApp::spawn`] whose services also admit `callers` (as
    /// `SERVICE_TRUST_FILE` lists them): a product service, an operator.
    pub async fn spawn_admitting(
        callers: Vec<(String, platform::identity::Role, Vec<u8>)>,
    ) -> Self {
        Self::start(var("REDIS_URL"), callers).await
    }

    async fn start(
        redis_url: Option<String>,
        callers: Vec<(String, platform::identity::Role, Vec<u8>)>,
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        let database_url = var("DATABASE_URL").filter(|u| u.starts_with("postgres"));
        let storage = Storage {
            data_dir: data.path().to_path_buf(),
            // Its own schemas and Redis keys, so tests sharing a server
            // never see each other's data or rate-limit budgets.
            schema_prefix: if database_url.is_some() || redis_url.is_some() {
                format!("t{}_", hex::encode(rand::random::<[u8; 6]>()))
            } else {
                String::new()
            },
            database_url,
            redis_url,
        };
        let config = stack::Config {
            callers,
            ..stack::Config::ephemeral(storage.clone())
        };
        let stack = stack::Stack::start(config).await.unwrap();
        let c = stack.credentials.clone();
        let url = stack.gateway_url();
        Self {
            url,
            http: reqwest::Client::new(),
            root_client: (c.client_id, c.client_secret.unwrap()),
            root_id: c.customer_id,
            storage,
            stack,
            _data: data,
        }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Starts another gateway in front of this app's services, as a second
    /// replica would run. [`GatewayCache::Shared`]: on this app's cache
    /// backend (its Redis and key prefix when it has Redis, so the replicas
    /// share rate-limit budgets; a cache of its own otherwise);
    /// [`GatewayCache::InMemory`]: always a cache of its own.
    pub async fn extra_gateway(&self, cache: GatewayCache) -> ExtraGateway {
        self.extra_gateway_trusting(cache, &[]).await
    }

    /// As [`Self::extra_gateway`], trusting the proxies in `trusted` (CIDR
    /// blocks, as `TRUSTED_PROXIES` lists them) to name the client's
    /// address in `X-Forwarded-For` / `Forwarded`.
    pub async fn extra_gateway_trusting(
        &self,
        cache: GatewayCache,
        trusted: &[&str],
    ) -> ExtraGateway {
        self.extra_gateway_with(cache, trusted, Duration::from_secs(15))
            .await
    }

    /// As [`Self::extra_gateway_trusting`], with `timeout` as each
    /// request's deadline (`REQUEST_TIMEOUT_SECONDS`).
    pub async fn extra_gateway_with(
        &self,
        cache: GatewayCache,
        trusted: &[&str],
        timeout: Duration,
    ) -> ExtraGateway {
        let upstreams = gateway::Upstreams {
            account: self.stack.service_url(Svc::Account),
            contact: self.stack.service_url(Svc::Contact),
            billing: self.stack.service_url(Svc::Billing),
            auth: self.stack.service_url(Svc::Auth),
        };
        let cache = match cache {
            GatewayCache::Shared => platform::cache::Cache::connect(
                self.storage.redis_url.as_deref(),
                &self.storage.schema_prefix,
            )
            .await
            .unwrap(),
            GatewayCache::InMemory => platform::cache::Cache::in_memory(),
        };
        let mut state =
            gateway::AppState::new(&upstreams, cache, timeout, self.stack.signer("gateway"))
                .unwrap();
        state.trusted_proxies = std::sync::Arc::new(
            trusted
                .iter()
                .map(|c| platform::net::Cidr::parse(c).unwrap())
                .collect(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(gateway::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        ExtraGateway { url, _stop: stop }
    }

    /// A token for client credentials, by HTTP Basic.
    pub async fn token_for(&self, id: &str, secret: &str) -> String {
        let res = self
            .http
            .post(self.at("/oauth2/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "token request failed");
        res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn root_token(&self) -> String {
        self.token_for(&self.root_client.0.clone(), &self.root_client.1.clone())
            .await
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .get(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(self.at(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .delete(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates a (private-label) partner below `parent` (None: the caller's
    /// own partner) with payment processing granted, so its customers may
    /// pay by card, and gives its owner an API client (through auth-svc's
    /// gRPC API, as an internal service would); returns the partner with a
    /// token of its own.
    pub async fn partner(&self, token: &str, name: &str, parent: Option<&str>) -> Partner {
        self.partner_from(token, partner_body(name, parent), false)
            .await
    }

    /// As [`Self::partner`], but an advisor that its parent allows to create
    /// partners: the way to grow a tree deeper than root → partner → account
    /// (a private-label partner creates accounts only).
    pub async fn advisor(&self, token: &str, name: &str, parent: Option<&str>) -> Partner {
        let mut body = partner_body(name, parent);
        body["partnerProgram"] = json!("advisor");
        self.partner_from(token, body, true).await
    }

    async fn partner_from(&self, token: &str, body: Value, create_partners: bool) -> Partner {
        let (status, created) = self.post(token, "/v1/api/accounts", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["customerID"].as_str().unwrap().to_owned();
        self.grant(&id, create_partners).await;
        let (client_id, secret) = self.client_for(&id).await;
        Partner {
            token: self.token_for(&client_id, &secret).await,
            id,
        }
    }

    /// Grants partner `customer_id` payment processing (and, for an
    /// advisor, the creation of partners), as an operator would through
    /// account-svc's gRPC API.
    pub async fn grant(&self, customer_id: &str, create_partners: bool) {
        proto::account::v1::account_service_client::AccountServiceClient::new(
            self.operator(Svc::Account),
        )
        .update_settings(proto::account::v1::UpdateSettingsRequest {
            customer_id: customer_id.into(),
            payment_processing: Some(true),
            create_partners: create_partners.then_some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    }

    /// A channel to `svc` as an operator's tool would call it (the stack's
    /// `bootstrap` identity): every method, no principal.
    pub fn operator(&self, svc: Svc) -> platform::grpc::Peer {
        platform::grpc::peer(&self.stack.service_url(svc), self.stack.signer("bootstrap")).unwrap()
    }

    /// An API client for the owner of `customer_id`.
    pub async fn client_for(&self, customer_id: &str) -> (String, String) {
        let mut accounts = proto::account::v1::account_service_client::AccountServiceClient::new(
            self.operator(Svc::Account),
        );
        let customer = accounts
            .get_customer(proto::account::v1::GetCustomerRequest {
                customer_id: customer_id.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut auth =
            proto::auth::v1::auth_service_client::AuthServiceClient::new(self.operator(Svc::Auth));
        let created = auth
            .create_client(proto::auth::v1::CreateClientRequest {
                contact_id: customer.owner_contact_id,
                customer_id: customer_id.into(),
                name: "test".into(),
                client_id: String::new(),
                client_secret: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        (created.client.unwrap().client_id, created.client_secret)
    }
}

/// Which cache a gateway from [`TestApp::extra_gateway`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayCache {
    /// The app's own backend: its Redis (one shared budget) when it has one.
    Shared,
    /// An in-process cache of the gateway's own (a budget per replica).
    InMemory,
}

/// A gateway started by [`TestApp::extra_gateway`]; it stops (lets
/// in-flight requests finish, takes no new ones) when this is dropped.
pub struct ExtraGateway {
    pub url: String,
    /// Dropping the sender resolves the gateway's shutdown future.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl ExtraGateway {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// A valid v1 account body in the reference's AccountCreateV1 model (002):
/// `name` is the user name and the owner's login stem; `plan` defaults to
/// `starter`. The payment names the billing contact and address.
pub fn account_body(name: &str, plan: Option<&str>) -> Value {
    let address = json!({ "street": "1 Main Street", "city": "Springfield", "state": "IL", "zip": "62701", "country": "US" });
    json!({
        "programs": ["account"],
        "general": {
            "userName": name,
            "login": format!("{name}-owner"), "password": "secret12", "name": "Owner", "email": format!("{name}@example.com")
        },
        "company": { "name": format!("{name} Inc"), "phone": "+1 217 555 0100", "address": address },
        "payment": {
            "name": "Billing Office", "phone": "+1 217 555 0101", "address": address,
            "type": "creditCard",
            "creditCard": { "type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "12/39", "securityCode": "123" }
        },
        "planName": plan.unwrap_or("starter")
    })
}

/// A valid body that creates a (private-label) partner below `parent`
/// (None: the caller's own partner) on the default partner plan.
pub fn partner_body(name: &str, parent: Option<&str>) -> Value {
    let mut body = account_body(name, None);
    body["programs"] = json!(["partner"]);
    if let Some(body) = body.as_object_mut() {
        body.remove("planName");
    }
    if let Some(p) = parent {
        body["general"]["parentPartnerID"] = json!(p);
    }
    body
}

/// A valid v2 account body (AccountCreateV2): a Dutch company with all three
/// address lines, a culture (given in lower case) and a VAT number, an owner
/// with a culture, and a VISA card the sandbox approves. `name` is the
/// account name and the owner's login stem; `plan` defaults to `starter`.
pub fn account_body_v2(name: &str, plan: Option<&str>) -> Value {
    let address = json!({
        "addressLine1": "Damrak 1", "addressLine2": "2nd floor", "addressLine3": "Suite 4",
        "city": "Amsterdam", "state": "NH", "zip": "1012 AB", "country": "NL"
    });
    json!({
        "programs": ["account"],
        "general": {
            "accountName": name,
            "owner": {
                "login": format!("{name}-owner"), "password": "secret12", "name": "Eva de Vries",
                "email": format!("{name}@example.com"), "culture": "nl-nl"
            }
        },
        "company": {
            "name": format!("{name} BV"),
            "phone": "+31 20 555 0100",
            "culture": "nl-nl",
            "vatNumber": "NL123456789B01",
            "address": address
        },
        "payment": {
            "name": "Boekhouding", "phone": "+31 20 555 0101", "address": address,
            "type": "creditCard",
            "creditCard": { "type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "12/39", "securityCode": "123" }
        },
        "planName": plan.unwrap_or("starter")
    })
}
