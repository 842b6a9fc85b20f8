//! The one test-database harness every service's unit tests use: a scratch
//! directory per test, removed when the test ends, and the storage that
//! goes with it.

use std::path::{Path, PathBuf};

use crate::config::Storage;

/// A directory of one test's own, removed (with the SQLite files in it)
/// when dropped, so a test leaves nothing behind even when it fails.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("partner-test-{}", crate::id::new_id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Embedded SQLite, one file per service in this directory.
    pub fn sqlite(&self) -> Storage {
        sqlite(&self.0)
    }

    /// [`storage`] in this directory.
    pub fn storage(&self) -> Storage {
        storage(&self.0)
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Embedded SQLite files under `dir`.
pub fn sqlite(dir: &Path) -> Storage {
    Storage {
        data_dir: dir.to_path_buf(),
        database_url: None,
        schema_prefix: String::new(),
        redis_url: None,
    }
}

/// PostgreSQL when `DATABASE_URL` names one (CI's second run), on schemas of
/// this test's own (`t<12 hex>_`, which CI's clean-up finds and drops);
/// otherwise SQLite under `dir`.
pub fn storage(dir: &Path) -> Storage {
    let database_url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"));
    // The random tail of the id: its head is the time, which two tests
    // starting in the same millisecond would share.
    let schema_prefix = match database_url {
        Some(_) => format!("t{}_", &crate::id::new_id()[20..]),
        None => String::new(),
    };
    Storage {
        database_url,
        schema_prefix,
        ..sqlite(dir)
    }
}
