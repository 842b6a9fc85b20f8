//! Credentials: client secrets, access tokens and the server key.
//!
//! Client secrets and tokens made by the platform are 256 random bits each.
//! A secret is kept as HMAC-SHA-256 under the server key, a token as its
//! SHA-256. Not Argon2 (which contact-svc uses for human passwords): a slow
//! hash only helps against guessable input, and a random 256-bit value cannot
//! be guessed; it would merely cost tens of milliseconds of CPU per token
//! request and cap how many tokens a replica can issue. The HMAC key means a
//! copy of the `client` table alone does not allow checking guesses either.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// 32 random bytes (256 bits) as base64url without padding: 43 characters
/// that need no escaping in HTTP Basic, forms or headers. `rand::random`
/// draws from the thread-local CSPRNG, seeded from the operating system.
fn random_256() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// A client secret, generated or given (bootstrap). Never logged: Debug
/// prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    pub fn generate() -> Self {
        Self(random_256())
    }

    /// A secret chosen by the operator (BOOTSTRAP_CLIENT_SECRET): at least 16
    /// characters, the least that is not trivially guessed online.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.chars().count() < 16 {
            return Err("must be at least 16 characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A new opaque access token. Opaque rather than a JWT: every use is looked
/// up (and cached), so revocation takes effect at once.
pub fn new_token() -> String {
    random_256()
}

/// The key a token is stored and cached under: its SHA-256 in hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a stored HMAC is compared against when the client does not exist, so
/// that an unknown client costs the same work as a wrong secret.
const NO_CLIENT_HMAC: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The server's HMAC key for client secrets, with its HMAC state prepared
/// once. Never logged: Debug prints a placeholder.
#[derive(Clone)]
pub struct ServerKey(Hmac<Sha256>);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(***)")
    }
}

impl ServerKey {
    /// The key from AUTH_SECRET_KEY: any string of at least 32 characters.
    pub fn from_config(value: &str) -> Result<Self, String> {
        if value.chars().count() < 32 {
            return Err("AUTH_SECRET_KEY must be at least 32 characters".into());
        }
        Self::new(value.as_bytes())
    }

    /// The key as stored in `server_key`: 32 bytes in hex.
    pub fn from_hex(key_hex: &str) -> Result<Self, String> {
        let bytes =
            hex::decode(key_hex).map_err(|_| "the stored server key is not hex".to_owned())?;
        if bytes.len() != 32 {
            return Err("the stored server key is not 32 bytes".into());
        }
        Self::new(&bytes)
    }

    /// A new random key in the stored form.
    pub fn generate_hex() -> String {
        hex::encode(rand::random::<[u8; 32]>())
    }

    fn new(key: &[u8]) -> Result<Self, String> {
        // HMAC takes keys of any length; the error exists only in the trait.
        Hmac::<Sha256>::new_from_slice(key)
            .map(Self)
            .map_err(|e| e.to_string())
    }

