//! Usage records and the sums reports and invoices are made of.

use platform::db::Db;
use sqlx::AssertSqlSafe;
use sqlx::Row as _;

use crate::domain::usage::GroupBy;
use crate::error::Error;

pub struct NewRecord<'a> {
    pub customer_id: &'a str,
    pub path: &'a str,
    pub meter: &'a str,
    pub quantity: i64,
    pub occurred_at: &'a str,
    pub idempotency_id: &'a str,
}

/// Stores a record; false when the customer already sent this idempotency id.
#[tracing::instrument(name = "db billing.usage.record", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn record(db: &Db, r: &NewRecord<'_>) -> Result<bool, Error> {
    let inserted = sqlx::query(
        "insert into usage_record (record_id, customer_id, path, meter, quantity, occurred_at, idempotency_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (customer_id, idempotency_id) do nothing",
    )
    .bind(platform::id::new_id())
    .bind(r.customer_id)
    .bind(r.path)
    .bind(r.meter)
    .bind(r.quantity)
    .bind(r.occurred_at)
    .bind(r.idempotency_id)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// (period, meter, quantity) summed over the subtree at `path` within
/// [from, to); `period` is empty when grouping by meter. Times are stored
/// as fixed-width RFC 3339 UTC text, so a prefix of one is its day or month.
#[tracing::instrument(name = "db billing.usage.report", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn report(
    db: &Db,
    path: &str,
    from: &str,
    to: &str,
    group_by: GroupBy,
) -> Result<Vec<(String, String, i64)>, Error> {
    // Both are fixed expressions, never input. PostgreSQL refuses a constant
    // in GROUP BY, so grouping by meter alone leaves the period out of it.
    let (period, group) = match group_by.period_len() {
        Some(n) => (
            format!("substr(occurred_at, 1, {n})"),
            format!("substr(occurred_at, 1, {n}), meter"),
        ),
        None => ("''".to_owned(), "meter".to_owned()),
    };
    let sql = format!(
        "select {period} as period, meter, cast(sum(quantity) as bigint) as quantity from usage_record \
         where path like $1 and occurred_at >= $2 and occurred_at < $3 \
         group by {group} order by period, meter"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(format!("{path}%"))
        .bind(from)
        .bind(to)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("period")?,
                r.try_get("meter")?,
                r.try_get("quantity")?,
            ))
        })
        .collect()
}

/// The customer's own usage per meter within [from, to).
#[tracing::instrument(name = "db billing.usage.per_meter", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn per_meter(
    db: &Db,
    customer_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64)>, Error> {
    let rows = sqlx::query(
        "select meter, cast(sum(quantity) as bigint) as quantity from usage_record \
         where customer_id = $1 and occurred_at >= $2 and occurred_at < $3 group by meter order by meter",
    )
    .bind(customer_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("meter")?, r.try_get("quantity")?)))
        .collect()
}
