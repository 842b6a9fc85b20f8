//! Bearer authentication as an extractor: a handler that takes a
//! [`Caller`] runs only for a live token. Tokens resolve through the cache
//! (key: SHA-256 of the token) and fall back to auth-svc; the principal then
//! travels to services in gRPC metadata through [`Caller::ctx`].

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use prost::Message as _;
use proto::auth::v1 as auth;
use proto::common::v1::Principal;
use sha2::Digest as _;

use crate::AppState;
use crate::problem::Problem;

/// The longest a resolved token stays in the cache. Revocation deletes the
/// entry at once; role changes and removed contacts reach tokens when it
/// lapses (auth-svc re-reads a token's roles on every resolve), so it is
/// short: a token costs one auth-svc call every few seconds, not per request.
const CACHE_AT_MOST: Duration = Duration::from_secs(2);

/// How long a customer's access (enabled along its ancestry, network
/// allow-list) is cached; changing either through the gateway drops the
/// customer's own entry at once, its descendants' lapse within this.
const ACCESS_CACHE: Duration = Duration::from_secs(5);

pub fn access_key(customer_id: &str) -> String {
    format!("access:{customer_id}")
}

/// An authenticated request: who it acts for and the call context for the
/// services (principal, request id, deadline).
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub ctx: platform::context::CallContext,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// The request id the request-id layer set (always present behind it).
pub fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            tracing::info!("rejected: no bearer token");
            return Err(Problem::unauthorized(
                "a bearer token is required (POST /oauth2/token)",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 512)
            .ok_or_else(|| {
                tracing::info!("rejected: malformed authorization header");
                Problem::unauthorized("the Authorization header must be 'Bearer <token>'")
            })?;
        let ctx = platform::context::CallContext::new(
            None,
            request_id(parts),
            Some(state.request_timeout),
        );
        let principal = resolve(state, &ctx, token).await?;
        // The client's own address, behind a trusted proxy too.
        let peer = crate::client_addr::client_addr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
            &parts.headers,
            &state.trusted_proxies,
        );
        match check_access(state, &ctx, &principal, peer).await {
            Ok(()) => {}
            // Degrade, don't fail: a route that needs no account data
            // answers while account-svc cannot confirm the partner's access.
            // A refusal it did answer (disabled, outside the allowed
            // networks), cached or fresh, still holds.
            Err(p)
                if p.status == axum::http::StatusCode::SERVICE_UNAVAILABLE.as_u16()
                    && parts.extensions.get::<WithoutAccountData>().is_some() =>
            {
                tracing::warn!(
                    client_id = principal.client_id,
                    customer_id = principal.customer_id,
                    "access unconfirmed while account-svc is unavailable; answering a route that needs no account data"
                );
            }
            Err(p) => return Err(p),
        }
        let decision = rate_limit(state, &ctx, &principal).await;
        // The headers middleware answers RateLimit on whatever follows.
        if let Some(slot) = parts.extensions.get::<crate::ratelimit::RateSlot>() {
            slot.put(decision);
        }
        if !decision.allowed {
            tracing::info!(
                client_id = principal.client_id,
                customer_id = principal.customer_id,
                "refused: rate limit"
            );
            return Err(decision.problem("this API client's rate limit is used up"));
        }
        let ctx = platform::context::CallContext {
            principal: Some(principal.clone()),
            idempotency: parts
                .extensions
                .get::<crate::idempotency::RequestKey>()
                .map(|k| platform::idempotency::Key {
                    client_id: principal.client_id.clone(),
                    key: k.key.clone(),
                    hash: k.hash.clone(),
                }),
            ..ctx
        };
        Ok(Self { principal, ctx })
    }
}

impl Caller {
    /// Function-level authorization: the token must carry `permission`.
    pub fn require(&self, permission: &'static str) -> Result<(), Problem> {
        self.require_any(&[permission])
    }

    /// The token must carry at least one of `permissions`; the 403 names
    /// the first, the one the route asks for by default.
    pub fn require_any(&self, permissions: &[&'static str]) -> Result<(), Problem> {
        if permissions.iter().any(|p| self.has(p)) {
            return Ok(());
        }
        let missing = permissions.first().copied().unwrap_or_default();
        tracing::info!(
            client_id = self.principal.client_id,
            missing,
            "refused: missing permission"
        );
        Err(Problem::forbidden(missing))
    }

    pub fn has(&self, permission: &str) -> bool {
        self.principal.scopes.iter().any(|s| s == permission)
    }
}

/// Marks the routes that need no account data (`/me`, `/roles`): they answer
/// while account-svc is down, where every other route answers 503.
#[derive(Debug, Clone, Copy)]
pub struct WithoutAccountData;

/// Whether the principal's home customer may use the API now and from
/// here: it and every ancestor must be enabled (a disabled partner stops its
/// whole subtree), and the client's address must be in the partner's
/// `apiAllowedNetworks` when it has any (behind a trusted proxy, the address
/// the proxy reports: [`crate::client_addr`]). Cached as
/// "<0|1> <cidr> <cidr> …".
async fn check_access(
    state: &AppState,
    ctx: &platform::context::CallContext,
    principal: &Principal,
    peer: Option<std::net::IpAddr>,
) -> Result<(), Problem> {
    let key = access_key(&principal.customer_id);
    let cached = match state.cache.get(&key).await {
        Some(hit) => hit,
        None => {
            let access = state
                .account
                .clone()
                .get_access(
                    ctx.internal()
                        .request(proto::account::v1::GetAccessRequest {
                            customer_id: principal.customer_id.clone(),
                        }),
                )
                .await
                .map_err(|s| {
                    if s.code() == tonic::Code::NotFound {
                        Problem::unauthorized("the token's partner no longer exists")
                    } else {
                        Problem::from(s)
                    }
                })?
                .into_inner();
            let line = format!(
                "{} {}",
                u8::from(access.enabled),
                access.api_allowed_networks.join(" ")
            );
            state.cache.set(&key, &line, ACCESS_CACHE).await;
            line
        }
    };
    let mut words = cached.split_whitespace();
    if words.next() != Some("1") {
        tracing::info!(
            client_id = principal.client_id,
            customer_id = principal.customer_id,
            "refused: customer or an ancestor is disabled"
        );
        return Err(Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "API access is suspended: this customer or a partner above it is disabled",
        ));
    }
    let networks: Vec<_> = words
        .filter_map(|n| platform::net::Cidr::parse(n).ok())
        .collect();
    if networks.is_empty() || peer.is_some_and(|ip| networks.iter().any(|n| n.contains(ip))) {
        return Ok(());
    }
    tracing::warn!(
        client_id = principal.client_id,
        customer_id = principal.customer_id,
        peer = ?peer,
        "refused: token used outside its partner's allowed networks"
    );
    Err(Problem::new(
        axum::http::StatusCode::FORBIDDEN,
        "this partner's API clients may not call from this network (settings apiAllowedNetworks)",
    ))
}

