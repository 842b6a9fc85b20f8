//! The database of one service: embedded SQLite (one file per service under
//! the data directory) or PostgreSQL (one schema per service), behind one
//! pool type so the same store code runs on both.
//!
//! Store code writes portable SQL: `$1`-style placeholders (SQLite reads them
//! as numbered parameters), `text` and `bigint` columns, times as fixed-width
//! RFC 3339 text, booleans as 0/1. What differs per dialect stays in the store
//! module of the service that needs it, switched on [`Db::backend`].

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use sha2::Digest as _;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, AssertSqlSafe, Executor as _, Row as _};

use crate::config::Storage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

static SYSTEM: AtomicU8 = AtomicU8::new(Backend::Sqlite as u8);

/// `db.system.name` for spans (OpenTelemetry semantic conventions): the
/// backend this process opened last. Every service of one process uses the
/// same `DATABASE_URL`, so one value holds for all of them.
pub fn system() -> &'static str {
    if SYSTEM.load(Ordering::Relaxed) == Backend::Postgres as u8 {
        "postgresql"
    } else {
        "sqlite"
    }
}

/// One embedded migration. Never edit one that has shipped: add the next.
pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

impl Db {
    /// Opens the service's database and brings its schema up to date.
    pub async fn open(
        storage: &Storage,
        schema: &str,
        migrations: &[Migration],
    ) -> anyhow::Result<Self> {
        install_default_drivers();
        let db = match storage.database_url.as_deref() {
            Some(url) if url.starts_with("postgres") => {
                open_postgres(url, &format!("{}{schema}", storage.schema_prefix)).await?
            }
            Some(url) if url.starts_with("sqlite") => open_sqlite(url).await?,
            Some(other) => anyhow::bail!(
                "DATABASE_URL must start with postgres:// or sqlite:, got {:?}",
                other.split(':').next()
            ),
            None => {
                let file = storage.data_dir.join(format!("{schema}.db"));
                private_file(&storage.data_dir, &file)?;
                open_sqlite(&format!("sqlite://{}?mode=rwc", file.display())).await?
            }
        };
        db.migrate(migrations)
            .await
            .with_context(|| format!("migrating schema {schema}"))?;
        SYSTEM.store(db.backend as u8, Ordering::Relaxed);
        crate::metrics::watch_pool(schema, db.pool.clone());
        Ok(db)
    }

    /// Applies what is missing, in order, each in its own transaction, and
    /// refuses to start if an applied migration was edited afterwards.
    pub async fn migrate(&self, migrations: &[Migration]) -> anyhow::Result<()> {
        self.pool
            .execute(
                "create table if not exists schema_migration (version bigint primary key, \
                 description text not null, checksum text not null, applied_at text not null)",
            )
            .await?;
        for m in migrations {
            let checksum = hex::encode(sha2::Sha256::digest(m.sql.as_bytes()));
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Postgres {
                // Replicas starting together take turns; the lock ends with the transaction.
                sqlx::query("select pg_advisory_xact_lock(7263514)")
                    .execute(&mut *tx)
                    .await?;
            }
            let applied = sqlx::query("select checksum from schema_migration where version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = applied {
                let stored: String = row.try_get("checksum")?;
                anyhow::ensure!(
                    stored == checksum,
                    "migration {} ({}) was edited after it was applied",
                    m.version,
                    m.description
                );
                continue;
            }
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("migration {} ({})", m.version, m.description))?;
            sqlx::query("insert into schema_migration (version, description, checksum, applied_at) values ($1, $2, $3, $4)")
                .bind(m.version)
                .bind(m.description)
                .bind(checksum)
                .bind(crate::id::now_rfc3339())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(
                version = m.version,
                description = m.description,
                "migration applied"
            );
        }
        Ok(())
    }

    /// Cheap liveness query for readiness checks.
    pub async fn ping(&self) -> bool {
        sqlx::query("select 1").execute(&self.pool).await.is_ok()
    }
}

