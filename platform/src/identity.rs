//! Who makes an internal gRPC call, proven on every call (DESIGN §5).
//!
//! Every caller (the gateway, each service, an operator's tool, a product
//! service) holds an Ed25519 key of its own ([`Signer`]). Every service knows
//! the public keys and roles of the callers it admits ([`Trust`]) and which
//! of its methods each may call ([`Policy`]).
//!
//! A call carries two things in its metadata:
//! - `x-service-token`: who calls, for which service, until when, signed by
//!   the caller. Minted per target service and reused for a few minutes, so
//!   signing and checking cost nothing per call once cached.
//! - `x-principal-assertion`, with `x-principal-bin`: "this partner principal
//!   is the one the request was authenticated as", signed by a caller whose
//!   role may assert principals (the gateway). A service that continues a
//!   call for the same principal forwards the assertion unchanged, so the
//!   principal can be believed at every hop and forged at none.
//!
//! Health checks and reflection need no token: probes (the kubelet's gRPC
//! probe, grpcurl `list`) cannot sign, and they reveal nothing private.
//!
//! Signatures rather than mTLS: no certificate authority to run, no TLS on
//! the loopback ports of the all-in-one stack, and a principal assertion can
//! be checked by every service on the path, not only the first hop. A token
//! lives [`LIFETIME`] seconds and names its target service, so one taken off
//! the wire works only against that service, only briefly, and only from
//! inside the NetworkPolicy.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use sha2::{Digest as _, Sha256};
use tonic::codegen::http;

pub const TOKEN_KEY: &str = "x-service-token";
pub const ASSERTION_KEY: &str = "x-principal-assertion";

/// How long a token or an assertion is good for, in seconds.
pub const LIFETIME: u64 = 600;
/// A cached token is replaced this long after it was made, so one handed
/// out always has six minutes left: longer than any request's deadline
/// (`REQUEST_TIMEOUT_SECONDS` is at most 300), so an assertion forwarded
/// at a request's last hop is still good.
const RENEW_AFTER: u64 = 240;
/// Clocks of different pods may differ by this much.
const SKEW: u64 = 60;
/// Entries each cache keeps at most (one per target service, or per
/// principal seen within a token's lifetime); a full cache forgets its
/// expired entries, then everything, so memory stays bounded.
const CACHE_CAP: usize = 4096;

/// What a caller may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Calls every method and asserts partner principals.
    Gateway,
    /// A platform service: the methods each service's [`Policy`] lists for
    /// it by name; acts as itself.
    Service,
    /// An operator's tool (bootstrap, grpcurl): every method, as itself.
    Operator,
    /// A provider's product service: only the methods a [`Policy`] lists
    /// for products.
    Product,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gateway => "gateway",
            Role::Service => "service",
            Role::Operator => "operator",
            Role::Product => "product",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "gateway" => Role::Gateway,
            "service" => Role::Service,
            "operator" => Role::Operator,
            "product" => Role::Product,
            other => {
                anyhow::bail!("unknown role {other:?} (gateway, service, operator or product)")
            }
        })
    }
}

/// Names are `[a-z0-9_-]+`: they travel inside tokens and assertions,
/// whose separators (`.`, newline, space) they must never contain.
fn check_name(name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
        "an identity's name is lowercase letters, digits, '-' and '_': {name:?}"
    );
    Ok(())
}

