//! Customers' own limit values, one row per customer and limit name. A
//! customer without a row for a name has its plan's default.

use platform::db::Db;
use sqlx::{Any, Row as _, Transaction};

use crate::domain::limit::Overrides;
use crate::error::Error;

/// The customer's own values by name.
#[tracing::instrument(name = "db account.limit.overrides", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn overrides(db: &Db, customer_id: &str) -> Result<Overrides, Error> {
    let rows = sqlx::query("select name, value from customer_limit where customer_id = $1")
        .bind(customer_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| -> Result<(String, i64), Error> { Ok((r.try_get("name")?, r.try_get("value")?)) })
        .collect()
}

/// Stores a first own value, inside the caller's transaction (a create
/// keeps its Idempotency-Key answer in the same one); `false` when the
/// customer has one already (the primary key decides, so of two racing
/// creates one wins).
#[tracing::instrument(name = "db account.limit.insert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
    name: &str,
    value: i64,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "insert into customer_limit (customer_id, name, value, created_at, updated_at) \
         values ($1, $2, $3, $4, $4) on conflict (customer_id, name) do nothing",
    )
    .bind(customer_id)
    .bind(name)
    .bind(value)
    .bind(platform::id::now_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores an own value, replacing any the customer has.
#[tracing::instrument(name = "db account.limit.upsert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn upsert(db: &Db, customer_id: &str, name: &str, value: i64) -> Result<(), Error> {
    sqlx::query(
        "insert into customer_limit (customer_id, name, value, created_at, updated_at) \
         values ($1, $2, $3, $4, $4) on conflict (customer_id, name) do update set \
         value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(customer_id)
    .bind(name)
    .bind(value)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Drops an own value; whether there was one.
#[tracing::instrument(name = "db account.limit.delete", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn delete(db: &Db, customer_id: &str, name: &str) -> Result<bool, Error> {
    let done = sqlx::query("delete from customer_limit where customer_id = $1 and name = $2")
        .bind(customer_id)
        .bind(name)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A visible account below a partner, with its plan and own values.
#[derive(Debug, Clone)]
pub struct AccountLimits {
    pub customer_id: String,
    pub plan_name: String,
    pub overrides: Overrides,
}

/// Every visible account whose path starts with `path` (a partner's whole
/// subtree, all depths), with its own values, in id order. One query: the
/// materialised path finds the subtree without walking it, and `path`
/// holds only ids and `/`, so `like` meets no wildcard in it.
#[tracing::instrument(name = "db account.limit.accounts_within", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn accounts_within(db: &Db, path: &str) -> Result<Vec<AccountLimits>, Error> {
    let rows = sqlx::query(
        "select c.customer_id, c.plan_name, l.name, l.value from customer c \
         left join customer_limit l on l.customer_id = c.customer_id \
         where c.kind = 'account' and c.status = 'active' and c.path like $1 \
         order by c.customer_id",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<AccountLimits> = Vec::new();
    for r in &rows {
        let customer_id: String = r.try_get("customer_id")?;
        if out.last().is_none_or(|a| a.customer_id != customer_id) {
            out.push(AccountLimits {
                customer_id,
                plan_name: r.try_get("plan_name")?,
                overrides: Overrides::new(),
            });
        }
        let name: Option<String> = r.try_get("name")?;
        let value: Option<i64> = r.try_get("value")?;
        if let (Some(name), Some(value), Some(account)) = (name, value, out.last_mut()) {
            account.overrides.insert(name, value);
        }
    }
    Ok(out)
}