/// Takes one request from the client's budget. The policy is the client's
/// home customer's `Api_requestsPerMinute` and `Api_burst`, cached as
/// "<per minute> <burst>"; account-svc drops the entry when either changes.
async fn rate_limit(
    state: &AppState,
    ctx: &platform::context::CallContext,
    principal: &Principal,
) -> crate::ratelimit::Decision {
    let key = platform::cache::limits_key(&principal.customer_id);
    let cached = state.cache.get(&key).await.and_then(|line| {
        let mut words = line.split_whitespace().map(str::parse::<i64>);
        match (words.next(), words.next()) {
            (Some(Ok(per_minute)), Some(Ok(burst))) => Some((per_minute, burst)),
            _ => None,
        }
    });
    let (per_minute, burst) = match cached {
        Some(policy) => policy,
        None => {
            let limits = state
                .account
                .clone()
                .list_limits(
                    ctx.internal()
                        .request(proto::account::v1::ListLimitsRequest {
                            customer_id: principal.customer_id.clone(),
                            // Two values are all it needs: no contact count.
                            without_usage: true,
                        }),
                )
                .await;
            match limits {
                Ok(l) => {
                    let value = |name: &str| {
                        l.get_ref()
                            .items
                            .iter()
                            .find(|i| i.name == name)
                            .map(|i| i.value)
                    };
                    let policy = (
                        value("Api_requestsPerMinute").unwrap_or(DEFAULT_PER_MINUTE),
                        value("Api_burst").unwrap_or(DEFAULT_BURST),
                    );
                    state
                        .cache
                        .set(
                            &key,
                            &format!("{} {}", policy.0, policy.1),
                            crate::ratelimit::POLICY_CACHE,
                        )
                        .await;
                    policy
                }
                // The limits are unreadable for now: the partner plan's
                // defaults apply rather than refusing the request.
                Err(e) => {
                    tracing::warn!(error = %e.message(), "limits unavailable; default rate limit applies");
                    (DEFAULT_PER_MINUTE, DEFAULT_BURST)
                }
            }
        }
    };
    state
        .limiter
        .check(
            &format!("client:{}", principal.client_id),
            crate::ratelimit::Policy::per_minute(per_minute, burst),
            1,
        )
        .await
}

/// The rate limit of a client whose customer's plan names none.
const DEFAULT_PER_MINUTE: i64 = 600;
const DEFAULT_BURST: i64 = 100;

/// Cache first, then auth-svc; a resolved token is cached until it expires
/// (at most [`CACHE_AT_MOST`]).
pub async fn resolve(
    state: &AppState,
    ctx: &platform::context::CallContext,
    token: &str,
) -> Result<Principal, Problem> {
    let key = platform::cache::token_key(&token_hash(token));
    if let Some(hit) = state.cache.get(&key).await
        && let Some(p) = base64::engine::general_purpose::STANDARD
            .decode(hit)
            .ok()
            .and_then(|b| Principal::decode(b.as_slice()).ok())
    {
        return Ok(p);
    }
    let answer = state
        .auth
        .clone()
        .authenticate(ctx.request(auth::AuthenticateRequest {
            access_token: token.to_owned(),
        }))
        .await
        .map_err(|s| {
            if s.code() == tonic::Code::Unauthenticated {
                tracing::info!("rejected: token unknown, expired or revoked");
                Problem::unauthorized("the token is unknown, expired or revoked")
            } else {
                Problem::from(s)
            }
        })?
        .into_inner();
    let principal = answer.principal.unwrap_or_default();
    let left = u64::try_from(answer.expires_at - platform::id::unix_now()).unwrap_or(0);
    let ttl = Duration::from_secs(left).min(CACHE_AT_MOST);
    state
        .cache
        .set(
            &key,
            &base64::engine::general_purpose::STANDARD.encode(principal.encode_to_vec()),
            ttl,
        )
        .await;
    Ok(principal)
}