/// A number exactly as it was signed: `u64::from_str` also takes `+1` and
/// `01`, which would give one token many spellings (and cache entries).
fn canonical(n: &str) -> Option<u64> {
    n.parse().ok().filter(|v: &u64| v.to_string() == n)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A map whose entries expire, holding at most [`CACHE_CAP`].
struct Recent<K, V>(HashMap<K, (V, u64)>);

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> Recent<K, V> {
    fn get(&self, k: &K, at: u64) -> Option<V> {
        self.0
            .get(k)
            .filter(|(_, until)| *until > at)
            .map(|(v, _)| v.clone())
    }

    fn put(&mut self, k: K, v: V, until: u64, at: u64) {
        if self.0.len() >= CACHE_CAP {
            self.0.retain(|_, (_, u)| *u > at);
            if self.0.len() >= CACHE_CAP {
                self.0.clear();
            }
        }
        self.0.insert(k, (v, until));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a cache leaves nothing half-written that matters:
    // at worst an entry is signed or checked again.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a service token's signature covers.
fn token_claims(name: &str, service: &str, exp: u64) -> String {
    format!("{name}\n{service}\n{exp}")
}

/// What a principal assertion's signature covers: the principal exactly as
/// it travels (the `x-principal-bin` header's text).
fn assertion_message(signer: &str, exp: u64, principal: &[u8]) -> Vec<u8> {
    let mut m = format!("principal\n{signer}\n{exp}\n").into_bytes();
    m.extend_from_slice(principal);
    m
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// This caller's key, and the tokens and assertions it made recently.
#[derive(Clone)]
pub struct Signer(Arc<SignerInner>);

struct SignerInner {
    name: String,
    key: Ed25519KeyPair,
    tokens: Mutex<Recent<String, String>>,
    assertions: Mutex<Recent<[u8; 32], String>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Signer").field(&self.0.name).finish()
    }
}

impl Signer {
    /// A new key, for the all-in-one stack and tests (kept in memory only)
    /// and for `stack keygen`; the PKCS#8 document is the key file's content.
    pub fn generate(name: &str) -> anyhow::Result<(Self, Vec<u8>)> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
        let der = pkcs8.as_ref().to_vec();
        Ok((Self::from_pkcs8(name, &der)?, der))
    }

    pub fn from_pkcs8(name: &str, der: &[u8]) -> anyhow::Result<Self> {
        check_name(name)?;
        // v2 (ours, with the public key, checked) or v1 (what
        // `openssl genpkey -algorithm ed25519` writes).
        let key = Ed25519KeyPair::from_pkcs8(der)
            .or_else(|_| Ed25519KeyPair::from_pkcs8_maybe_unchecked(der))
            .map_err(|e| anyhow::anyhow!("not an Ed25519 PKCS#8 key: {e}"))?;
        Ok(Self(Arc::new(SignerInner {
            name: name.to_owned(),
            key,
            tokens: Mutex::default(),
            assertions: Mutex::default(),
        })))
    }

    /// The key named by `SERVICE_KEY_FILE` (base64 of the PKCS#8 document,
    /// as `stack keygen` writes it), under the name `SERVICE_IDENTITY`
    /// (default: `default_name`, the binary's own).
    pub fn from_env(default_name: &str) -> anyhow::Result<Self> {
        let name = crate::config::var_or("SERVICE_IDENTITY", default_name);
        let path = crate::config::var("SERVICE_KEY_FILE").ok_or_else(|| {
            anyhow::anyhow!(
                "SERVICE_KEY_FILE must name {name}'s key file (`stack keygen {name}` makes one)"
            )
        })?;
        Self::from_file(&name, Path::new(&path))
    }

    pub fn from_file(name: &str, path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the key file {}", path.display()))?;
        let der = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .with_context(|| format!("{} is not base64", path.display()))?;
        Self::from_pkcs8(name, &der).with_context(|| format!("the key in {}", path.display()))
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn public_key(&self) -> Vec<u8> {
        self.0.key.public_key().as_ref().to_vec()
    }

    /// This caller's line in a trust file.
    pub fn trust_line(&self, role: Role) -> String {
        format!(
            "{} {} {}",
            self.0.name,
            role.as_str(),
            base64::engine::general_purpose::STANDARD.encode(self.public_key())
        )
    }

    /// A token for calls to `service` (`partner.account.v1.AccountService`).
    pub fn token(&self, service: &str) -> String {
        let at = now();
        if let Some(t) = lock(&self.0.tokens).get(&service.to_owned(), at) {
            return t;
        }
        let exp = at + LIFETIME;
        let claims = token_claims(&self.0.name, service, exp);
        let sig = self.0.key.sign(format!("token\n{claims}").as_bytes());
        let token = format!("{}.{}", B64.encode(&claims), B64.encode(sig.as_ref()));
        lock(&self.0.tokens).put(service.to_owned(), token.clone(), at + RENEW_AFTER, at);
        token
    }

    /// An assertion that `principal` (the `x-principal-bin` header's text)
    /// is the caller's authenticated principal.
    pub fn assert(&self, principal: &[u8]) -> String {
        let at = now();
        let key = digest(&[principal]);
        if let Some(a) = lock(&self.0.assertions).get(&key, at) {
            return a;
        }
        let exp = at + LIFETIME;
        let sig = self
            .0
            .key
            .sign(&assertion_message(&self.0.name, exp, principal));
        let assertion = format!("{}.{exp}.{}", self.0.name, B64.encode(sig.as_ref()));
        lock(&self.0.assertions).put(key, assertion.clone(), at + RENEW_AFTER, at);
        assertion
    }

    /// Adds this caller's token for the call's service, and an assertion for
    /// a principal that travels without one.
    pub fn sign<B>(&self, req: &mut http::Request<B>) {
        let service = req
            .uri()
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let token = self.token(&service);
        let headers = req.headers_mut();
        if let Ok(v) = http::HeaderValue::from_str(&token) {
            headers.insert(TOKEN_KEY, v);
        }
        if !headers.contains_key(ASSERTION_KEY)
            && let Some(p) = headers.get(crate::context::PRINCIPAL_KEY)
        {
            let assertion = self.assert(p.as_bytes());
            if let Ok(v) = http::HeaderValue::from_str(&assertion) {
                headers.insert(ASSERTION_KEY, v);
            }
        }
    }
}

/// A caller a service has admitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// The callers a service admits: name → role and public key.
#[derive(Clone, Default)]
pub struct Trust(Arc<TrustInner>);

#[derive(Default)]
struct TrustInner {
    /// A name may have several keys (a rotation in progress), one role.
    callers: HashMap<String, (Role, Vec<Vec<u8>>)>,
    tokens: Mutex<Recent<String, Caller>>,
    assertions: Mutex<Recent<[u8; 32], ()>>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.callers.keys()).finish()
    }
}

impl Trust {
    /// Trust made of `(name, role, public key)`. A name listed again with
    /// another key is a key rotation (both are good until the old line
    /// goes); with another role it is an error, not a silent change.
    pub fn new(callers: impl IntoIterator<Item = (String, Role, Vec<u8>)>) -> anyhow::Result<Self> {
        let mut map: HashMap<String, (Role, Vec<Vec<u8>>)> = HashMap::new();
        for (name, role, key) in callers {
            check_name(&name)?;
            anyhow::ensure!(key.len() == 32, "{name}: an Ed25519 public key is 32 bytes");
            let entry = map.entry(name.clone()).or_insert((role, vec![]));
            anyhow::ensure!(
                entry.0 == role,
                "{name} is listed as {} and as {}",
                entry.0.as_str(),
                role.as_str()
            );
            entry.1.push(key);
        }
        Ok(Self(Arc::new(TrustInner {
            callers: map,
            ..TrustInner::default()
        })))
    }

    /// A trust file: one caller per line, `name role base64-public-key`
    /// (what `stack keygen` prints); `#` starts a comment.
    pub fn parse(text: &str) -> anyhow::Result<Vec<(String, Role, Vec<u8>)>> {
        let mut out = vec![];
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, role, key] = fields[..] else {
                anyhow::bail!("line {}: expected `name role public-key`", n + 1);
            };
            let key = base64::engine::general_purpose::STANDARD
                .decode(key)
                .with_context(|| format!("line {}: the public key is not base64", n + 1))?;
            let role = role.parse().with_context(|| format!("line {}", n + 1))?;
            out.push((name.to_owned(), role, key));
        }
        Ok(out)
    }

    /// The callers listed in the file `SERVICE_TRUST_FILE` names.
    pub fn from_env() -> anyhow::Result<Self> {
        let path = crate::config::var("SERVICE_TRUST_FILE").ok_or_else(|| {
            anyhow::anyhow!("SERVICE_TRUST_FILE must name the file of admitted callers")
        })?;
        Self::new(Self::read(Path::new(&path))?)
    }

    pub fn read(path: &Path) -> anyhow::Result<Vec<(String, Role, Vec<u8>)>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the trust file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    fn verify(&self, name: &str, message: &[u8], sig: &str) -> Result<Role, &'static str> {
        let (role, keys) = self.0.callers.get(name).ok_or("unknown caller")?;
        let sig = B64.decode(sig).map_err(|_| "malformed signature")?;
        keys.iter()
            .any(|key| {
                UnparsedPublicKey::new(&ED25519, key)
                    .verify(message, &sig)
                    .is_ok()
            })
            .then_some(*role)
            .ok_or("bad signature")
    }

    /// Who signed `token`, if it is good for `service` now.
    pub fn caller(&self, token: &str, service: &str) -> Result<Caller, &'static str> {
        let at = now();
        let cache_key = format!("{service} {token}");
        if let Some(c) = lock(&self.0.tokens).get(&cache_key, at) {
            return Ok(c);
        }
        let (claims, sig) = token.split_once('.').ok_or("malformed service token")?;
        let claims = B64
            .decode(claims)
            .ok()
            .and_then(|c| String::from_utf8(c).ok())
            .ok_or("malformed service token")?;
        let mut parts = claims.split('\n');
        let (Some(name), Some(aud), Some(exp), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("malformed service token");
        };
        let exp = canonical(exp).ok_or("malformed service token")?;
        let role = self.verify(name, format!("token\n{claims}").as_bytes(), sig)?;
        if aud != service {
            return Err("the service token is for another service");
        }
        check_lifetime(exp, at)?;
        let caller = Caller {
            name: name.to_owned(),
            role,
        };
        lock(&self.0.tokens).put(cache_key, caller.clone(), exp, at);
        Ok(caller)
    }

    /// Whether `assertion` vouches for `principal` (the header's text), made
    /// by a caller that may assert principals.
    pub fn check_assertion(&self, assertion: &str, principal: &[u8]) -> Result<(), &'static str> {
        let at = now();
        let key = digest(&[assertion.as_bytes(), principal]);
        if lock(&self.0.assertions).get(&key, at).is_some() {
            return Ok(());
        }
        let mut parts = assertion.splitn(3, '.');
        let (Some(signer), Some(exp), Some(sig)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err("malformed principal assertion");
        };
        let exp = canonical(exp).ok_or("malformed principal assertion")?;
        let role = self.verify(signer, &assertion_message(signer, exp, principal), sig)?;
        if role != Role::Gateway {
            return Err("the principal was asserted by a caller that may not assert one");
        }
        check_lifetime(exp, at)?;
        lock(&self.0.assertions).put(key, (), exp, at);
        Ok(())
    }
}

