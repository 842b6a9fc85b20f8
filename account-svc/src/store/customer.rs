//! Customers (partners and accounts) in one tree, and the tombstones of
//! deleted ones. Visibility is by `status = 'active'`; scope is by path prefix.

use platform::db::{Db, is_unique_violation};
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};

use crate::error::Error;

macro_rules! columns {
    () => {
        "customer_id, kind, partner_program, user_name, parent_id, path, plan_name, programs, status, state, \
         company_name, company_phone, address_line1, address_line2, address_line3, city, address_state, zip, country, \
         options, owner_contact_id, created_at, company_culture, vat_number, msa_accepted_at, updated_at"
    };
}

#[derive(Debug, Clone)]
pub struct CustomerRow {
    pub customer_id: String,
    pub kind: String,
    pub partner_program: String,
    pub user_name: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub plan_name: String,
    pub programs: String,
    pub status: String,
    pub state: String,
    pub company_name: String,
    pub company_phone: String,
    pub address_line1: String,
    pub address_line2: String,
    pub address_line3: String,
    pub city: String,
    pub address_state: String,
    pub zip: String,
    pub country: String,
    pub options: String,
    pub owner_contact_id: String,
    pub created_at: String,
    /// '' when unset.
    pub company_culture: String,
    /// '' when unset.
    pub vat_number: String,
    /// '' until the MSA is accepted.
    pub msa_accepted_at: String,
    /// Also the row's version: a read-modify-write writes only if it is
    /// unchanged (see [`update_company`]). Ignored by inserts.
    pub updated_at: String,
}

impl CustomerRow {
    pub fn is_partner(&self) -> bool {
        self.kind == "partner"
    }
}

fn row(r: &AnyRow) -> Result<CustomerRow, sqlx::Error> {
    Ok(CustomerRow {
        customer_id: r.try_get("customer_id")?,
        kind: r.try_get("kind")?,
        partner_program: r.try_get("partner_program")?,
        user_name: r.try_get("user_name")?,
        parent_id: r.try_get("parent_id")?,
        path: r.try_get("path")?,
        plan_name: r.try_get("plan_name")?,
        programs: r.try_get("programs")?,
        status: r.try_get("status")?,
        state: r.try_get("state")?,
        company_name: r.try_get("company_name")?,
        company_phone: r.try_get("company_phone")?,
        address_line1: r.try_get("address_line1")?,
        address_line2: r.try_get("address_line2")?,
        address_line3: r.try_get("address_line3")?,
        city: r.try_get("city")?,
        address_state: r.try_get("address_state")?,
        zip: r.try_get("zip")?,
        country: r.try_get("country")?,
        options: r.try_get("options")?,
        owner_contact_id: r.try_get("owner_contact_id")?,
        created_at: r.try_get("created_at")?,
        company_culture: r.try_get("company_culture")?,
        vat_number: r.try_get("vat_number")?,
        msa_accepted_at: r.try_get("msa_accepted_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts a customer in status `provisioning`: it reserves the user name and
/// stays invisible until [`activate`] makes it `active`.
#[tracing::instrument(name = "db account.customer.insert_provisioning", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn insert_provisioning(db: &Db, c: &CustomerRow) -> Result<(), Error> {
    let now = platform::id::now_rfc3339();
    sqlx::query(concat!(
        "insert into customer (",
        columns!(),
        ", user_name_key) values \
         ($1, $2, $3, $4, $5, $6, $7, $8, 'provisioning', $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $22, $23, '', $21, $24)"
    ))
    .bind(&c.customer_id)
    .bind(&c.kind)
    .bind(&c.partner_program)
    .bind(&c.user_name)
    .bind(c.parent_id.as_deref())
    .bind(&c.path)
    .bind(&c.plan_name)
    .bind(&c.programs)
    .bind(&c.state)
    .bind(&c.company_name)
    .bind(&c.company_phone)
    .bind(&c.address_line1)
    .bind(&c.address_line2)
    .bind(&c.address_line3)
    .bind(&c.city)
    .bind(&c.address_state)
    .bind(&c.zip)
    .bind(&c.country)
    .bind(&c.options)
    .bind(&c.owner_contact_id)
    .bind(&now)
    .bind(&c.company_culture)
    .bind(&c.vat_number)
    .bind(c.user_name.to_lowercase())
    .execute(&db.pool)
    .await
    .map_err(|e| if is_unique_violation(&e) { Error::UserNameTaken } else { Error::Db(e) })?;
    Ok(())
}

/// Makes a `provisioning` customer visible, inside the caller's transaction
/// (the create keeps its Idempotency-Key answer in the same one). `false`
/// when it is no longer provisioning: the recovery sweep undid it meanwhile.
#[tracing::instrument(name = "db account.customer.activate", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn activate(tx: &mut Transaction<'_, Any>, customer_id: &str) -> Result<bool, Error> {
    let done = sqlx::query(
        "update customer set status = 'active', updated_at = $2 \
         where customer_id = $1 and status = 'provisioning'",
    )
    .bind(customer_id)
    .bind(platform::id::now_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a row outright, with the partner settings and own limit values
/// that hang off it: the end of a delete, or the undo of a create that did
/// not finish. Only the tombstone stays (DESIGN §2, delete account).
#[tracing::instrument(name = "db account.customer.remove", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn remove(db: &Db, customer_id: &str) -> Result<(), Error> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("delete from partner_setting where customer_id = $1")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from customer_limit where customer_id = $1")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from customer where customer_id = $1")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A customer in any status.
#[tracing::instrument(name = "db account.customer.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn find(db: &Db, customer_id: &str) -> Result<Option<CustomerRow>, Error> {
    let r = sqlx::query(concat!(
        "select ",
        columns!(),
        " from customer where customer_id = $1"
    ))
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(row).transpose()?)
}

#[tracing::instrument(name = "db account.customer.find_root", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn find_root(db: &Db) -> Result<Option<CustomerRow>, Error> {
    let r = sqlx::query(concat!(
        "select ",
        columns!(),
        " from customer where parent_id is null"
    ))
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(row).transpose()?)
}

