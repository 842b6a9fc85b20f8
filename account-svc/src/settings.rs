//! account-svc's environment ([`platform::settings`]).

use platform::settings::{self as s, Var};

pub const SERVICE: &[Var] = &[
    s::ACCOUNT_SVC_ADDR,
    s::CONTACT_SVC_URL,
    s::BILLING_SVC_URL,
    s::AUTH_SVC_URL,
];

/// Everything the `account-svc` binary reads.
pub const ALL: &[&[Var]] = &[SERVICE, s::STORAGE, s::CALLER, s::TRUST, s::OPERATIONS];
