//! Client rules: each type parses or says why not. [`secret`] holds the
//! credentials: client secrets, access tokens and the server key; [`scope`]
//! what a token may do; [`access`] who may manage which clients and the
//! API access requests of partners; [`page`] how their lists are paged.

pub mod access;
pub mod scope;
pub mod secret;

pub use scope::Scope;
pub use secret::{Secret, ServerKey};

/// A client's display name: 1..=100 characters, trimmed, without control
/// characters (it is shown in lists and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientName(String);

impl ClientName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = s.trim();
        if v.is_empty() {
            return Err("is required".into());
        }
        if v.chars().count() > 100 {
            return Err("must be at most 100 characters".into());
        }
        if v.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(v.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client id chosen by the caller (bootstrap): 1..=64 characters of
/// `[A-Za-z0-9._-]`, so it travels unescaped in HTTP Basic, forms and URLs.
/// Generated ids are platform ids and always pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.len() > 64 {
            return Err("must be at most 64 characters".into());
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err("may hold only letters, digits and . _ -".into());
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a rotated-out secret keeps working: 0..=604800 seconds (a
/// week), long enough to roll a deployment, short enough that a leaked old
/// secret soon dies. 0 ends the old secret at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GracePeriod(i64);

impl GracePeriod {
    pub const MAX_SECONDS: i64 = 604_800;

    pub fn parse(seconds: i64) -> Result<Self, String> {
        if (0..=Self::MAX_SECONDS).contains(&seconds) {
            Ok(Self(seconds))
        } else {
            Err(format!("must be from 0 to {} seconds", Self::MAX_SECONDS))
        }
    }

    /// Until when (Unix seconds) the previous secret works, rotating at
    /// `now`; `None` when it stops at once.
    pub fn previous_until(self, now: i64) -> Option<i64> {
        (self.0 > 0).then(|| now + self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_name_is_1_to_100_characters() {
        assert!(ClientName::parse("n").is_ok());
        assert!(ClientName::parse(&"n".repeat(100)).is_ok());
        assert!(ClientName::parse(&"n".repeat(101)).is_err());
    }

    #[test]
    fn client_name_is_required() {
        assert!(ClientName::parse("").is_err());
        assert!(ClientName::parse("  ").is_err());
    }

    #[test]
    fn client_name_is_trimmed_and_has_no_control_characters() {
        assert_eq!(ClientName::parse(" ci ").expect("ok").as_str(), "ci");
        assert!(ClientName::parse("a\nb").is_err());
    }

    #[test]
    fn grace_period_is_0_to_a_week() {
        assert!(GracePeriod::parse(0).is_ok());
        assert!(GracePeriod::parse(604_800).is_ok());
        assert!(GracePeriod::parse(604_801).is_err());
        assert!(GracePeriod::parse(-1).is_err());
    }

    #[test]
    fn no_grace_period_means_no_previous_secret() {
        assert_eq!(GracePeriod::parse(0).expect("ok").previous_until(100), None);
        assert_eq!(
            GracePeriod::parse(60).expect("ok").previous_until(100),
            Some(160)
        );
    }

    #[test]
    fn client_id_is_1_to_64_url_safe_characters() {
        assert!(ClientId::parse("root-client_1.v2").is_ok());
        assert!(ClientId::parse(&"a".repeat(64)).is_ok());
        assert!(ClientId::parse(&"a".repeat(65)).is_err());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("a b").is_err());
        assert!(ClientId::parse("a:b").is_err());
        assert!(ClientId::parse("é").is_err());
    }

    #[test]
    fn platform_ids_are_valid_client_ids() {
        assert!(ClientId::parse(&platform::id::new_id()).is_ok());
    }
}
