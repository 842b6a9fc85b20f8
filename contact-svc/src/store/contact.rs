//! Contacts and their role assignments.
//!
//! Writes that check something about a customer's contacts before changing
//! them (`Iam_usersMax`, the last owner) run in [`begin_for_customer`], so
//! two racing requests cannot both pass a check the other is about to break.
//!
//! The creates ([`insert`], [`assign`]) end in [`finish`]: their answer is
//! read back inside their transaction and, under an `Idempotency-Key`, kept
//! in it, so the contact and the answer a retry replays commit together.

use std::collections::HashMap;

use platform::db::{Backend, Db, is_unique_violation};
use platform::idempotency::{self, Key};
use prost::Message;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row as _, Transaction};

use crate::domain::UsersMax;
use crate::error::Error;

pub struct NewContact<'a> {
    pub contact_id: &'a str,
    pub customer_id: &'a str,
    pub login: &'a str,
    pub login_key: &'a str,
    pub password_hash: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    /// Empty when not given.
    pub alternative_email: &'a str,
    /// Empty when not given.
    pub phone: &'a str,
    pub cellular_phone: &'a str,
    /// Canonical, or empty when not given.
    pub culture: &'a str,
    pub roles: &'a [&'static str],
}

/// Contact information to change; `None` keeps what is stored.
#[derive(Debug, Default)]
pub struct ContactInfo<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub alternative_email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub cellular_phone: Option<&'a str>,
    pub culture: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub contact_id: String,
    pub login: String,
    pub name: String,
    pub email: String,
    pub alternative_email: String,
    pub phone: String,
    pub cellular_phone: String,
    pub culture: String,
}

/// The columns [`contact_row`] reads, for `select … from contact c`. A
/// macro, so `concat!` can build each query as one literal.
macro_rules! contact_columns {
    () => {
        "c.contact_id, c.login, c.name, c.email, c.alternative_email, c.phone, c.cellular_phone, c.culture"
    };
}

fn contact_row(row: &AnyRow) -> Result<ContactRow, sqlx::Error> {
    Ok(ContactRow {
        contact_id: row.try_get("contact_id")?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        alternative_email: row.try_get("alternative_email")?,
        phone: row.try_get("phone")?,
        cellular_phone: row.try_get("cellular_phone")?,
        culture: row.try_get("culture")?,
    })
}

/// How a create answers: `shape` turns the contact as its transaction left
/// it (its row and its roles on the customer, in name order) into the
/// answer; under the request's Idempotency-Key (`key`) that answer is kept
/// in the same transaction.
pub struct Answer<'k, F> {
    pub key: Option<&'k Key>,
    pub shape: F,
}

/// Ends a create: reads the contact back as `customer_id` sees it inside
/// `tx`, shapes the answer, keeps it under the key, commits and answers it.
async fn finish<M: Message, F: FnOnce(ContactRow, Vec<String>) -> M>(
    mut tx: Transaction<'static, Any>,
    contact_id: &str,
    customer_id: &str,
    answer: Answer<'_, F>,
) -> Result<M, Error> {
    let row = sqlx::query(concat!(
        "select ",
        contact_columns!(),
        " from contact c where c.contact_id = $1"
    ))
    .bind(contact_id)
    .fetch_one(&mut *tx)
    .await?;
    let roles = roles_on(&mut tx, contact_id, customer_id).await?;
    let message = (answer.shape)(contact_row(&row)?, roles);
    if let Some(key) = answer.key {
        idempotency::complete(&mut tx, key, &message).await?;
    }
    tx.commit().await?;
    Ok(message)
}