#[tracing::instrument(name = "db account.customer.user_name_taken", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn user_name_taken(db: &Db, key: &str) -> Result<bool, Error> {
    Ok(
        sqlx::query("select 1 as one from customer where user_name_key = $1")
            .bind(key)
            .fetch_optional(&db.pool)
            .await?
            .is_some(),
    )
}

/// Whether any customer, whatever its status, has this parent.
#[tracing::instrument(name = "db account.customer.has_children", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn has_children(db: &Db, customer_id: &str) -> Result<bool, Error> {
    Ok(
        sqlx::query("select 1 as one from customer where parent_id = $1 limit 1")
            .bind(customer_id)
            .fetch_optional(&db.pool)
            .await?
            .is_some(),
    )
}

pub struct ListFilter<'a> {
    /// Path prefix of the caller's subtree; the caller itself is excluded.
    pub within: &'a str,
    pub exclude: &'a str,
    pub parent_id: &'a str,
    pub user_name_key: &'a str,
    pub plan_name: &'a str,
}

impl ListFilter<'_> {
    /// Everything that decides the set, as the key of its cached total
    /// ([`platform::paging::total`]). Debug quoting keeps the parts apart.
    pub fn cache_key(&self) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?}",
            self.within, self.exclude, self.parent_id, self.user_name_key, self.plan_name
        )
    }
}

/// Where a page starts: `skip` rows past the keyset cursor `after` (an id;
/// '' for the start of the list).
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub after: &'a str,
    pub skip: i64,
    pub take: i64,
}

// The filter both queries share: $1 path prefix, $2 excluded id, $3 parent,
// $4 user name key, $5 plan ('' matches everything).
macro_rules! matching {
    () => {
        "status = 'active' and path like $1 and customer_id <> $2 \
         and ($3 = '' or parent_id = $3) and ($4 = '' or user_name_key = $4) and ($5 = '' or plan_name = $5)"
    };
}

/// One page of the active customers matching the filter, in id (creation,
/// UUIDv7) order. After a cursor the database starts at the cursor in the
/// primary key's index, so the cost stays flat however deep the page; only
/// `skip` makes it read (and drop) rows.
#[tracing::instrument(name = "db account.customer.list", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn list(db: &Db, f: &ListFilter<'_>, p: Page<'_>) -> Result<Vec<CustomerRow>, Error> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from customer where ",
        matching!(),
        " and customer_id > $6 order by customer_id limit $7 offset $8"
    ))
    .bind(format!("{}%", f.within))
    .bind(f.exclude)
    .bind(f.parent_id)
    .bind(f.user_name_key)
    .bind(f.plan_name)
    .bind(p.after)
    .bind(p.take)
    .bind(p.skip)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// How many active customers match the filter: the list's `total`. Callers
/// go through [`platform::paging::total`], so a walk counts once.
#[tracing::instrument(name = "db account.customer.count", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn count(db: &Db, f: &ListFilter<'_>) -> Result<i64, Error> {
    Ok(sqlx::query(concat!(
        "select count(*) as n from customer where ",
        matching!()
    ))
    .bind(format!("{}%", f.within))
    .bind(f.exclude)
    .bind(f.parent_id)
    .bind(f.user_name_key)
    .bind(f.plan_name)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")?)
}

pub struct Deletion<'a> {
    pub client_id: &'a str,
    pub contact_id: &'a str,
    pub reason: &'a str,
    pub comments: &'a str,
}

