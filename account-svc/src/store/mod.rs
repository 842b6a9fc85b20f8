//! account-svc's SQL, one module per aggregate.

pub mod customer;
pub mod failed_setup;
pub mod limit;
pub mod settings;