/// A transaction in which the customer's contacts are checked and then
/// changed, one such transaction per customer at a time.
async fn begin_for_customer(
    db: &Db,
    customer_id: &str,
) -> Result<Transaction<'static, Any>, Error> {
    match db.backend {
        // SQLite has one writer at a time. `begin immediate` takes the write
        // lock before the first read, so a second writer waits (busy
        // timeout) and then reads what the first committed, instead of
        // failing when it tries to write on a snapshot gone stale.
        Backend::Sqlite => Ok(db.pool.begin_with("begin immediate").await?),
        // PostgreSQL writers run side by side; an advisory lock on the
        // customer makes them take turns. It ends with the transaction.
        Backend::Postgres => {
            let mut tx = db.pool.begin().await?;
            sqlx::query("select pg_advisory_xact_lock(hashtext($1))")
                .bind(customer_id)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// How many distinct contacts hold roles on a customer.
#[tracing::instrument(name = "db contact.contact.assigned_count", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn assigned_count<'e, E>(executor: E, customer_id: &str) -> Result<i64, Error>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query(
        "select count(distinct contact_id) as assigned from contact_role where customer_id = $1",
    )
    .bind(customer_id)
    .fetch_one(executor)
    .await?;
    Ok(row.try_get("assigned")?)
}

/// Customers asked for in one statement at most: well below the bind
/// parameters SQLite (32766) and PostgreSQL (65535) take.
const COUNT_CHUNK: usize = 500;

/// How many distinct contacts hold roles on each of `customer_ids` (the
/// count [`assigned_count`] takes for one), every id answered, 0 where none.
#[tracing::instrument(name = "db contact.contact.assigned_counts", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn assigned_counts(
    db: &Db,
    customer_ids: &[String],
) -> Result<HashMap<String, i64>, Error> {
    let mut counts: HashMap<String, i64> = customer_ids.iter().map(|id| (id.clone(), 0)).collect();
    for chunk in customer_ids.chunks(COUNT_CHUNK) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "select customer_id, count(distinct contact_id) as assigned from contact_role \
             where customer_id in ({}) group by customer_id",
            params.join(", ")
        );
        // Only `$n` placeholders are formatted in; every id is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        for r in query.fetch_all(&db.pool).await? {
            counts.insert(r.try_get("customer_id")?, r.try_get("assigned")?);
        }
    }
    Ok(counts)
}

/// Refuses when the contacts now assigned to the customer (the one being
/// added included) exceed its limit. Called after the insert, inside the
/// transaction, so that refusing rolls the insert back.
async fn check_users_max(
    conn: &mut AnyConnection,
    customer_id: &str,
    users_max: Option<UsersMax>,
) -> Result<(), Error> {
    let Some(limit) = users_max else {
        return Ok(());
    };
    if limit.admits(assigned_count(conn, customer_id).await?) {
        Ok(())
    } else {
        Err(Error::LimitExceeded {
            value: limit.value(),
        })
    }
}

