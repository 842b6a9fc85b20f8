//! Mechanisms every service shares, and no business rules.
//!
//! Read in this order: [`config`] (environment), [`telemetry`] (logs),
//! [`db`] (pool, schema, embedded migrations on SQLite or PostgreSQL),
//! [`cache`] (Redis or in-process), [`context`] (what travels with a gRPC
//! call: principal, request id, deadline), [`identity`] (who makes an
//! internal call, proven), [`grpc`] (server kit: health,
//! reflection, graceful shutdown; clients), [`status`] (field violations).

#![forbid(unsafe_code)]

pub mod alloc;
pub mod cache;
pub mod config;
pub mod context;
pub mod db;
#[cfg(feature = "test-support")]
pub mod fake_peer;
pub mod grpc;
pub mod id;
pub mod idempotency;
pub mod identity;
pub mod locale;
pub mod metrics;
pub mod net;
pub mod paging;
pub mod settings;
pub mod shutdown;
pub mod status;
pub mod telemetry;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod text;
