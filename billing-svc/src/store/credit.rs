//! Prepaid credit: an append-only ledger and, per customer, its running
//! balance. Every entry is written in the transaction that moves the
//! balance, so the balance always equals the sum of the ledger.

use platform::db::Db;
use platform::idempotency::{self, Key};
use prost::Message;
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub entry_id: String,
    pub customer_id: String,
    pub amount: i64,
    pub currency: String,
    pub kind: String,
    pub counterparty_id: String,
    pub invoice_id: String,
    pub note: String,
    pub balance_after: i64,
    pub created_at: String,
}

fn entry(r: &AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        entry_id: r.try_get("entry_id")?,
        customer_id: r.try_get("customer_id")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        kind: r.try_get("kind")?,
        counterparty_id: r.try_get("counterparty_id")?,
        invoice_id: r.try_get("invoice_id")?,
        note: r.try_get("note")?,
        balance_after: r.try_get("balance_after")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Where allocated credit comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The parent partner's balance, which may not go below zero.
    Parent(&'a str),
    /// The root distributor, which mints it.
    Mint(&'a str),
}

pub struct Allocation<'a> {
    pub child_id: &'a str,
    pub source: Source<'a>,
    pub amount: i64,
    pub currency: &'a str,
    pub note: &'a str,
}

/// Why an allocation did not happen.
pub enum Refusal {
    /// The parent has less than asked (its balance and currency).
    Short { balance: i64, currency: String },
    /// The parent's or child's credit is in another currency.
    Currency(String),
}

#[tracing::instrument(name = "db billing.credit.balance", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn balance(db: &Db, customer_id: &str) -> Result<Option<(String, i64)>, Error> {
    let row = sqlx::query("select currency, balance from credit_balance where customer_id = $1")
        .bind(customer_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("currency")?, r.try_get("balance")?)))
        .transpose()?)
}

/// Takes `amount` off a balance if it holds that much in `currency`; the
/// one conditional update is what keeps concurrent debits from overdrawing.
async fn debit(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
    amount: i64,
    currency: &str,
    now: &str,
) -> Result<bool, Error> {
    let n = sqlx::query(
        "update credit_balance set balance = balance - $1, updated_at = $4 \
         where customer_id = $2 and currency = $3 and balance >= $1",
    )
    .bind(amount)
    .bind(customer_id)
    .bind(currency)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

async fn balance_in(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
) -> Result<Option<(String, i64)>, Error> {
    let row = sqlx::query("select currency, balance from credit_balance where customer_id = $1")
        .bind(customer_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("currency")?, r.try_get("balance")?)))
        .transpose()?)
}

