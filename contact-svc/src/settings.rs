//! contact-svc's environment ([`platform::settings`]).

use platform::settings::{self as s, Var};

pub const SERVICE: &[Var] = &[s::CONTACT_SVC_ADDR, s::ACCOUNT_SVC_URL, s::AUTH_SVC_URL];

/// Everything the `contact-svc` binary reads.
pub const ALL: &[&[Var]] = &[SERVICE, s::STORAGE, s::CALLER, s::TRUST, s::OPERATIONS];