    /// HMAC-SHA-256(server key, secret) in hex: what `client.secret_hmac` holds.
    pub fn secret_hmac(&self, secret: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `secret` matches the stored HMAC (`None`: no such client, which
    /// never matches but takes the same time). Compared in constant time so
    /// the answer's timing does not reveal how much of the HMAC matched.
    pub fn verify(&self, secret: &str, stored_hmac: Option<&str>) -> bool {
        self.verify_stored(
            secret,
            stored_hmac.map(|current| StoredSecret {
                current,
                previous: None,
            }),
            0,
        )
    }

    /// Whether `secret` is the client's current secret, or its previous one
    /// while that is still within its grace period at `now` (Unix seconds).
    /// Both comparisons always run, in constant time, and are combined
    /// without branching, so the timing tells neither how much matched nor
    /// which secret did.
    pub fn verify_stored(&self, secret: &str, stored: Option<StoredSecret<'_>>, now: i64) -> bool {
        let mac = self.secret_hmac(secret);
        let current = stored.as_ref().map_or(NO_CLIENT_HMAC, |s| s.current);
        let previous = stored
            .as_ref()
            .and_then(|s| s.previous)
            .filter(|(_, until)| now < *until);
        let current_ok = mac.as_bytes().ct_eq(current.as_bytes());
        let previous_ok = mac
            .as_bytes()
            .ct_eq(previous.map_or(NO_CLIENT_HMAC, |(hmac, _)| hmac).as_bytes())
            & subtle::Choice::from(u8::from(previous.is_some()));
        let matched: bool = (current_ok | previous_ok).into();
        matched && stored.is_some()
    }
}

/// A client's stored secret HMACs: the current one and, after a rotation,
/// the previous one with the Unix second it stops working.
#[derive(Debug, Clone, Copy)]
pub struct StoredSecret<'a> {
    pub current: &'a str,
    pub previous: Option<(&'a str, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ServerKey {
        ServerKey::from_hex(&ServerKey::generate_hex()).expect("valid key")
    }

    #[test]
    fn the_right_secret_verifies() {
        let key = key();
        let secret = Secret::generate();
        let stored = key.secret_hmac(secret.expose());
        assert!(key.verify(secret.expose(), Some(&stored)));
    }

    #[test]
    fn a_wrong_secret_does_not_verify() {
        let key = key();
        let stored = key.secret_hmac("the-right-secret-value");
        assert!(!key.verify("the-wrong-secret-value", Some(&stored)));
        assert!(!key.verify("", Some(&stored)));
    }

    #[test]
    fn the_previous_secret_verifies_until_its_expiry_and_not_after() {
        let key = key();
        let (old, new) = (Secret::generate(), Secret::generate());
        let (old_hmac, new_hmac) = (key.secret_hmac(old.expose()), key.secret_hmac(new.expose()));
        let stored = StoredSecret {
            current: &new_hmac,
            previous: Some((&old_hmac, 1_000)),
        };
        assert!(key.verify_stored(old.expose(), Some(stored), 999));
        assert!(!key.verify_stored(old.expose(), Some(stored), 1_000));
        assert!(!key.verify_stored(old.expose(), Some(stored), 5_000));
    }

    #[test]
    fn the_current_secret_verifies_during_and_after_the_grace_period() {
        let key = key();
        let new = Secret::generate();
        let new_hmac = key.secret_hmac(new.expose());
        let old_hmac = key.secret_hmac("the-old-secret-value");
        let stored = StoredSecret {
            current: &new_hmac,
            previous: Some((&old_hmac, 1_000)),
        };
        assert!(key.verify_stored(new.expose(), Some(stored), 999));
        assert!(key.verify_stored(new.expose(), Some(stored), 1_001));
        assert!(!key.verify_stored("another-secret-value", Some(stored), 999));
    }

    #[test]
    fn without_a_previous_secret_only_the_current_one_verifies() {
        let key = key();
        let current = key.secret_hmac("the-current-secret");
        let stored = StoredSecret {
            current: &current,
            previous: None,
        };
        assert!(key.verify_stored("the-current-secret", Some(stored), 0));
        // An all-zero previous HMAC must not be reachable through the
        // placeholder an absent one is compared against.
        assert!(!key.verify_stored("", Some(stored), 0));
    }

    #[test]
    fn an_unknown_client_never_verifies() {
        let key = key();
        assert!(!key.verify("anything", None));
    }

    #[test]
    fn another_server_key_does_not_verify() {
        let stored = key().secret_hmac("the-right-secret-value");
        assert!(!key().verify("the-right-secret-value", Some(&stored)));
    }

    #[test]
    fn tokens_and_generated_secrets_carry_256_random_bits() {
        for value in [new_token(), Secret::generate().expose().to_owned()] {
            let bytes = URL_SAFE_NO_PAD.decode(&value).expect("base64url");
            assert_eq!(bytes.len(), 32, "{} bits", bytes.len() * 8);
            assert!(!value.contains('='));
        }
        assert_ne!(new_token(), new_token());
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        let h = token_hash("abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_configured_key_is_at_least_32_characters() {
        assert!(ServerKey::from_config(&"k".repeat(31)).is_err());
        assert!(ServerKey::from_config(&"k".repeat(32)).is_ok());
    }

    #[test]
    fn a_stored_key_is_32_bytes_of_hex() {
        assert!(ServerKey::from_hex("zz").is_err());
        assert!(ServerKey::from_hex(&"ab".repeat(31)).is_err());
        assert!(ServerKey::from_hex(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn a_given_secret_is_at_least_16_characters() {
        assert!(Secret::parse(&"s".repeat(15)).is_err());
        assert!(Secret::parse(&"s".repeat(16)).is_ok());
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = Secret::parse("super-secret-value-1").expect("ok");
        assert!(!format!("{s:?}").contains("super"));
        assert_eq!(format!("{:?}", key()), "ServerKey(***)");
    }
}
