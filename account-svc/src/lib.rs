//! account-svc owns the customer hierarchy: distributors, partners and
//! accounts, their companies, plans and programs. Read [`domain`] for the
//! rules, [`store`] for the SQL, [`grpc`] for the API, `provisioning` for
//! the create flow across services and [`recovery`] for finishing
//! interrupted work.

#![forbid(unsafe_code)]

pub mod domain;
pub mod error;
pub mod grpc;
mod provisioning;
pub mod recovery;
pub mod settings;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use platform::cache::Cache;
use platform::db::{Db, Migration};
use platform::grpc::Peer;
use proto::account::v1::account_service_server::AccountServiceServer;
use proto::auth::v1::auth_service_client::AuthServiceClient;
use proto::billing::v1::billing_service_client::BillingServiceClient;
use proto::contact::v1::contact_service_client::ContactServiceClient;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "customer",
        sql: include_str!("../migrations/0001_customer.sql"),
    },
    Migration {
        version: 2,
        description: "partner_setting",
        sql: include_str!("../migrations/0002_partner_setting.sql"),
    },
    Migration {
        version: 3,
        description: "company_v2_lifecycle",
        sql: include_str!("../migrations/0003_company_v2_lifecycle.sql"),
    },
    Migration {
        version: 4,
        description: "failed_setup",
        sql: include_str!("../migrations/0004_failed_setup.sql"),
    },
    Migration {
        version: 5,
        description: "password_policy",
        sql: include_str!("../migrations/0005_password_policy.sql"),
    },
    Migration {
        version: 6,
        description: "customer_limit",
        sql: include_str!("../migrations/0006_customer_limit.sql"),
    },
    Migration {
        version: 7,
        description: "distributor_plan",
        sql: include_str!("../migrations/0007_distributor_plan.sql"),
    },
    // The shared table of platform::idempotency: creates kept by key.
    Migration {
        version: 8,
        description: "idempotency_key",
        sql: platform::idempotency::TABLE_SQL,
    },
    Migration {
        version: 9,
        description: "partner_grants",
        sql: include_str!("../migrations/0009_partner_grants.sql"),
    },
];

/// The services account-svc calls.
#[derive(Clone)]
pub struct Peers {
    pub contacts: ContactServiceClient<Peer>,
    pub billing: BillingServiceClient<Peer>,
    pub auth: AuthServiceClient<Peer>,
}

impl Peers {
    /// Lazy channels: a peer that is down fails calls, not the start.
    pub fn connect(
        contact_url: &str,
        billing_url: &str,
        auth_url: &str,
        signer: &platform::identity::Signer,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            contacts: ContactServiceClient::new(platform::grpc::peer(contact_url, signer)?),
            billing: BillingServiceClient::new(platform::grpc::peer(billing_url, signer)?),
            auth: AuthServiceClient::new(platform::grpc::peer(auth_url, signer)?),
        })
    }
}

#[derive(Clone)]
pub struct State {
    pub db: Db,
    pub contacts: ContactServiceClient<Peer>,
    pub billing: BillingServiceClient<Peer>,
    pub auth: AuthServiceClient<Peer>,
    /// Shared with the gateway: account-svc deletes a customer's cached
    /// limits ([`platform::cache::limits_key`]) whenever they change.
    pub cache: Cache,
    /// Test hook, never set in production: while true, CreateCustomer stops
    /// right after the customer row is written (and its payment set up)
    /// as if the process died there, undoing and releasing nothing, and
    /// answers UNAVAILABLE as a dropped connection would look. The
    /// end-to-end tests use it to show a retry under the same
    /// Idempotency-Key still ends with one complete account. An atomic
    /// load per create is all it costs.
    pub crash_after_customer_row: Arc<AtomicBool>,
}

impl State {
    /// Opens the `account` schema (or `account.db`) and migrates it.
    pub async fn open(
        storage: &platform::config::Storage,
        peers: Peers,
        cache: Cache,
    ) -> anyhow::Result<Self> {
        let db = Db::open(storage, "account", MIGRATIONS).await?;
        Ok(Self {
            db,
            contacts: peers.contacts,
            billing: peers.billing,
            auth: peers.auth,
            cache,
            crash_after_customer_row: Arc::default(),
        })
    }
}

pub fn service(state: State) -> AccountServiceServer<grpc::AccountApi> {
    AccountServiceServer::new(grpc::AccountApi { state })
}

/// Who calls account-svc besides the gateway and operators, and for what.
pub static CALLERS: platform::identity::Policy = platform::identity::Policy {
    services: &[
        // Whose customer an invoice or a card belongs to; addresses; the
        // monthly close walks customers and plans.
        (
            "billing-svc",
            &[
                "GetCustomer",
                "ListCustomers",
                "ListPlans",
                "ValidateAddress",
            ],
        ),
        // A token's home customer: enabled, and which partner it is.
        ("auth-svc", &["GetCustomer"]),
        // Whether a partner's principal reaches a customer, and the rules
        // for its contacts there (always with the principal).
        ("contact-svc", &["GetContactRules"]),
    ],
    // A product service reporting for an account reads what it is.
    products: &["GetCustomer"],
};

/// Serves the API, health and reflection on `listener` until `shutdown`, with
/// the recovery sweep running beside it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: State,
    trust: platform::identity::Trust,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: std::time::Duration,
) -> anyhow::Result<()> {
    let admission = platform::grpc::Admission {
        trust,
        policy: &CALLERS,
    };
    let sweep = tokio::spawn(recovery::sweep(state.clone()));
    let served = platform::grpc::serve(listener, service(state), admission, shutdown, drain).await;
    sweep.abort();
    served
}