/// How long a pooled connection may sit unused before it is closed. Each
/// holds its statement cache (and on SQLite its page cache, up to 2 MiB): a
/// burst that opened every connection would otherwise keep that memory for
/// sqlx's default ten minutes. Opening one again costs a millisecond or so.
const IDLE_CONNECTION: Duration = Duration::from_secs(30);

async fn open_sqlite(url: &str) -> anyhow::Result<Db> {
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(IDLE_CONNECTION)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; busy_timeout makes a
                // writer wait for the lock instead of failing at once.
                conn.execute("pragma journal_mode = wal; pragma busy_timeout = 10000; pragma synchronous = normal; pragma foreign_keys = on")
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| "cannot open the embedded SQLite database")?;
    Ok(Db {
        pool,
        backend: Backend::Sqlite,
    })
}

async fn open_postgres(url: &str, schema: &str) -> anyhow::Result<Db> {
    anyhow::ensure!(
        !schema.is_empty()
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "schema name {schema:?} must be lowercase letters, digits and underscores"
    );
    let setup = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .context("cannot connect to PostgreSQL")?;
    // Two services (or replicas) creating schemas at once can race on the
    // catalog even with `if not exists`; a retry settles it.
    // The name was checked above to hold only [a-z0-9_], so it is safe to splice.
    let create = || {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "create schema if not exists {schema}"
        )))
    };
    if create().execute(&setup).await.is_err() {
        create().execute(&setup).await?;
    }
    setup.close().await;
    let search_path: std::sync::Arc<str> = format!("set search_path to {schema}").into();
    let pool = AnyPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(IDLE_CONNECTION)
        .after_connect(move |conn, _| {
            let search_path = search_path.clone();
            Box::pin(async move {
                sqlx::raw_sql(AssertSqlSafe(search_path))
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .context("cannot connect to PostgreSQL")?;
    Ok(Db {
        pool,
        backend: Backend::Postgres,
    })
}

/// Whether an error is a unique-constraint violation (both dialects).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// The embedded database's directory (0700) and file (0600): they hold the
/// server key of API client secrets, password hashes and customers' personal
/// data, so only the platform's own user may read them. Tightens an older
/// install's modes too. SQLite gives its `-wal` and `-shm` files the
/// database file's mode.
fn private_file(dir: &std::path::Path, file: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot make data directory {} private", dir.display()))?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(file)
        .with_context(|| format!("cannot create database file {}", file.display()))?;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make database file {} private", file.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_embedded_database_is_private_to_its_user() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("platform-db-{}", crate::id::new_id()));
        // An older install's loose modes are tightened too.
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let storage = crate::testing::sqlite(&dir);
        let _db = Db::open(&storage, "t", &[]).await.expect("open");
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("t.db")), 0o600);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn sqlite_reads_numbered_placeholders_in_any_order_and_migrations_apply_once() {
        let dir = std::env::temp_dir().join(format!("platform-db-{}", crate::id::new_id()));
        let storage = crate::testing::sqlite(&dir);
        let migrations = [Migration {
            version: 1,
            description: "t",
            sql: "create table t (a text not null, b bigint not null);",
        }];
        let db = Db::open(&storage, "t", &migrations).await.expect("open");
        db.migrate(&migrations)
            .await
            .expect("second run is a no-op");
        sqlx::query("insert into t (b, a) values ($2, $1)")
            .bind("x")
            .bind(7_i64)
            .execute(&db.pool)
            .await
            .expect("insert");
        let row = sqlx::query("select a, b from t where b = $1")
            .bind(7_i64)
            .fetch_one(&db.pool)
            .await
            .expect("select");
        assert_eq!(row.try_get::<String, _>("a").expect("a"), "x");
        let edited = [Migration {
            version: 1,
            description: "t",
            sql: "create table t (a text);",
        }];
        assert!(
            db.migrate(&edited).await.is_err(),
            "an edited migration must be refused"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
