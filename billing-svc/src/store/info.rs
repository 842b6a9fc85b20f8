//! Billing information: the contact fields and address invoices go to. A
//! change of payment type is written with it, in one transaction; so is
//! the contact a payment setup brings (see [`super::payment_method::set_up`]).

use platform::db::Db;
use sqlx::{Any, Row as _, Transaction};

use crate::error::Error;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoRow {
    pub name: String,
    pub phone: String,
    pub email: String,
    /// line1, line2, line3, city, state, zip, country; all empty when unset.
    pub address: [String; 7],
    pub updated_at: String,
}

#[tracing::instrument(name = "db billing.info.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn find(db: &Db, customer_id: &str) -> Result<Option<InfoRow>, Error> {
    let row = sqlx::query(
        "select name, phone, email, line1, line2, line3, city, state, zip, country, updated_at \
         from billing_info where customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let col = |c: &str| r.try_get::<String, _>(c);
    Ok(Some(InfoRow {
        name: col("name")?,
        phone: col("phone")?,
        email: col("email")?,
        address: [
            col("line1")?,
            col("line2")?,
            col("line3")?,
            col("city")?,
            col("state")?,
            col("zip")?,
            col("country")?,
        ],
        updated_at: col("updated_at")?,
    }))
}

/// Writes the merged billing information and, when the type switches to
/// paperCheck, drops the card on file, together.
#[tracing::instrument(name = "db billing.info.save", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn save(
    db: &Db,
    customer_id: &str,
    info: &InfoRow,
    switch_to_paper_check: bool,
) -> Result<(), Error> {
    let mut tx = db.pool.begin().await?;
    let [line1, line2, line3, city, state, zip, country] = &info.address;
    sqlx::query(
        "insert into billing_info (customer_id, name, phone, email, line1, line2, line3, city, state, zip, country, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         on conflict (customer_id) do update set name = excluded.name, phone = excluded.phone, email = excluded.email, \
         line1 = excluded.line1, line2 = excluded.line2, line3 = excluded.line3, city = excluded.city, \
         state = excluded.state, zip = excluded.zip, country = excluded.country, updated_at = excluded.updated_at",
    )
    .bind(customer_id)
    .bind(&info.name)
    .bind(&info.phone)
    .bind(&info.email)
    .bind(line1)
    .bind(line2)
    .bind(line3)
    .bind(city)
    .bind(state)
    .bind(zip)
    .bind(country)
    .bind(&info.updated_at)
    .execute(&mut *tx)
    .await?;
    if switch_to_paper_check {
        sqlx::query(
            "insert into payment_method (customer_id, payment_type, created_at, updated_at) values ($1, 'paperCheck', $2, $2) \
             on conflict (customer_id) do update set payment_type = 'paperCheck', processor_token = null, brand = null, \
             last4 = null, expiration_date = null, holder_name = null, updated_at = excluded.updated_at",
        )
        .bind(customer_id)
        .bind(&info.updated_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The billing contact and address a payment setup brings (the reference's
/// PaymentV2 `name`, `phone`, `address`).
pub struct Contact<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    /// line1, line2, line3, city, state, zip, country, as in [`InfoRow`].
    pub address: [&'a str; 7],
}

/// Writes a setup's contact and address inside the setup's transaction
/// (see [`super::payment_method::set_up`]). An email set earlier stays:
/// a payment brings none.
pub(super) async fn put_contact(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
    c: &Contact<'_>,
    now: &str,
) -> Result<(), Error> {
    let [line1, line2, line3, city, state, zip, country] = c.address;
    sqlx::query(
        "insert into billing_info (customer_id, name, phone, email, line1, line2, line3, city, state, zip, country, updated_at) \
         values ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, $10, $11) \
         on conflict (customer_id) do update set name = excluded.name, phone = excluded.phone, \
         line1 = excluded.line1, line2 = excluded.line2, line3 = excluded.line3, city = excluded.city, \
         state = excluded.state, zip = excluded.zip, country = excluded.country, updated_at = excluded.updated_at",
    )
    .bind(customer_id)
    .bind(c.name)
    .bind(c.phone)
    .bind(line1)
    .bind(line2)
    .bind(line3)
    .bind(city)
    .bind(state)
    .bind(zip)
    .bind(country)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[tracing::instrument(name = "db billing.info.delete", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn delete(db: &Db, customer_id: &str) -> Result<u64, Error> {
    Ok(
        sqlx::query("delete from billing_info where customer_id = $1")
            .bind(customer_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}
