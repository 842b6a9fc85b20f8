//! Payment methods, one per customer. Only what PCI DSS lets us keep is
//! stored: the processor's token, brand, last four digits and expiry.

use platform::db::Db;
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};

use super::info::{self, Contact};
use crate::error::Error;

/// A payment method to record; the card fields are `None` for paperCheck.
pub struct NewPaymentMethod<'a> {
    pub customer_id: &'a str,
    pub payment_type: &'a str,
    pub processor_token: Option<&'a str>,
    pub brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    pub expiration_date: Option<&'a str>,
    pub holder_name: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodRow {
    pub customer_id: String,
    pub payment_type: String,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub expiration_date: Option<String>,
    pub holder_name: Option<String>,
}

fn payment_method_row(row: &AnyRow) -> Result<PaymentMethodRow, sqlx::Error> {
    Ok(PaymentMethodRow {
        customer_id: row.try_get("customer_id")?,
        payment_type: row.try_get("payment_type")?,
        brand: row.try_get("brand")?,
        last4: row.try_get("last4")?,
        expiration_date: row.try_get("expiration_date")?,
        holder_name: row.try_get("holder_name")?,
    })
}

/// Records the customer's payment method, replacing any earlier one; a
/// switch to paperCheck clears the card fields.
#[tracing::instrument(name = "db billing.payment_method.upsert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn upsert(db: &Db, m: &NewPaymentMethod<'_>) -> Result<(), Error> {
    let mut tx = db.pool.begin().await?;
    upsert_in(&mut tx, m, &platform::id::now_rfc3339()).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a payment set up at creation together with the billing contact
/// and address that came with it, in one transaction: the customer never
/// has the one without the other.
#[tracing::instrument(name = "db billing.payment_method.set_up", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn set_up(db: &Db, m: &NewPaymentMethod<'_>, contact: &Contact<'_>) -> Result<(), Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = db.pool.begin().await?;
    upsert_in(&mut tx, m, &now).await?;
    info::put_contact(&mut tx, m.customer_id, contact, &now).await?;
    tx.commit().await?;
    Ok(())
}

async fn upsert_in(
    tx: &mut Transaction<'_, Any>,
    m: &NewPaymentMethod<'_>,
    now: &str,
) -> Result<(), Error> {
    // `on conflict … do update` reads the same on SQLite (≥ 3.24) and PostgreSQL.
    sqlx::query(
        "insert into payment_method (customer_id, payment_type, processor_token, brand, last4, expiration_date, holder_name, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         on conflict (customer_id) do update set payment_type = excluded.payment_type, processor_token = excluded.processor_token, \
         brand = excluded.brand, last4 = excluded.last4, expiration_date = excluded.expiration_date, \
         holder_name = excluded.holder_name, updated_at = excluded.updated_at",
    )
    .bind(m.customer_id)
    .bind(m.payment_type)
    .bind(m.processor_token)
    .bind(m.brand)
    .bind(m.last4)
    .bind(m.expiration_date)
    .bind(m.holder_name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[tracing::instrument(name = "db billing.payment_method.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn find(db: &Db, customer_id: &str) -> Result<Option<PaymentMethodRow>, Error> {
    let row = sqlx::query("select customer_id, payment_type, brand, last4, expiration_date, holder_name from payment_method where customer_id = $1")
        .bind(customer_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.as_ref().map(payment_method_row).transpose()?)
}

/// Removes the customer's payment method; removing what is gone changes nothing.
#[tracing::instrument(name = "db billing.payment_method.delete", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn delete(db: &Db, customer_id: &str) -> Result<u64, Error> {
    Ok(
        sqlx::query("delete from payment_method where customer_id = $1")
            .bind(customer_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}
