//! auth-svc owns API clients, the API access requests of partners, and the
//! clients' OAuth2 client-credentials tokens (RFC 6749 §4.4), with scopes
//! (§3.3) and revocation (RFC 7009). Read [`domain`] for the rules and the
//! credentials, [`store`] for the SQL, [`grpc`] for the API, [`error`] for
//! the wire errors.

#![forbid(unsafe_code)]

pub mod domain;
pub mod error;
pub mod grpc;
pub mod settings;
pub mod store;

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use platform::cache::Cache;
use platform::db::{Db, Migration};
use platform::grpc::Peer;
use proto::account::v1::account_service_client::AccountServiceClient;
use proto::contact::v1::contact_service_client::ContactServiceClient;

use crate::domain::ServerKey;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "auth",
        sql: include_str!("../migrations/0001_auth.sql"),
    },
    Migration {
        version: 2,
        description: "client access",
        sql: include_str!("../migrations/0002_client_access.sql"),
    },
    Migration {
        version: 3,
        description: "token by contact",
        sql: include_str!("../migrations/0003_token_contact.sql"),
    },
    // The keys of CreateClient and RequestApiAccess (`Idempotency-Key`),
    // kept beside what they create so both commit together.
    Migration {
        version: 4,
        description: "idempotency_key",
        sql: platform::idempotency::TABLE_SQL,
    },
];

#[derive(Clone)]
pub struct State {
    pub db: Db,
    /// Where the gateway caches tokens' principals; revocation deletes there.
    cache: Cache,
    /// Roles and their permissions live in contact-svc; a token's are looked
    /// up there at issue and again on every Authenticate.
    contacts: ContactServiceClient<Peer>,
    /// The hierarchy lives in account-svc: customer paths, and whether a
    /// customer is within a principal's subtree.
    accounts: AccountServiceClient<Peer>,
    /// The HMAC key client secrets are stored under.
    key: ServerKey,
    token_ttl: Duration,
}

impl State {
    /// Opens the `auth` schema (or `auth.db`), migrates it, and reads
    /// `AUTH_SECRET_KEY` and `TOKEN_TTL_SECONDS` (default 3600, 60..=86400).
    pub async fn open(
        storage: &platform::config::Storage,
        cache: Cache,
        contacts: ContactServiceClient<Peer>,
        accounts: AccountServiceClient<Peer>,
    ) -> anyhow::Result<Self> {
        let token_ttl = token_ttl(platform::config::var("TOKEN_TTL_SECONDS").as_deref())
            .map_err(anyhow::Error::msg)?;
        let configured_key = platform::config::var("AUTH_SECRET_KEY")
            .map(|k| ServerKey::from_config(&k))
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let db = Db::open(storage, "auth", MIGRATIONS).await?;
        let key = match configured_key {
            Some(key) => key,
            // Without AUTH_SECRET_KEY the key lives in the same database as the
            // HMACs it protects, so a copy of the database holds both. That
            // keeps `cargo run` free of setup; production should set
            // AUTH_SECRET_KEY from a secret store (a Kubernetes Secret, Vault).
            None => {
                let stored = store::server_key::load_or_create(&db, &ServerKey::generate_hex())
                    .await
                    .context("reading the server key")?;
                ServerKey::from_hex(&stored).map_err(anyhow::Error::msg)?
            }
        };
        Ok(Self {
            db,
            cache,
            contacts,
            accounts,
            key,
            token_ttl,
        })
    }
}

/// TOKEN_TTL_SECONDS: at least a minute, so a client is not forever fetching
/// tokens, and at most a day, so a leaked token does not live long.
fn token_ttl(value: Option<&str>) -> Result<Duration, String> {
    let Some(value) = value else {
        return Ok(Duration::from_secs(3600));
    };
    match value.trim().parse::<u64>() {
        Ok(secs) if (60..=86_400).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "TOKEN_TTL_SECONDS must be a number of seconds from 60 to 86400, got {value:?}"
        )),
    }
}

pub fn service(
    state: State,
) -> proto::auth::v1::auth_service_server::AuthServiceServer<grpc::AuthApi> {
    proto::auth::v1::auth_service_server::AuthServiceServer::new(grpc::AuthApi { state })
}

/// Who calls auth-svc besides the gateway and operators, and for what.
pub static CALLERS: platform::identity::Policy = platform::identity::Policy {
    services: &[
        // A failed setup undone: the customer's API clients go too.
        ("account-svc", &["DeleteCustomerClients"]),
        // A deleted contact's API clients go with it.
        ("contact-svc", &["DeleteContactClients"]),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ttl_defaults_to_an_hour() {
        assert_eq!(token_ttl(None), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn token_ttl_is_a_minute_to_a_day() {
        assert_eq!(token_ttl(Some("60")), Ok(Duration::from_secs(60)));
        assert_eq!(token_ttl(Some("86400")), Ok(Duration::from_secs(86_400)));
        assert!(token_ttl(Some("59")).is_err());
        assert!(token_ttl(Some("86401")).is_err());
        assert!(token_ttl(Some("an hour")).is_err());
    }
}