async fn insert_roles(
    conn: &mut AnyConnection,
    contact_id: &str,
    customer_id: &str,
    roles: &[&'static str],
    now: &str,
) -> Result<(), Error> {
    for role in roles {
        sqlx::query("insert into contact_role (contact_id, customer_id, role, created_at, updated_at) values ($1, $2, $3, $4, $4)")
            .bind(contact_id)
            .bind(customer_id)
            .bind(*role)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Marks the contact changed, which on PostgreSQL also locks its row until
/// the transaction ends: two transactions changing one contact's
/// assignments on different customers then take turns, so the second sees
/// what the first left (and which of them removed the last assignment).
/// NOT_FOUND when the contact is gone.
async fn touch(conn: &mut AnyConnection, contact_id: &str, now: &str) -> Result<(), Error> {
    let touched = sqlx::query("update contact set updated_at = $2 where contact_id = $1")
        .bind(contact_id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if touched == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

async fn holds_any_role(
    conn: &mut AnyConnection,
    contact_id: &str,
    customer_id: &str,
) -> Result<bool, Error> {
    let row = sqlx::query(
        "select 1 as one from contact_role where contact_id = $1 and customer_id = $2 limit 1",
    )
    .bind(contact_id)
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Inserts the contact and its roles on the customer in one transaction,
/// unless that would assign more contacts than `users_max` allows, and
/// answers it ([`Answer`]).
#[tracing::instrument(name = "db contact.contact.insert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn insert<M: Message, F: FnOnce(ContactRow, Vec<String>) -> M>(
    db: &Db,
    c: &NewContact<'_>,
    users_max: Option<UsersMax>,
    answer: Answer<'_, F>,
) -> Result<M, Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = begin_for_customer(db, c.customer_id).await?;
    sqlx::query(
        "insert into contact (contact_id, login, login_key, password_hash, name, email, alternative_email, phone, cellular_phone, culture, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(c.contact_id)
    .bind(c.login)
    .bind(c.login_key)
    .bind(c.password_hash)
    .bind(c.name)
    .bind(c.email)
    .bind(c.alternative_email)
    .bind(c.phone)
    .bind(c.cellular_phone)
    .bind(c.culture)
    .bind(&now)
    .execute(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { Error::LoginTaken } else { Error::Db(e) })?;
    insert_roles(&mut tx, c.contact_id, c.customer_id, c.roles, &now).await?;
    check_users_max(&mut tx, c.customer_id, users_max).await?;
    finish(tx, c.contact_id, c.customer_id, answer).await
}

#[tracing::instrument(name = "db contact.contact.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn find(db: &Db, contact_id: &str) -> Result<Option<ContactRow>, Error> {
    let row = sqlx::query(concat!(
        "select ",
        contact_columns!(),
        " from contact c where c.contact_id = $1"
    ))
    .bind(contact_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(contact_row).transpose()?)
}

#[tracing::instrument(name = "db contact.contact.login_taken", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn login_taken(db: &Db, login_key: &str) -> Result<bool, Error> {
    let row = sqlx::query("select 1 as one from contact where login_key = $1")
        .bind(login_key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// The roles a contact holds on a customer, in name order.
#[tracing::instrument(name = "db contact.contact.roles", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn roles(db: &Db, contact_id: &str, customer_id: &str) -> Result<Vec<String>, Error> {
    let mut conn = db.pool.acquire().await?;
    roles_on(&mut conn, contact_id, customer_id).await
}

async fn roles_on(
    conn: &mut AnyConnection,
    contact_id: &str,
    customer_id: &str,
) -> Result<Vec<String>, Error> {
    let rows = sqlx::query(
        "select role from contact_role where contact_id = $1 and customer_id = $2 order by role",
    )
    .bind(contact_id)
    .bind(customer_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("role"))
        .collect::<Result<_, _>>()?)
}

/// One page of a customer's contacts in id order, each with its roles on
/// that customer (in name order): `take` contacts, `skip` past the id
/// `after` ('' for the start). Ids are UUIDv7, so the order is creation
/// order and a walk by `after` meets each contact once while others are
/// added. The total is [`assigned_count`]'s, counted apart so that it can
/// be cached.
/// `in (…)` rather than a correlated `exists`: the bundled SQLite 3.51
/// applies OFFSET to the role rows of an `exists` form, so pages past the
/// first skipped the wrong number of contacts.
#[tracing::instrument(name = "db contact.contact.list", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn list(
    db: &Db,
    customer_id: &str,
    after: &str,
    skip: i64,
    take: i64,
) -> Result<Vec<(ContactRow, Vec<String>)>, Error> {
    let rows = sqlx::query(concat!(
        "select ",
        contact_columns!(),
        " from contact c \
         where c.contact_id in (select r.contact_id from contact_role r where r.customer_id = $1) \
         and c.contact_id > $2 order by c.contact_id limit $3 offset $4"
    ))
    .bind(customer_id)
    .bind(after)
    .bind(take)
    .bind(skip)
    .fetch_all(&db.pool)
    .await?;
    let contacts: Vec<ContactRow> = rows.iter().map(contact_row).collect::<Result<_, _>>()?;
    let (Some(first), Some(last)) = (contacts.first(), contacts.last()) else {
        return Ok(Vec::new());
    };
    // The page is a run of ids in order, so its roles are those of the
    // customer between its first and last id: one query, no `in (…)` list.
    let role_rows = sqlx::query(
        "select contact_id, role from contact_role \
         where customer_id = $1 and contact_id >= $2 and contact_id <= $3 order by contact_id, role",
    )
    .bind(customer_id)
    .bind(&first.contact_id)
    .bind(&last.contact_id)
    .fetch_all(&db.pool)
    .await?;
    let mut held: HashMap<String, Vec<String>> = HashMap::new();
    for row in &role_rows {
        held.entry(row.try_get("contact_id")?)
            .or_default()
            .push(row.try_get("role")?);
    }
    let items = contacts
        .into_iter()
        .map(|contact| {
            let roles = held.remove(&contact.contact_id).unwrap_or_default();
            (contact, roles)
        })
        .collect();
    Ok(items)
}

/// Changes the information `info` sets, if the contact holds a role on the
/// customer; NOT_FOUND otherwise (a contact is seen through a customer).
#[tracing::instrument(name = "db contact.contact.update", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn update(
    db: &Db,
    contact_id: &str,
    customer_id: &str,
    info: &ContactInfo<'_>,
    roles: Option<NewRoles<'_>>,
) -> Result<(), Error> {
    let Some(roles) = roles else {
        let updated = update_info(
            &mut *db.pool.acquire().await?,
            contact_id,
            customer_id,
            info,
        )
        .await?;
        return if updated {
            Ok(())
        } else {
            Err(Error::NotFound)
        };
    };
    // Roles and information in one transaction, in the customer's turn (the
    // last-owner rule's), so a refusal of either leaves both as they were.
    let now = platform::id::now_rfc3339();
    let mut tx = begin_for_customer(db, customer_id).await?;
    if !update_info(&mut tx, contact_id, customer_id, info).await? {
        return Err(Error::NotFound);
    }
    replace_roles(&mut tx, contact_id, customer_id, roles, &now).await?;
    tx.commit().await?;
    Ok(())
}

/// The roles that replace a contact's roles on one customer, and which of
/// them must keep a holder there.
#[derive(Debug, Clone, Copy)]
pub struct NewRoles<'a> {
    pub roles: &'a [&'static str],
    pub guarded: fn(&str) -> bool,
}