fn check_lifetime(exp: u64, at: u64) -> Result<(), &'static str> {
    if exp <= at.saturating_sub(SKEW) {
        return Err("expired");
    }
    if exp > at + LIFETIME + SKEW {
        return Err("valid for longer than a token may be");
    }
    Ok(())
}

/// Which of a service's methods callers other than the gateway and
/// operators may call. Written by the service that owns the methods, so
/// admitting a new caller is a reviewed change there.
#[derive(Debug)]
pub struct Policy {
    /// A platform service (by identity name) and the methods it calls here.
    pub services: &'static [(&'static str, &'static [&'static str])],
    /// The methods any product identity may call.
    pub products: &'static [&'static str],
}

impl Policy {
    pub fn admits(&self, caller: &Caller, method: &str) -> bool {
        match caller.role {
            Role::Gateway | Role::Operator => true,
            Role::Service => self
                .services
                .iter()
                .any(|(name, methods)| *name == caller.name && methods.contains(&method)),
            Role::Product => self.products.contains(&method),
        }
    }
}

/// Probes every port answers without a token.
fn is_open(service: &str) -> bool {
    service == "grpc.health.v1.Health" || service.starts_with("grpc.reflection.")
}

/// The server side: every call but probes shows a service token of an
/// admitted caller, for a method its policy allows, and a principal only
/// with an assertion; otherwise UNAUTHENTICATED (who are you?) or
/// PERMISSION_DENIED (not this method). The admitted caller goes into the
/// request's extensions.
#[derive(Clone)]
pub struct Admission<S> {
    inner: S,
    trust: Trust,
    policy: &'static Policy,
}