/// Records the tombstone and hides the customer (status `deleting`) in one
/// transaction; [`remove`] ends it once every service has dropped its data.
#[tracing::instrument(name = "db account.customer.begin_delete", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn begin_delete(db: &Db, c: &CustomerRow, d: &Deletion<'_>) -> Result<(), Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "insert into customer_tombstone (customer_id, kind, user_name, parent_id, deleted_by_client_id, deleted_by_contact_id, \
         reason, comments, deleted_at, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)",
    )
    .bind(&c.customer_id)
    .bind(&c.kind)
    .bind(&c.user_name)
    .bind(c.parent_id.as_deref())
    .bind(d.client_id)
    .bind(d.contact_id)
    .bind(d.reason)
    .bind(d.comments)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update customer set status = 'deleting', updated_at = $2 where customer_id = $1")
        .bind(&c.customer_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Customers left in `status` since before `before` (RFC 3339): creates and
/// deletes that a crash or an outage interrupted.
#[tracing::instrument(name = "db account.customer.stuck", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn stuck(db: &Db, status: &str, before: &str) -> Result<Vec<CustomerRow>, Error> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from customer where status = $1 and updated_at < $2 limit 100"
    ))
    .bind(status)
    .bind(before)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// A company's columns as an update writes them.
#[derive(Debug, Clone, Copy)]
pub struct CompanyColumns<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    pub line1: &'a str,
    pub line2: &'a str,
    pub line3: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub zip: &'a str,
    pub country: &'a str,
    pub culture: &'a str,
    pub vat_number: &'a str,
}

impl CustomerRow {
    pub fn company_columns(&self) -> CompanyColumns<'_> {
        CompanyColumns {
            name: &self.company_name,
            phone: &self.company_phone,
            line1: &self.address_line1,
            line2: &self.address_line2,
            line3: &self.address_line3,
            city: &self.city,
            state: &self.address_state,
            zip: &self.zip,
            country: &self.country,
            culture: &self.company_culture,
            vat_number: &self.vat_number,
        }
    }
}

/// Writes a company merged over the row read at version `seen_updated_at`,
/// if the row is still that version; `false` when another write came first.
/// A compare-and-set rather than a SQL merge, because the merged address is
/// validated as a whole and a concurrent change to part of it could make the
/// whole invalid.
#[tracing::instrument(name = "db account.customer.update_company", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn update_company(
    db: &Db,
    customer_id: &str,
    seen_updated_at: &str,
    c: &CompanyColumns<'_>,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "update customer set company_name = $3, company_phone = $4, address_line1 = $5, address_line2 = $6, \
         address_line3 = $7, city = $8, address_state = $9, zip = $10, country = $11, company_culture = $12, \
         vat_number = $13, updated_at = $14 where customer_id = $1 and updated_at = $2 and status = 'active'",
    )
    .bind(customer_id)
    .bind(seen_updated_at)
    .bind(c.name)
    .bind(c.phone)
    .bind(c.line1)
    .bind(c.line2)
    .bind(c.line3)
    .bind(c.city)
    .bind(c.state)
    .bind(c.zip)
    .bind(c.country)
    .bind(c.culture)
    .bind(c.vat_number)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the state unless it already is `state`; `false` when it was (a
/// concurrent request got there first), so one of two racing requests wins.
#[tracing::instrument(name = "db account.customer.set_state", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn set_state(db: &Db, customer_id: &str, state: &str) -> Result<bool, Error> {
    let done = sqlx::query(
        "update customer set state = $2, updated_at = $3 \
         where customer_id = $1 and status = 'active' and state <> $2",
    )
    .bind(customer_id)
    .bind(state)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the plan unless it already is `plan_name`; `false` when it was.
#[tracing::instrument(name = "db account.customer.set_plan", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn set_plan(db: &Db, customer_id: &str, plan_name: &str) -> Result<bool, Error> {
    let done = sqlx::query(
        "update customer set plan_name = $2, updated_at = $3 \
         where customer_id = $1 and status = 'active' and plan_name <> $2",
    )
    .bind(customer_id)
    .bind(plan_name)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the MSA's acceptance now, unless it is already accepted; `false`
/// when it was, so the first acceptance's time is the one kept.
#[tracing::instrument(name = "db account.customer.accept_msa", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn accept_msa(db: &Db, customer_id: &str) -> Result<bool, Error> {
    let now = platform::id::now_rfc3339();
    let done = sqlx::query(
        "update customer set msa_accepted_at = $2, updated_at = $2 \
         where customer_id = $1 and status = 'active' and msa_accepted_at = ''",
    )
    .bind(customer_id)
    .bind(&now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the customer at `path` (`/root/…/self/`) or any ancestor is
/// disabled: the rows whose own path is a prefix of it. Paths hold only hex
/// ids and `/`, so no `%` or `_` in them can act as a wildcard; the partial
/// index of migration 0003 keeps the scan to the few disabled rows.
#[tracing::instrument(name = "db account.customer.disabled_on_path", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn disabled_on_path(db: &Db, path: &str) -> Result<bool, Error> {
    Ok(sqlx::query(
        "select 1 as one from customer where state = 'disabled' and $1 like path || '%' limit 1",
    )
    .bind(path)
    .fetch_optional(&db.pool)
    .await?
    .is_some())
}