/// Sets the fields `info` gives; false when the contact holds no role on
/// the customer (nothing changed).
async fn update_info(
    conn: &mut AnyConnection,
    contact_id: &str,
    customer_id: &str,
    info: &ContactInfo<'_>,
) -> Result<bool, Error> {
    // `coalesce` keeps a column whose new value is absent (bound as null),
    // so one statement serves every combination of fields.
    let updated = sqlx::query(
        "update contact set name = coalesce($3, name), email = coalesce($4, email), \
         alternative_email = coalesce($5, alternative_email), phone = coalesce($6, phone), \
         cellular_phone = coalesce($7, cellular_phone), culture = coalesce($8, culture), updated_at = $9 \
         where contact_id = $1 \
         and exists (select 1 from contact_role where contact_role.contact_id = $1 and contact_role.customer_id = $2)",
    )
    .bind(contact_id)
    .bind(customer_id)
    .bind(info.name)
    .bind(info.email)
    .bind(info.alternative_email)
    .bind(info.phone)
    .bind(info.cellular_phone)
    .bind(info.culture)
    .bind(platform::id::now_rfc3339())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(updated > 0)
}

/// Gives a contact of `from_customer_id` roles on `target_customer_id`, in
/// one transaction, unless it holds none on the first (NOT_FOUND), already
/// holds some on the target, or the target's `users_max` would be exceeded;
/// answers the contact as the target sees it ([`Answer`]).
#[tracing::instrument(name = "db contact.contact.assign", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn assign<M: Message, F: FnOnce(ContactRow, Vec<String>) -> M>(
    db: &Db,
    contact_id: &str,
    from_customer_id: &str,
    target_customer_id: &str,
    roles: &[&'static str],
    users_max: Option<UsersMax>,
    answer: Answer<'_, F>,
) -> Result<M, Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = begin_for_customer(db, target_customer_id).await?;
    touch(&mut tx, contact_id, &now).await?;
    if !holds_any_role(&mut tx, contact_id, from_customer_id).await? {
        return Err(Error::NotFound);
    }
    if holds_any_role(&mut tx, contact_id, target_customer_id).await? {
        return Err(Error::AlreadyAssigned);
    }
    insert_roles(&mut tx, contact_id, target_customer_id, roles, &now).await?;
    check_users_max(&mut tx, target_customer_id, users_max).await?;
    finish(tx, contact_id, target_customer_id, answer).await
}