impl<S> Admission<S> {
    pub fn layer(
        trust: Trust,
        policy: &'static Policy,
    ) -> impl tower::Layer<S, Service = Admission<S>> + Clone {
        tower::layer::layer_fn(move |inner| Admission {
            inner,
            trust: trust.clone(),
            policy,
        })
    }

    fn admit<B>(&self, req: &http::Request<B>) -> Result<Option<Caller>, tonic::Status> {
        let path = req.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        if is_open(service) {
            return Ok(None);
        }
        let headers = req.headers();
        let token = headers
            .get(TOKEN_KEY)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                tonic::Status::unauthenticated(
                    "no service token: every internal call proves its caller (x-service-token)",
                )
            })?;
        let caller = self.trust.caller(token, service).map_err(|why| {
            tonic::Status::unauthenticated(format!("service token refused: {why}"))
        })?;
        if !self.policy.admits(&caller, method) {
            return Err(tonic::Status::permission_denied(format!(
                "{} may not call {method}",
                caller.name
            )));
        }
        if let Some(principal) = headers.get(crate::context::PRINCIPAL_KEY) {
            let assertion = headers
                .get(ASSERTION_KEY)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    tonic::Status::unauthenticated("a principal without an assertion")
                })?;
            self.trust
                .check_assertion(assertion, principal.as_bytes())
                .map_err(|why| {
                    tonic::Status::unauthenticated(format!("principal assertion refused: {why}"))
                })?;
        }
        Ok(Some(caller))
    }
}

