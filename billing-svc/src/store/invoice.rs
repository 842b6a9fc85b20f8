//! Invoices: one per customer and period, with their lines, written in one
//! transaction together with the credit they consume.

use platform::db::Db;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::credit;
use crate::domain::invoice::{Draft, InvoiceCursor, credit_to_apply};
use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    pub kind: String,
    pub description: String,
    pub meter: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub per: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub invoice_id: String,
    pub customer_id: String,
    /// Who pays: the parent partner for paperCheck, else `customer_id`.
    pub billed_to: String,
    pub period: String,
    pub plan_name: String,
    pub currency: String,
    pub lines: Vec<LineRow>,
    pub subtotal: i64,
    pub credits_applied: i64,
    pub total: i64,
    pub issued_at: String,
}

const COLUMNS: &str = "invoice_id, customer_id, billed_to, period, plan_name, currency, subtotal, credits_applied, total, issued_at";

fn invoice(r: &AnyRow) -> Result<InvoiceRow, sqlx::Error> {
    let customer_id: String = r.try_get("customer_id")?;
    let billed_to: String = r.try_get("billed_to")?;
    Ok(InvoiceRow {
        invoice_id: r.try_get("invoice_id")?,
        // Invoices issued before migration 4 hold '': they were the
        // customer's own to pay.
        billed_to: if billed_to.is_empty() {
            customer_id.clone()
        } else {
            billed_to
        },
        customer_id,
        period: r.try_get("period")?,
        plan_name: r.try_get("plan_name")?,
        currency: r.try_get("currency")?,
        lines: Vec::new(),
        subtotal: r.try_get("subtotal")?,
        credits_applied: r.try_get("credits_applied")?,
        total: r.try_get("total")?,
        issued_at: r.try_get("issued_at")?,
    })
}

/// What issuing an invoice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// The period was invoiced already; nothing changed.
    Existing,
    /// A new invoice, with the credit it consumed (an `invoice` ledger
    /// entry when more than 0).
    Created { credits_applied: i64 },
}

/// Issues the customer's invoice for `period`, billed to `billed_to`,
/// unless it has one: the invoice, its lines and the credit applied commit
/// together or not at all.
#[tracing::instrument(name = "db billing.invoice.issue", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn issue(
    db: &Db,
    customer_id: &str,
    billed_to: &str,
    period: &str,
    plan_name: &str,
    draft: &Draft,
) -> Result<Issued, Error> {
    let invoice_id = platform::id::new_id();
    let now = platform::id::now_rfc3339();
    let mut tx = db.pool.begin().await?;
    // The unique (customer, period) key decides, first and under the write
    // lock, whether this period is invoiced already.
    let inserted = sqlx::query(
        "insert into invoice (invoice_id, customer_id, billed_to, period, plan_name, currency, subtotal, credits_applied, total, issued_at) \
         values ($1, $2, $3, $4, $5, $6, $7, 0, $7, $8) on conflict (customer_id, period) do nothing",
    )
    .bind(&invoice_id)
    .bind(customer_id)
    .bind(billed_to)
    .bind(period)
    .bind(plan_name)
    .bind(&draft.currency)
    .bind(draft.subtotal)
    .bind(&now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.rollback().await?;
        return Ok(Issued::Existing);
    }
    for (position, l) in draft.lines.iter().enumerate() {
        sqlx::query(
            "insert into invoice_line (invoice_id, position, kind, description, meter, quantity, unit_amount, per, amount) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&invoice_id)
        .bind(position as i64)
        .bind(l.kind)
        .bind(&l.description)
        .bind(&l.meter)
        .bind(l.quantity)
        .bind(l.unit_amount)
        .bind(l.per)
        .bind(l.amount)
        .execute(&mut *tx)
        .await?;
    }
    let applied =
        credit::apply_to_invoice(&mut tx, customer_id, &invoice_id, &draft.currency, |held| {
            credit_to_apply(draft.subtotal, held, &draft.currency)
        })
        .await?;
    if applied > 0 {
        sqlx::query(
            "update invoice set credits_applied = $1, total = subtotal - $1 where invoice_id = $2",
        )
        .bind(applied)
        .bind(&invoice_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Issued::Created {
        credits_applied: applied,
    })
}

async fn with_lines(db: &Db, mut inv: InvoiceRow) -> Result<InvoiceRow, Error> {
    let rows = sqlx::query(
        "select kind, description, meter, quantity, unit_amount, per, amount from invoice_line \
         where invoice_id = $1 order by position",
    )
    .bind(&inv.invoice_id)
    .fetch_all(&db.pool)
    .await?;
    inv.lines = rows
        .iter()
        .map(|r| {
            Ok::<_, sqlx::Error>(LineRow {
                kind: r.try_get("kind")?,
                description: r.try_get("description")?,
                meter: r.try_get("meter")?,
                quantity: r.try_get("quantity")?,
                unit_amount: r.try_get("unit_amount")?,
                per: r.try_get("per")?,
                amount: r.try_get("amount")?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(inv)
}

#[tracing::instrument(name = "db billing.invoice.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn find(
    db: &Db,
    customer_id: &str,
    invoice_id: &str,
) -> Result<Option<InvoiceRow>, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from invoice where customer_id = $1 and invoice_id = $2"
    )))
    .bind(customer_id)
    .bind(invoice_id)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(Some(with_lines(db, invoice(&r)?).await?)),
        None => Ok(None),
    }
}

/// How many invoices the customer has.
#[tracing::instrument(name = "db billing.invoice.count", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn count(db: &Db, customer_id: &str) -> Result<i64, Error> {
    Ok(
        sqlx::query("select count(*) as n from invoice where customer_id = $1")
            .bind(customer_id)
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?,
    )
}

/// A page of the customer's invoices, newest period first: `skip` of those
/// after `after` (all when `None`), then up to `take`. The order is the
/// composite key (period, invoice_id), both descending, so a walk from
/// cursor to cursor meets each invoice once.
#[tracing::instrument(name = "db billing.invoice.page", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn page(
    db: &Db,
    customer_id: &str,
    after: Option<&InvoiceCursor>,
    skip: i64,
    take: i64,
) -> Result<Vec<InvoiceRow>, Error> {
    // Two statements rather than `$4 = '' or …`, so the database can seek
    // the (customer_id, period) index to the cursor.
    let keyset = if after.is_some() {
        "and (period, invoice_id) < ($4, $5)"
    } else {
        ""
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from invoice where customer_id = $1 {keyset} \
         order by period desc, invoice_id desc limit $2 offset $3"
    )))
    .bind(customer_id)
    .bind(take)
    .bind(skip);
    if let Some(c) = after {
        q = q.bind(c.period()).bind(c.invoice_id().to_owned());
    }
    let rows = q.fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(with_lines(db, invoice(r)?).await?);
    }
    Ok(out)
}
