//! First start: the root distributor, its owner contact (Private Label
//! Owner, made by the normal create flow) and one API client, all through the
//! services' own gRPC APIs. Idempotent: each step looks before it makes.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use platform::grpc::Peer;
use proto::account::v1 as account;
use proto::account::v1::account_service_client::AccountServiceClient;
use proto::auth::v1 as auth;
use proto::auth::v1::auth_service_client::AuthServiceClient;
use serde::{Deserialize, Serialize};

/// `BOOTSTRAP_CLIENT_ID` / `BOOTSTRAP_CLIENT_SECRET`: fixed credentials
/// (both or neither). Without them they are generated once.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let s = Self {
            client_id: platform::config::var("BOOTSTRAP_CLIENT_ID"),
            client_secret: platform::config::var("BOOTSTRAP_CLIENT_SECRET"),
        };
        anyhow::ensure!(
            s.client_id.is_some() == s.client_secret.is_some(),
            "set both BOOTSTRAP_CLIENT_ID and BOOTSTRAP_CLIENT_SECRET, or neither"
        );
        Ok(s)
    }
}

/// What bootstrap made or found. `bootstrap.json` holds the same.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    #[serde(rename = "contactID")]
    pub contact_id: String,
    pub client_id: String,
    /// Known when this run created or set it, or from `bootstrap.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Whether this run generated the secret (it is printed only then).
    #[serde(skip)]
    pub generated: bool,
}

const FILE: &str = "bootstrap.json";

/// An internal call with its own deadline.
fn deadline<T>(message: T) -> tonic::Request<T> {
    platform::context::CallContext::new(None, None, Some(Duration::from_secs(30))).request(message)
}

/// The root distributor, created on the first start.
async fn root_distributor(
    accounts: &mut AccountServiceClient<Peer>,
) -> anyhow::Result<account::Customer> {
    Ok(
        match accounts
            .get_root(deadline(account::GetRootRequest {}))
            .await
        {
            Ok(r) => r.into_inner(),
            Err(s) if s.code() == tonic::Code::NotFound => {
                let created = accounts
                    .create_customer(deadline(root_request()))
                    .await
                    .context("creating the root distributor")?
                    .into_inner();
                tracing::info!(
                    customer_id = created.customer_id,
                    "root distributor created"
                );
                created
            }
            Err(s) => return Err(s).context("looking up the root distributor"),
        },
    )
}

pub async fn run(
    mut accounts: AccountServiceClient<Peer>,
    mut auth_client: AuthServiceClient<Peer>,
    settings: &Settings,
    data_dir: &Path,
) -> anyhow::Result<Credentials> {
    let root = root_distributor(&mut accounts).await?;
    let contact_id = root.owner_contact_id.clone();
    let path = data_dir.join(FILE);
    if let (Some(id), Some(secret)) = (&settings.client_id, &settings.client_secret) {
        let c = auth_client
            .create_client(deadline(auth::CreateClientRequest {
                contact_id: contact_id.clone(),
                customer_id: root.customer_id.clone(),
                name: "bootstrap".into(),
                client_id: id.clone(),
                client_secret: secret.clone(),
            }))
            .await
            .context("setting the bootstrap client")?
            .into_inner();
        let client_id = c.client.map(|c| c.client_id).unwrap_or_default();
        return Ok(Credentials {
            customer_id: root.customer_id,
            contact_id,
            client_id,
            client_secret: Some(secret.clone()),
            generated: false,
        });
    }
    let existing = auth_client
        .list_clients(deadline(auth::ListClientsRequest {
            contact_id: contact_id.clone(),
            customer_id: root.customer_id.clone(),
            ..Default::default()
        }))
        .await
        .context("listing the bootstrap client")?
        .into_inner()
        .clients;
    if let Some(first) = existing.first() {
        // Already bootstrapped: the secret is only in bootstrap.json, if kept.
        let saved = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Credentials>(&b).ok())
            .filter(|c| c.client_id == first.client_id);
        return Ok(Credentials {
            customer_id: root.customer_id,
            contact_id,
            client_id: first.client_id.clone(),
            client_secret: saved.and_then(|c| c.client_secret),
            generated: false,
        });
    }
    let c = auth_client
        .create_client(deadline(auth::CreateClientRequest {
            contact_id: contact_id.clone(),
            customer_id: root.customer_id.clone(),
            name: "bootstrap".into(),
            client_id: String::new(),
            client_secret: String::new(),
        }))
        .await
        .context("creating the bootstrap client")?
        .into_inner();
    let creds = Credentials {
        customer_id: root.customer_id,
        contact_id,
        client_id: c.client.map(|c| c.client_id).unwrap_or_default(),
        client_secret: Some(c.client_secret),
        generated: true,
    };
    write_private(&path, &serde_json::to_vec_pretty(&creds)?)?;
    Ok(creds)
}

/// Writes a file only its owner can read (mode 0600 from the start, so the
/// secret is never readable by others, not even briefly).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

/// The root distributor. Its owner's password is random: nobody signs in
/// with it; the platform is driven through API clients.
fn root_request() -> account::CreateCustomerRequest {
    let var = |k: &str, d: &str| platform::config::var_or(k, d);
    let password = format!("{}A1", hex::encode(rand::random::<[u8; 16]>()));
    account::CreateCustomerRequest {
        parent_partner_id: String::new(),
        account_name: var("BOOTSTRAP_ACCOUNT_NAME", "root"),
        programs: vec![],
        plan_name: String::new(),
        partner_program: String::new(),
        company: Some(account::Company {
            name: var("BOOTSTRAP_COMPANY_NAME", "Root distributor"),
            // Required of every company (reference CompanyV2).
            phone: var("BOOTSTRAP_COMPANY_PHONE", "+1 302 555 0100"),
            address: Some(proto::common::v1::Address {
                line1: var("BOOTSTRAP_ADDRESS_LINE1", "1 Main Street"),
                line2: String::new(),
                line3: String::new(),
                city: var("BOOTSTRAP_CITY", "Wilmington"),
                state: var("BOOTSTRAP_STATE", "DE"),
                zip: var("BOOTSTRAP_ZIP", "19801"),
                country: var("BOOTSTRAP_COUNTRY", "US"),
            }),
            ..Default::default()
        }),
        owner: Some(account::Owner {
            login: var("BOOTSTRAP_OWNER_LOGIN", "root-owner"),
            password,
            name: var("BOOTSTRAP_OWNER_NAME", "Root Owner"),
            email: var("BOOTSTRAP_OWNER_EMAIL", "owner@example.com"),
            cellular_phone: String::new(),
            ..Default::default()
        }),
        payment: None,
        options: Default::default(),
        v1: false,
    }
}
