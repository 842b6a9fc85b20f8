//! The server's HMAC key when AUTH_SECRET_KEY is not set.

use platform::db::Db;
use sqlx::Row as _;

use crate::error::Error;

/// The stored key (hex), storing `candidate_hex` first if there is none.
/// Replicas starting together each offer a candidate; the first insert wins,
/// the others do nothing, and all read back the same key.
#[tracing::instrument(name = "db auth.server_key.load_or_create", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn load_or_create(db: &Db, candidate_hex: &str) -> Result<String, Error> {
    let now = platform::id::now_rfc3339();
    sqlx::query(
        "insert into server_key (server_key_id, key_hex, created_at, updated_at) values (1, $1, $2, $2) \
         on conflict (server_key_id) do nothing",
    )
    .bind(candidate_hex)
    .bind(&now)
    .execute(&db.pool)
    .await?;
    let row = sqlx::query("select key_hex from server_key where server_key_id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("key_hex")?)
}
