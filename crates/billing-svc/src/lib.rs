//! billing-svc owns billing data: each customer's payment method, kept as
//! the card processor's token, brand, last four digits and expiry. Read
//! [`domain`] for the rules, [`processor`] for the card processor,
//! [`store`] for the SQL, [`grpc`] for the API, [`error`] for the wire errors.

#![forbid(unsafe_code)]

pub mod domain;
pub mod error;
pub mod grpc;
pub mod processor;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use platform::db::{Db, Migration};

use crate::processor::{CardProcessor, SandboxProcessor};

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "payment_method",
    sql: include_str!("../migrations/0001_payment_method.sql"),
}];

#[derive(Clone)]
pub struct State {
    pub db: Db,
    pub processor: Arc<dyn CardProcessor>,
}

impl State {
    /// Opens the `billing` schema (or `billing.db`), migrates it, and verifies
    /// cards with the sandbox processor.
    pub async fn open(storage: &platform::config::Storage) -> anyhow::Result<Self> {
        Ok(Self {
            db: Db::open(storage, "billing", MIGRATIONS).await?,
            processor: Arc::new(SandboxProcessor),
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

/// Serves the API, health and reflection on `listener` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: State,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    platform::grpc::serve(listener, service(state), shutdown).await
}
