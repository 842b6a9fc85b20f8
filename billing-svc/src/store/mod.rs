//! billing-svc's SQL, one module per aggregate.

pub mod credit;
pub mod info;
pub mod invoice;
pub mod payment_method;
pub mod usage;