#[allow(clippy::too_many_arguments)]
async fn append(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
    amount: i64,
    currency: &str,
    kind: &str,
    counterparty_id: &str,
    invoice_id: &str,
    note: &str,
) -> Result<Entry, Error> {
    // Stamped here, after the balance's write lock is held, so a ledger read
    // newest first by id is newest first by time too.
    let now = platform::id::now_rfc3339();
    let balance_after = balance_in(tx, customer_id).await?.map_or(0, |(_, b)| b);
    let e = Entry {
        entry_id: platform::id::new_id(),
        customer_id: customer_id.to_owned(),
        amount,
        currency: currency.to_owned(),
        kind: kind.to_owned(),
        counterparty_id: counterparty_id.to_owned(),
        invoice_id: invoice_id.to_owned(),
        note: note.to_owned(),
        balance_after,
        created_at: now,
    };
    sqlx::query(
        "insert into credit_entry (entry_id, customer_id, amount, currency, kind, counterparty_id, invoice_id, note, balance_after, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&e.entry_id)
    .bind(&e.customer_id)
    .bind(e.amount)
    .bind(&e.currency)
    .bind(&e.kind)
    .bind(&e.counterparty_id)
    .bind(&e.invoice_id)
    .bind(&e.note)
    .bind(e.balance_after)
    .bind(&e.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(e)
}

/// Moves credit to a child in one transaction: the parent's debit and
/// `transfer` entry (none when minted), the child's credit and its
/// `allocation` (or `mint`) entry. Returns the child's entry. Under the
/// request's Idempotency-Key (`key`) the answer `kept` makes of that entry
/// is kept in the same transaction, so a retry replays it and moves
/// nothing twice.
#[tracing::instrument(name = "db billing.credit.allocate", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn allocate<M: Message>(
    db: &Db,
    a: &Allocation<'_>,
    key: Option<&Key>,
    kept: impl FnOnce(&Entry) -> M,
) -> Result<Result<Entry, Refusal>, Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = db.pool.begin().await?;
    // Writing first makes SQLite take its write lock before anything is read.
    let (kind, from) = match a.source {
        Source::Parent(parent) => {
            if !debit(&mut tx, parent, a.amount, a.currency, &now).await? {
                let held = balance_in(&mut tx, parent).await?;
                tx.rollback().await?;
                return Ok(Err(match held {
                    Some((currency, _)) if currency != a.currency => Refusal::Currency(currency),
                    Some((currency, balance)) => Refusal::Short { balance, currency },
                    None => Refusal::Short {
                        balance: 0,
                        currency: a.currency.to_owned(),
                    },
                }));
            }
            append(
                &mut tx, parent, -a.amount, a.currency, "transfer", a.child_id, "", a.note,
            )
            .await?;
            ("allocation", parent)
        }
        Source::Mint(root) => ("mint", root),
    };
    let credited = sqlx::query(
        "insert into credit_balance (customer_id, currency, balance, updated_at) values ($1, $2, $3, $4) \
         on conflict (customer_id) do update set balance = credit_balance.balance + excluded.balance, \
         updated_at = excluded.updated_at where credit_balance.currency = excluded.currency",
    )
    .bind(a.child_id)
    .bind(a.currency)
    .bind(a.amount)
    .bind(&now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if credited != 1 {
        let held = balance_in(&mut tx, a.child_id).await?;
        tx.rollback().await?;
        return Ok(Err(Refusal::Currency(
            held.map_or_else(|| a.currency.to_owned(), |(c, _)| c),
        )));
    }
    let e = append(
        &mut tx, a.child_id, a.amount, a.currency, kind, from, "", a.note,
    )
    .await?;
    if let Some(key) = key {
        idempotency::complete(&mut tx, key, &kept(&e)).await?;
    }
    tx.commit().await?;
    Ok(Ok(e))
}

/// Applies up to `wanted` of the customer's credit to an invoice inside the
/// invoice's transaction; answers what was applied.
#[tracing::instrument(name = "db billing.credit.apply_to_invoice", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn apply_to_invoice(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
    invoice_id: &str,
    currency: &str,
    wanted: impl Fn(Option<(&str, i64)>) -> i64,
) -> Result<i64, Error> {
    let now = platform::id::now_rfc3339();
    // The balance can shrink between the read and the debit (this customer
    // allocating to a child meanwhile); then read again.
    for _ in 0..5 {
        let held = balance_in(tx, customer_id).await?;
        let applied = wanted(held.as_ref().map(|(c, b)| (c.as_str(), *b)));
        if applied <= 0 {
            return Ok(0);
        }
        if debit(tx, customer_id, applied, currency, &now).await? {
            append(
                tx,
                customer_id,
                -applied,
                currency,
                "invoice",
                "",
                invoice_id,
                "",
            )
            .await?;
            return Ok(applied);
        }
    }
    Ok(0)
}

/// How many entries the customer's ledger has.
#[tracing::instrument(name = "db billing.credit.ledger_len", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn ledger_len(db: &Db, customer_id: &str) -> Result<i64, Error> {
    Ok(
        sqlx::query("select count(*) as n from credit_entry where customer_id = $1")
            .bind(customer_id)
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?,
    )
}

/// One page of the ledger, newest first: `skip` of the entries older than
/// entry `before` (all when empty), then up to `take`. Ids are time-ordered,
/// so entries written during a walk sort before its cursor and a walk meets
/// each older entry once.
#[tracing::instrument(name = "db billing.credit.ledger", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "billing"))]
pub async fn ledger(
    db: &Db,
    customer_id: &str,
    before: &str,
    skip: i64,
    take: i64,
) -> Result<Vec<Entry>, Error> {
    // Two statements rather than `$4 = '' or …`, so the database can seek
    // the (customer_id, entry_id) index to the cursor.
    let keyset = if before.is_empty() {
        ""
    } else {
        "and entry_id < $4"
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select entry_id, customer_id, amount, currency, kind, counterparty_id, invoice_id, note, balance_after, created_at \
         from credit_entry where customer_id = $1 {keyset} order by entry_id desc limit $2 offset $3"
    )))
    .bind(customer_id)
    .bind(take)
    .bind(skip);
    if !before.is_empty() {
        q = q.bind(before);
    }
    let rows = q.fetch_all(&db.pool).await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}
