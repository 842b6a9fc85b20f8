//! contact-svc's SQL, one module per aggregate.

pub mod contact;
