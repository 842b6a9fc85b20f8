//! billing-svc's SQL, one module per aggregate.

pub mod payment_method;
