//! contact-svc owns contacts: logins, password hashes and the roles each
//! contact holds on each customer. Read [`domain`] for the rules,
//! [`store`] for the SQL, [`grpc`] for the API, [`error`] for the wire errors.

#![forbid(unsafe_code)]

pub mod domain;
pub mod error;
pub mod grpc;
pub mod hasher;
pub mod store;

use std::future::Future;

use platform::cache::Cache;
use platform::db::{Db, Migration};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "contact",
        sql: include_str!("../migrations/0001_contact.sql"),
    },
    Migration {
        version: 2,
        description: "contact culture",
        sql: include_str!("../migrations/0002_contact_culture.sql"),
    },
    Migration {
        version: 3,
        description: "contact alternative email and phone",
        sql: include_str!("../migrations/0003_contact_alternative_email_phone.sql"),
    },
    // The keys of CreateContact and AssignContact (`Idempotency-Key`), kept
    // beside the contacts they create so both commit together.
    Migration {
        version: 4,
        description: "idempotency_key",
        sql: platform::idempotency::TABLE_SQL,
    },
];

#[derive(Clone)]
pub struct State {
    pub db: Db,
    /// Where the totals of contact lists are kept between pages
    /// ([`platform::paging`]).
    pub cache: Cache,
}

impl State {
    /// Opens the `contact` schema (or `contact.db`) and migrates it.
    pub async fn open(storage: &platform::config::Storage, cache: Cache) -> anyhow::Result<Self> {
        Ok(Self {
            db: Db::open(storage, "contact", MIGRATIONS).await?,
            cache,
        })
    }
}

pub fn service(
    state: State,
) -> proto::contact::v1::contact_service_server::ContactServiceServer<grpc::ContactApi> {
    proto::contact::v1::contact_service_server::ContactServiceServer::new(grpc::ContactApi {
        state,
    })
}

/// Serves the API, health and reflection on `listener` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: State,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: std::time::Duration,
) -> anyhow::Result<()> {
    platform::grpc::serve(listener, service(state), shutdown, drain).await
}