impl<S, B, RB> tower::Service<http::Request<B>> for Admission<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>, Error = Infallible>,
    S::Future: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = crate::grpc::BoxFuture<S::Response, Infallible>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        match self.admit(&req) {
            Ok(caller) => {
                if let Some(c) = caller {
                    req.extensions_mut().insert(c);
                }
                Box::pin(self.inner.call(req))
            }
            Err(status) => {
                tracing::warn!(path = req.uri().path(), %status, "internal call refused");
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust(signers: &[(&Signer, Role)]) -> Trust {
        Trust::new(
            signers
                .iter()
                .map(|(s, r)| (s.name().to_owned(), *r, s.public_key())),
        )
        .unwrap()
    }

    const ACCOUNTS: &str = "partner.account.v1.AccountService";

    #[test]
    fn a_token_names_its_caller_for_its_service_only() {
        let (gw, _) = Signer::generate("gateway").unwrap();
        let t = trust(&[(&gw, Role::Gateway)]);
        let token = gw.token(ACCOUNTS);
        assert_eq!(
            t.caller(&token, ACCOUNTS).unwrap(),
            Caller {
                name: "gateway".into(),
                role: Role::Gateway
            }
        );
        assert!(
            t.caller(&token, "partner.contact.v1.ContactService")
                .is_err()
        );
        // Cached: the same token comes back while it is fresh.
        assert_eq!(gw.token(ACCOUNTS), token);
    }

    #[test]
    fn an_unknown_key_or_a_changed_token_is_refused() {
        let (gw, _) = Signer::generate("gateway").unwrap();
        let (impostor, _) = Signer::generate("gateway").unwrap();
        let t = trust(&[(&gw, Role::Gateway)]);
        assert_eq!(
            t.caller(&impostor.token(ACCOUNTS), ACCOUNTS),
            Err("bad signature")
        );
        let token = gw.token(ACCOUNTS);
        let (_, sig) = token.split_once('.').unwrap();
        let forged = format!(
            "{}.{sig}",
            B64.encode(token_claims("gateway", ACCOUNTS, now() + 100_000))
        );
        assert!(t.caller(&forged, ACCOUNTS).is_err());
        assert!(t.caller("nonsense", ACCOUNTS).is_err());
    }

    #[test]
    fn only_the_gateway_asserts_principals_and_only_the_one_it_signed() {
        let (gw, _) = Signer::generate("gateway").unwrap();
        let (svc, _) = Signer::generate("billing-svc").unwrap();
        let t = trust(&[(&gw, Role::Gateway), (&svc, Role::Service)]);
        let a = gw.assert(b"principal-a");
        assert_eq!(t.check_assertion(&a, b"principal-a"), Ok(()));
        assert_eq!(t.check_assertion(&a, b"principal-b"), Err("bad signature"));
        assert!(
            t.check_assertion(&svc.assert(b"principal-a"), b"principal-a")
                .is_err()
        );
    }

    /// `+exp` or `0exp` would verify (the signed text is rebuilt from the
    /// number) but is refused: one token, one spelling.
    #[test]
    fn an_expiry_spelt_otherwise_than_signed_is_refused() {
        let (gw, _) = Signer::generate("gateway").unwrap();
        let t = trust(&[(&gw, Role::Gateway)]);
        let a = gw.assert(b"p");
        let (signer, rest) = a.split_once('.').unwrap();
        let respelt = format!("{signer}.+{rest}");
        assert_eq!(
            t.check_assertion(&respelt, b"p"),
            Err("malformed principal assertion")
        );
        assert_eq!(t.check_assertion(&a, b"p"), Ok(()));
    }

    #[test]
    fn a_policy_admits_services_by_name_and_products_to_their_methods() {
        static POLICY: Policy = Policy {
            services: &[("billing-svc", &["GetCustomer"])],
            products: &["GetQuota"],
        };
        let c = |name: &str, role| Caller {
            name: name.into(),
            role,
        };
        assert!(POLICY.admits(&c("billing-svc", Role::Service), "GetCustomer"));
        assert!(!POLICY.admits(&c("billing-svc", Role::Service), "CreateCustomer"));
        assert!(!POLICY.admits(&c("auth-svc", Role::Service), "GetCustomer"));
        assert!(POLICY.admits(&c("reporter", Role::Product), "GetQuota"));
        assert!(!POLICY.admits(&c("reporter", Role::Product), "CreateCustomer"));
        assert!(POLICY.admits(&c("ops", Role::Operator), "CreateCustomer"));
    }

    /// A key `openssl genpkey -algorithm ed25519 -outform DER` made (PKCS#8
    /// v1) and its public key, as an operator without our binary makes one.
    #[test]
    fn an_openssl_key_signs_for_its_public_key() {
        let der = base64::engine::general_purpose::STANDARD
            .decode("MC4CAQAwBQYDK2VwBCIEICoSBWs30fTG2VfCSPI6WqZoCmH4XIHQYzl35H1Mei+d")
            .unwrap();
        let signer = Signer::from_pkcs8("gateway", &der).unwrap();
        assert_eq!(
            signer.trust_line(Role::Gateway),
            "gateway gateway vKTpGXDvcVaAOiXa5K0km+UO3yu18gx8GdhP4iG/0uU="
        );
    }

    #[test]
    fn trust_files_list_name_role_and_key() {
        let (gw, _) = Signer::generate("gateway").unwrap();
        let text = format!("# callers\n{}\n\n", gw.trust_line(Role::Gateway));
        let parsed = Trust::parse(&text).unwrap();
        assert_eq!(
            parsed,
            vec![("gateway".into(), Role::Gateway, gw.public_key())]
        );
        assert!(Trust::parse("gateway root AAAA").is_err());
        // A second key under a name is a rotation; a second role is not.
        let (next, _) = Signer::generate("gateway").unwrap();
        let both = Trust::new(parsed.iter().cloned().chain([(
            "gateway".into(),
            Role::Gateway,
            next.public_key(),
        )]))
        .unwrap();
        assert!(both.caller(&gw.token(ACCOUNTS), ACCOUNTS).is_ok());
        assert!(both.caller(&next.token(ACCOUNTS), ACCOUNTS).is_ok());
        assert!(
            Trust::new(parsed.iter().cloned().chain([(
                "gateway".into(),
                Role::Operator,
                next.public_key()
            )]))
            .is_err()
        );
        assert!(Signer::generate("Gate.way").is_err());
    }
}
