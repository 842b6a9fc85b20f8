//! billing-svc's environment ([`platform::settings`]).

use platform::settings::{self as s, Var};

/// The monthly close; also read by `stack`.
pub const CLOSING: &[Var] = &[Var::new(
    "BILLING_CLOSE_INTERVAL_SECS",
    "3600",
    s::number::<0, 31_536_000>,
    "How often the previous month is closed into invoices; 0 never.",
)];

pub const SERVICE: &[Var] = &[s::BILLING_SVC_ADDR, s::ACCOUNT_SVC_URL];

/// Everything the `billing-svc` binary reads.
pub const ALL: &[&[Var]] = &[
    SERVICE,
    CLOSING,
    s::STORAGE,
    s::CALLER,
    s::TRUST,
    s::OPERATIONS,
];
