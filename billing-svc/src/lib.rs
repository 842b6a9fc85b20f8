//! billing-svc owns billing data: each customer's billing information and
//! payment method (kept as the card processor's token, brand, last four
//! digits and expiry), chargeable activity, invoices and the prepaid credit
//! ledger. Read [`domain`] for the rules, [`processor`] for the card
//! processor, [`store`] for the SQL, [`grpc`] for the API, [`closing`] for
//! turning a month into invoices, [`totals`] for the cached totals of the
//! lists, [`error`] for the wire errors.

#![forbid(unsafe_code)]

pub mod closing;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod processor;
pub mod settings;
pub mod store;
pub mod totals;

use std::future::Future;
use std::sync::Arc;

use platform::cache::Cache;
use platform::db::{Db, Migration};
use platform::grpc::Peer;
use proto::account::v1::account_service_client::AccountServiceClient;

use crate::processor::{CardProcessor, SandboxProcessor};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "payment_method",
        sql: include_str!("../migrations/0001_payment_method.sql"),
    },
    Migration {
        version: 2,
        description: "billing",
        sql: include_str!("../migrations/0002_billing.sql"),
    },
    // The keys of AllocateCredit (`Idempotency-Key`), kept beside the
    // ledger so an allocation and its answer commit together.
    Migration {
        version: 3,
        description: "idempotency_key",
        sql: platform::idempotency::TABLE_SQL,
    },
    Migration {
        version: 4,
        description: "invoice_billed_to",
        sql: include_str!("../migrations/0004_invoice_billed_to.sql"),
    },
];

#[derive(Clone)]
pub struct State {
    pub db: Db,
    pub processor: Arc<dyn CardProcessor>,
    /// account-svc: who a customer is, where it sits in the tree, its plan.
    pub accounts: AccountServiceClient<Peer>,
    /// The lists' totals, counted once per change ([`totals`]); shared with
    /// the other services when Redis is configured.
    pub cache: Cache,
}

impl State {
    /// Opens the `billing` schema (or `billing.db`), migrates it, and verifies
    /// cards with the sandbox processor.
    pub async fn open(
        storage: &platform::config::Storage,
        accounts: AccountServiceClient<Peer>,
        cache: Cache,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            db: Db::open(storage, "billing", MIGRATIONS).await?,
            processor: Arc::new(SandboxProcessor),
            accounts,
            cache,
        })
    }
}

pub fn service(
    state: State,
) -> proto::billing::v1::billing_service_server::BillingServiceServer<grpc::BillingApi> {
    proto::billing::v1::billing_service_server::BillingServiceServer::new(grpc::BillingApi {
        state,
    })
}

/// Who calls billing-svc besides the gateway and operators, and for what.
pub static CALLERS: platform::identity::Policy = platform::identity::Policy {
    services: &[
        // A new customer's payment method; a failed setup undone.
        ("account-svc", &["SetupPayment", "DeleteCustomerBilling"]),
    ],
    // Product services report what their accounts used.
    products: &["RecordUsage"],
};

/// Serves the API, health and reflection on `listener` until `shutdown`.
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
    platform::grpc::serve(listener, service(state), admission, shutdown, drain).await
}
