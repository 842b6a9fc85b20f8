//! Configuration from the environment, with the defaults of the embedded stack.

use std::path::PathBuf;

/// A variable's value, or `None` when unset or empty.
pub fn var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

pub fn var_or(key: &str, default: &str) -> String {
    var(key).unwrap_or_else(|| default.to_owned())
}

/// Where a service keeps its state. Each service's setting is read from the
/// environment by its own `main`, or filled in by the stack.
#[derive(Clone, Debug)]
pub struct Storage {
    /// `DATA_DIR`: embedded SQLite files and `bootstrap.json` live here.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `postgres://…` or `sqlite://…`; `None` = embedded SQLite.
    pub database_url: Option<String>,
    /// Prepended to each service's schema name on PostgreSQL (tests use it to
    /// give each test its own schemas in one database).
    pub schema_prefix: String,
    /// `REDIS_URL`: `None` = in-process cache.
    pub redis_url: Option<String>,
}

impl Storage {
    pub fn from_env() -> Self {
        Self {
            data_dir: PathBuf::from(var_or("DATA_DIR", "./data")),
            database_url: var("DATABASE_URL"),
            schema_prefix: var_or("DATABASE_SCHEMA_PREFIX", ""),
            redis_url: var("REDIS_URL"),
        }
    }
}
