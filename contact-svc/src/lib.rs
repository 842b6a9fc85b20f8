//! contact-svc owns contacts: logins, password hashes and the roles each
//! contact holds on each customer. Read [`domain`] for the rules,
//! [`behalf`] for what a partner's principal may do, [`store`] for the SQL,
//! [`grpc`] for the API, [`error`] for the wire errors.

#![forbid(unsafe_code)]

pub mod behalf;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod hasher;
pub mod settings;
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
    /// account-svc and auth-svc, asked on a partner's behalf ([`behalf`]).
    pub peers: behalf::Peers,
}

impl State {
    /// Opens the `contact` schema (or `contact.db`) and migrates it.
    pub async fn open(
        storage: &platform::config::Storage,
        peers: behalf::Peers,
        cache: Cache,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            db: Db::open(storage, "contact", MIGRATIONS).await?,
            cache,
            peers,
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

/// Who calls contact-svc besides the gateway and operators, and for what.
pub static CALLERS: platform::identity::Policy = platform::identity::Policy {
    services: &[
        // A new customer's owner; the contact limit; a failed setup undone.
        (
            "account-svc",
            &["CreateContact", "CountContacts", "DeleteCustomerContacts"],
        ),
        // A password grant's contact and the roles its token carries.
        ("auth-svc", &["GetContact", "GetRoles"]),
    ],
    products: &[],
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
