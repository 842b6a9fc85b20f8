//! API access requests of partners, and their decisions.

use platform::db::Db;
use platform::idempotency::{self, Key};
use prost::Message;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::domain::access::{AccessStatus, names_contact};
use crate::error::Error;

macro_rules! columns {
    () => {
        "request_id, customer_id, contact_ids, status, requested_by, decided_by, created_at, decided_at"
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequestRow {
    pub request_id: String,
    pub customer_id: String,
    /// Space-separated.
    pub contact_ids: String,
    pub status: String,
    pub requested_by: String,
    pub decided_by: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

fn row(r: &AnyRow) -> Result<AccessRequestRow, sqlx::Error> {
    Ok(AccessRequestRow {
        request_id: r.try_get("request_id")?,
        customer_id: r.try_get("customer_id")?,
        contact_ids: r.try_get("contact_ids")?,
        status: r.try_get("status")?,
        requested_by: r.try_get("requested_by")?,
        decided_by: r.try_get("decided_by")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

/// Files a pending request.
#[tracing::instrument(name = "db auth.access_request.insert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn insert(
    db: &Db,
    customer_id: &str,
    contact_ids: &str,
    requested_by: &str,
) -> Result<AccessRequestRow, Error> {
    insert_keeping(db, customer_id, contact_ids, requested_by, None, |_| ()).await
}

/// Files a pending request as [`insert`] does and, under the request's
/// Idempotency-Key (`key`), keeps the answer `kept` makes of it in the same
/// transaction.
#[tracing::instrument(name = "db auth.access_request.insert_keeping", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn insert_keeping<M: Message>(
    db: &Db,
    customer_id: &str,
    contact_ids: &str,
    requested_by: &str,
    key: Option<&Key>,
    kept: impl FnOnce(&AccessRequestRow) -> M,
) -> Result<AccessRequestRow, Error> {
    let now = platform::id::now_rfc3339();
    let created = AccessRequestRow {
        request_id: platform::id::new_id(),
        customer_id: customer_id.to_owned(),
        contact_ids: contact_ids.to_owned(),
        status: AccessStatus::Pending.as_str().to_owned(),
        requested_by: requested_by.to_owned(),
        decided_by: String::new(),
        created_at: now,
        decided_at: None,
    };
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "insert into access_request (request_id, customer_id, contact_ids, status, requested_by, decided_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, '', $6, $6)",
    )
    .bind(&created.request_id)
    .bind(&created.customer_id)
    .bind(&created.contact_ids)
    .bind(&created.status)
    .bind(&created.requested_by)
    .bind(&created.created_at)
    .execute(&mut *tx)
    .await?;
    if let Some(key) = key {
        idempotency::complete(&mut tx, key, &kept(&created)).await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// Up to `limit` of a customer's requests, newest first (by id: ids are
/// UUIDv7, so id order is filing order), `skip` past the id `after` ('' for
/// the start). A walk by `after` meets each request once while others are
/// filed: new ones sort before the cursor.
#[tracing::instrument(name = "db auth.access_request.list", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn list(
    db: &Db,
    customer_id: &str,
    after: &str,
    skip: i64,
    limit: i64,
) -> Result<Vec<AccessRequestRow>, Error> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from access_request where customer_id = $1 and ($2 = '' or request_id < $2) \
         order by request_id desc limit $3 offset $4"
    ))
    .bind(customer_id)
    .bind(after)
    .bind(limit)
    .bind(skip)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// How many requests a customer has filed; list totals go through
/// [`platform::paging::total`].
#[tracing::instrument(name = "db auth.access_request.count", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn count(db: &Db, customer_id: &str) -> Result<i64, Error> {
    Ok(
        sqlx::query("select count(*) as n from access_request where customer_id = $1")
            .bind(customer_id)
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?,
    )
}

/// The request with this id if it belongs to this customer.
#[tracing::instrument(name = "db auth.access_request.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn find(
    db: &Db,
    customer_id: &str,
    request_id: &str,
) -> Result<Option<AccessRequestRow>, Error> {
    let found = sqlx::query(concat!(
        "select ",
        columns!(),
        " from access_request where request_id = $1 and customer_id = $2"
    ))
    .bind(request_id)
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.as_ref().map(row).transpose()?)
}

/// Decides a pending request of this customer. The guard on `pending` in
/// the one update means two deciders racing cannot both win: the loser
/// gets `None` and reads what the winner decided.
#[tracing::instrument(name = "db auth.access_request.decide", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn decide(
    db: &Db,
    customer_id: &str,
    request_id: &str,
    status: AccessStatus,
    decided_by: &str,
) -> Result<Option<AccessRequestRow>, Error> {
    let now = platform::id::now_rfc3339();
    let decided = sqlx::query(concat!(
        "update access_request set status = $1, decided_by = $2, decided_at = $3, updated_at = $3 \
         where request_id = $4 and customer_id = $5 and status = 'pending' returning ",
        columns!()
    ))
    .bind(status.as_str())
    .bind(decided_by)
    .bind(&now)
    .bind(request_id)
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(decided.as_ref().map(row).transpose()?)
}

/// Whether an approved request of this customer names the contact.
#[tracing::instrument(name = "db auth.access_request.approved_for", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn approved_for(db: &Db, customer_id: &str, contact_id: &str) -> Result<bool, Error> {
    let rows = sqlx::query(
        "select contact_ids from access_request where customer_id = $1 and status = 'approved'",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    for r in &rows {
        let ids: String = r.try_get("contact_ids")?;
        if names_contact(&ids, contact_id) {
            return Ok(true);
        }
    }
    Ok(false)
}