/// Refuses (LAST_OWNER) when the contact is the only holder on the
/// customer of one of the `dropped` roles that `guarded` says must keep a
/// holder. Run inside [`begin_for_customer`], so two requests cannot each
/// drop one of the last two holders.
async fn keep_guarded_roles(
    conn: &mut AnyConnection,
    contact_id: &str,
    customer_id: &str,
    dropped: &[String],
    guarded: fn(&str) -> bool,
) -> Result<(), Error> {
    for role in dropped.iter().filter(|role| guarded(role)) {
        let others: i64 = sqlx::query(
            "select count(*) as others from contact_role where customer_id = $1 and role = $2 and contact_id <> $3",
        )
        .bind(customer_id)
        .bind(role)
        .bind(contact_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get("others")?;
        if others == 0 {
            return Err(Error::LastOwner);
        }
    }
    Ok(())
}

/// Ends a contact's assignment to a customer, unless it holds none there
/// (NOT_FOUND) or is the only holder on that customer of a role `guarded`
/// says must keep one (LAST_OWNER). A contact left with no assignment is
/// deleted, and `on_delete` runs before the commit: when it fails, nothing
/// is removed, so a retry starts again. The answer says whether the contact
/// was deleted.
#[tracing::instrument(name = "db contact.contact.remove_assignment", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn remove_assignment<F: Future<Output = Result<(), Error>>>(
    db: &Db,
    contact_id: &str,
    customer_id: &str,
    guarded: fn(&str) -> bool,
    on_delete: impl FnOnce() -> F,
) -> Result<bool, Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = begin_for_customer(db, customer_id).await?;
    touch(&mut tx, contact_id, &now).await?;
    let held = roles_on(&mut tx, contact_id, customer_id).await?;
    if held.is_empty() {
        return Err(Error::NotFound);
    }
    keep_guarded_roles(&mut tx, contact_id, customer_id, &held, guarded).await?;
    sqlx::query("delete from contact_role where contact_id = $1 and customer_id = $2")
        .bind(contact_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    let deleted = sqlx::query("delete from contact where contact_id = $1 and not exists (select 1 from contact_role where contact_role.contact_id = $1)")
        .bind(contact_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if deleted {
        on_delete().await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// The stored Argon2id PHC string, if the contact exists. Only for
/// verifying: never log or answer it.
#[tracing::instrument(name = "db contact.contact.password_hash", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn password_hash(db: &Db, contact_id: &str) -> Result<Option<String>, Error> {
    let row = sqlx::query("select password_hash from contact where contact_id = $1")
        .bind(contact_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("password_hash")).transpose()?)
}

#[tracing::instrument(name = "db contact.contact.set_password_hash", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn set_password_hash(db: &Db, contact_id: &str, hash: &str) -> Result<(), Error> {
    let updated =
        sqlx::query("update contact set password_hash = $2, updated_at = $3 where contact_id = $1")
            .bind(contact_id)
            .bind(hash)
            .bind(platform::id::now_rfc3339())
            .execute(&db.pool)
            .await?
            .rows_affected();
    if updated == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Replaces the roles a contact holds on a customer, in one transaction so
/// that no reader sees the contact between its old and new roles, unless
/// that would leave the customer without a holder of a role `guarded` says
/// must keep one (LAST_OWNER). No roles ends the assignment; the contact
/// itself stays (it may hold others). NOT_FOUND when the contact is gone.
#[tracing::instrument(name = "db contact.contact.set_roles", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn set_roles(
    db: &Db,
    contact_id: &str,
    customer_id: &str,
    roles: &[&'static str],
    guarded: fn(&str) -> bool,
) -> Result<(), Error> {
    let now = platform::id::now_rfc3339();
    // The customer's turn, as for every change the last-owner rule checks.
    let mut tx = begin_for_customer(db, customer_id).await?;
    // Inside the transaction, so a contact removed meanwhile answers
    // NOT_FOUND rather than a foreign-key failure.
    touch(&mut tx, contact_id, &now).await?;
    replace_roles(
        &mut tx,
        contact_id,
        customer_id,
        NewRoles { roles, guarded },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the contact's roles on the customer inside the caller's
/// transaction (which holds the customer's turn), keeping a holder of each
/// guarded role and the time the assignment began.
async fn replace_roles(
    conn: &mut AnyConnection,
    contact_id: &str,
    customer_id: &str,
    new: NewRoles<'_>,
    now: &str,
) -> Result<(), Error> {
    let NewRoles { roles, guarded } = new;
    let held = roles_on(&mut *conn, contact_id, customer_id).await?;
    let dropped: Vec<String> = held
        .into_iter()
        .filter(|role| !roles.contains(&role.as_str()))
        .collect();
    keep_guarded_roles(&mut *conn, contact_id, customer_id, &dropped, guarded).await?;
    // The assignment keeps the time it began: `home_customer` is the one
    // assigned first, and replacing roles must not move it.
    let began: Option<String> = sqlx::query(
        "select min(created_at) as began from contact_role where contact_id = $1 and customer_id = $2",
    )
    .bind(contact_id)
    .bind(customer_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("began")?;
    let created_at = began.unwrap_or_else(|| now.to_owned());
    sqlx::query("delete from contact_role where contact_id = $1 and customer_id = $2")
        .bind(contact_id)
        .bind(customer_id)
        .execute(&mut *conn)
        .await?;
    for role in roles {
        sqlx::query("insert into contact_role (contact_id, customer_id, role, created_at, updated_at) values ($1, $2, $3, $4, $5)")
            .bind(contact_id)
            .bind(customer_id)
            .bind(*role)
            .bind(&created_at)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The customer a contact was created on: the one it holds roles on first.
#[tracing::instrument(name = "db contact.contact.home_customer", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn home_customer(db: &Db, contact_id: &str) -> Result<Option<String>, Error> {
    let row = sqlx::query(
        "select customer_id from contact_role where contact_id = $1 order by created_at limit 1",
    )
    .bind(contact_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.try_get("customer_id")).transpose()?)
}

/// Removes a customer's role assignments, then every contact left without
/// any. Running it twice changes nothing the second time. It takes the
/// customer's turn like the other assignment changes, so it cannot
/// interleave with a removal or assignment on the same customer.
#[tracing::instrument(name = "db contact.contact.delete_customer", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "contact"))]
pub async fn delete_customer(db: &Db, customer_id: &str) -> Result<u64, Error> {
    let mut tx = begin_for_customer(db, customer_id).await?;
    let affected: Vec<String> =
        sqlx::query("select distinct contact_id from contact_role where customer_id = $1")
            .bind(customer_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("contact_id"))
            .collect::<Result<_, _>>()?;
    sqlx::query("delete from contact_role where customer_id = $1")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    let mut removed = 0;
    for contact_id in &affected {
        removed += sqlx::query("delete from contact where contact_id = $1 and not exists (select 1 from contact_role where contact_role.contact_id = $1)")
            .bind(contact_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    Ok(removed)
}
