//! Access tokens, by the SHA-256 of the token.

use platform::db::Db;
use sqlx::Row as _;

use crate::error::Error;

pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub client_id: &'a str,
    pub contact_id: &'a str,
    pub customer_id: &'a str,
    /// Space-separated: the roles at issue (a record; Authenticate answers
    /// the current ones).
    pub roles: &'a str,
    /// Space-separated: the scope the client asked for, "" for all its
    /// roles allow. Authenticate intersects it with the current permissions.
    pub scopes: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub client_id: String,
    pub contact_id: String,
    pub customer_id: String,
    pub roles: String,
    pub scopes: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// Records a token and its client's last use in one transaction; false (and
/// nothing written) when the client no longer exists.
///
/// The client's row is touched first: that both records the use and, on
/// PostgreSQL, holds the row so a concurrent removal of the customer's
/// clients waits and then revokes this token too.
#[tracing::instrument(name = "db auth.token.issue", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn issue(db: &Db, t: &NewToken<'_>) -> Result<bool, Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = db.pool.begin().await?;
    let touched = sqlx::query("update client set last_used_at = $1 where client_id = $2")
        .bind(&now)
        .bind(t.client_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if touched == 0 {
        return Ok(false); // dropping the transaction rolls it back
    }
    sqlx::query(
        "insert into token (token_hash, client_id, contact_id, customer_id, roles, scopes, issued_at, expires_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(t.token_hash)
    .bind(t.client_id)
    .bind(t.contact_id)
    .bind(t.customer_id)
    .bind(t.roles)
    .bind(t.scopes)
    .bind(t.issued_at)
    .bind(t.expires_at)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The token with this hash if it is neither revoked nor expired at `now`.
#[tracing::instrument(name = "db auth.token.find_live", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn find_live(db: &Db, token_hash: &str, now: i64) -> Result<Option<TokenRow>, Error> {
    let row = sqlx::query(
        "select client_id, contact_id, customer_id, roles, scopes, issued_at, expires_at from token \
         where token_hash = $1 and revoked_at is null and expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(TokenRow {
        client_id: row.try_get("client_id")?,
        contact_id: row.try_get("contact_id")?,
        customer_id: row.try_get("customer_id")?,
        roles: row.try_get("roles")?,
        scopes: row.try_get("scopes")?,
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

/// Revokes the token if it belongs to `client_id` and is not revoked yet
/// (RFC 7009 §2.1: a client may revoke only its own tokens); true when it did.
#[tracing::instrument(name = "db auth.token.revoke", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn revoke(db: &Db, token_hash: &str, client_id: &str) -> Result<bool, Error> {
    let revoked = sqlx::query(
        "update token set revoked_at = $1, updated_at = $2 \
         where token_hash = $3 and client_id = $4 and revoked_at is null",
    )
    .bind(platform::id::unix_now())
    .bind(platform::id::now_rfc3339())
    .bind(token_hash)
    .bind(client_id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(revoked > 0)
}
