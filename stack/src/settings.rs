//! `stack`'s environment ([`platform::settings`]): every component's, as it
//! runs them all, and the bootstrap's.

use platform::settings::{self as s, Var};

/// The root distributor the first start creates, and its API client.
pub const BOOTSTRAP: &[Var] = &[
    Var::new(
        "BOOTSTRAP_CLIENT_ID",
        "generated",
        s::any,
        "Fixes the bootstrap client's id (with BOOTSTRAP_CLIENT_SECRET).",
    ),
    Var::new(
        "BOOTSTRAP_CLIENT_SECRET",
        "generated",
        client_secret,
        "Fixes the bootstrap client's secret (at least 16 characters).",
    )
    .secret(),
    root("BOOTSTRAP_ACCOUNT_NAME", "root"),
    root("BOOTSTRAP_COMPANY_NAME", "Root distributor"),
    root("BOOTSTRAP_COMPANY_PHONE", "+1 302 555 0100"),
    root("BOOTSTRAP_ADDRESS_LINE1", "1 Main Street"),
    root("BOOTSTRAP_CITY", "Wilmington"),
    root("BOOTSTRAP_STATE", "DE"),
    root("BOOTSTRAP_ZIP", "19801"),
    root("BOOTSTRAP_COUNTRY", "US"),
    root("BOOTSTRAP_OWNER_LOGIN", "root-owner"),
    root("BOOTSTRAP_OWNER_NAME", "Root Owner"),
    root("BOOTSTRAP_OWNER_EMAIL", "owner@example.com"),
];

/// A field of the root distributor (account-svc judges the value as it
/// judges any customer's).
const fn root(name: &'static str, default: &'static str) -> Var {
    Var::new(name, default, s::any, "The root distributor's field.")
}

/// auth-svc's rule for a secret an operator chooses.
fn client_secret(v: &str) -> Result<(), String> {
    auth_svc::domain::secret::Secret::parse(v).map(|_| ())
}

/// Where the services listen inside the one process, and where `stack
/// bootstrap` finds them.
pub const SERVICES: &[Var] = &[
    s::ACCOUNT_SVC_ADDR,
    s::CONTACT_SVC_ADDR,
    s::BILLING_SVC_ADDR,
    s::AUTH_SVC_ADDR,
    s::ACCOUNT_SVC_URL,
    s::AUTH_SVC_URL,
];

/// Everything the `stack` binary reads.
pub const ALL: &[&[Var]] = &[
    gateway::settings::EDGE,
    SERVICES,
    auth_svc::settings::TOKENS,
    billing_svc::settings::CLOSING,
    BOOTSTRAP,
    s::STORAGE,
    s::CALLER,
    s::TRUST,
    s::OPERATIONS,
];
