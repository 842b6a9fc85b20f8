//! auth-svc's SQL, one module per aggregate.

pub mod access_request;
pub mod client;
pub mod server_key;
pub mod token;
