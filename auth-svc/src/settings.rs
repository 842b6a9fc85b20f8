//! auth-svc's environment ([`platform::settings`]).

use platform::settings::{self as s, Var};

/// Secrets and tokens; also read by `stack`.
pub const TOKENS: &[Var] = &[
    Var::new(
        "AUTH_SECRET_KEY",
        "generated, kept in the auth schema",
        server_key,
        "Server key (at least 32 characters) for the HMAC of client secrets.",
    )
    .secret(),
    Var::new(
        "TOKEN_TTL_SECONDS",
        "3600",
        s::number::<60, 86400>,
        "Access-token lifetime.",
    ),
];

fn server_key(v: &str) -> Result<(), String> {
    crate::domain::secret::ServerKey::from_config(v).map(|_| ())
}

pub const SERVICE: &[Var] = &[s::AUTH_SVC_ADDR, s::CONTACT_SVC_URL, s::ACCOUNT_SVC_URL];

/// Everything the `auth-svc` binary reads.
pub const ALL: &[&[Var]] = &[
    SERVICE,
    TOKENS,
    s::STORAGE,
    s::CALLER,
    s::TRUST,
    s::OPERATIONS,
];
