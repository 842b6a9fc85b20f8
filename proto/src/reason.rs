//! The `google.rpc.ErrorInfo` reasons the services answer with, and the
//! metadata keys beside them: one spelling that the service raising a
//! reason and the gateway turning it into a problem document both import.

/// A customer's limit forbids the change (402); keys [`key::LIMIT`],
/// [`key::VALUE`].
pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";
/// The parent partner's credit does not cover an allocation (402); keys
/// [`key::BALANCE`], [`key::CURRENCY`].
pub const INSUFFICIENT_CREDIT: &str = "INSUFFICIENT_CREDIT";
/// The card processor declined the card (409); keys [`key::CODE`],
/// [`key::REASON`].
pub const CARD_DECLINED: &str = "CARD_DECLINED";
/// The processor's blacklist refused the card: a failed setup is kept.
pub const CARD_BLACKLISTED: &str = "CARD_BLACKLISTED";
/// The processor suspected fraud: a failed setup is kept.
pub const FRAUD_SUSPECTED: &str = "FRAUD_SUSPECTED";
/// A create stopped and kept as a failed setup (409); keys
/// [`key::FAILED_SETUP_ID`], [`key::CODE`], [`key::REASON`].
pub const FAILED_SETUP: &str = "FAILED_SETUP";
/// The change would leave a customer without an owner (409).
pub const LAST_OWNER: &str = "LAST_OWNER";
/// An Idempotency-Key sent again with another request (422).
pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
/// A request under the same Idempotency-Key is still running (409).
pub const IDEMPOTENCY_KEY_IN_USE: &str = "IDEMPOTENCY_KEY_IN_USE";
/// RFC 6749 §5.2: a scope the client may not have (400); key
/// [`key::SCOPE`].
pub const INVALID_SCOPE: &str = "invalid_scope";

/// The metadata keys of the reasons above.
pub mod key {
    pub const CODE: &str = "code";
    pub const REASON: &str = "reason";
    pub const LIMIT: &str = "limit";
    pub const VALUE: &str = "value";
    pub const BALANCE: &str = "balance";
    pub const CURRENCY: &str = "currency";
    pub const FAILED_SETUP_ID: &str = "failedSetupID";
    pub const SCOPE: &str = "scope";
}
