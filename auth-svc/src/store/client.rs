//! API clients, their secrets' rotation, and the removal of clients with
//! their tokens.

use platform::db::{Db, is_unique_violation};
use platform::idempotency::{self, Key};
use prost::Message;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::error::Error;

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub contact_id: &'a str,
    pub customer_id: &'a str,
    /// account-svc's path of the customer (`/root/…/self/`).
    pub customer_path: &'a str,
    pub name: &'a str,
    pub secret_hmac: &'a str,
}

#[derive(Debug, Clone)]
pub struct ClientRow {
    pub client_id: String,
    pub contact_id: String,
    pub customer_id: String,
    pub customer_path: String,
    pub name: String,
    pub secret_hmac: String,
    pub previous_secret_hmac: Option<String>,
    /// Unix seconds.
    pub previous_secret_expires_at: Option<i64>,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// The columns of [`ClientRow`], as a literal so queries stay `&'static str`.
macro_rules! columns {
    () => {
        "client_id, contact_id, customer_id, customer_path, name, secret_hmac, \
         previous_secret_hmac, previous_secret_expires_at, created_at, last_used_at"
    };
}

fn client_row(row: &AnyRow) -> Result<ClientRow, sqlx::Error> {
    Ok(ClientRow {
        client_id: row.try_get("client_id")?,
        contact_id: row.try_get("contact_id")?,
        customer_id: row.try_get("customer_id")?,
        customer_path: row.try_get("customer_path")?,
        name: row.try_get("name")?,
        secret_hmac: row.try_get("secret_hmac")?,
        previous_secret_hmac: row.try_get("previous_secret_hmac")?,
        previous_secret_expires_at: row.try_get("previous_secret_expires_at")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

/// Inserts a client; an id already in use is [`Error::ClientIdTaken`].
#[tracing::instrument(name = "db auth.client.insert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn insert(db: &Db, c: &NewClient<'_>) -> Result<ClientRow, Error> {
    insert_keeping(db, c, None, |_| ()).await
}

/// Inserts a client as [`insert`] does and, under the request's
/// Idempotency-Key (`key`), keeps the answer `kept` makes of it in the same
/// transaction, so the client and the answer a retry replays commit together.
#[tracing::instrument(name = "db auth.client.insert_keeping", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn insert_keeping<M: Message>(
    db: &Db,
    c: &NewClient<'_>,
    key: Option<&Key>,
    kept: impl FnOnce(&ClientRow) -> M,
) -> Result<ClientRow, Error> {
    let now = platform::id::now_rfc3339();
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "insert into client (client_id, contact_id, customer_id, customer_path, name, secret_hmac, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(c.client_id)
    .bind(c.contact_id)
    .bind(c.customer_id)
    .bind(c.customer_path)
    .bind(c.name)
    .bind(c.secret_hmac)
    .bind(&now)
    .execute(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { Error::ClientIdTaken } else { Error::Db(e) })?;
    let row = ClientRow {
        client_id: c.client_id.to_owned(),
        contact_id: c.contact_id.to_owned(),
        customer_id: c.customer_id.to_owned(),
        customer_path: c.customer_path.to_owned(),
        name: c.name.to_owned(),
        secret_hmac: c.secret_hmac.to_owned(),
        previous_secret_hmac: None,
        previous_secret_expires_at: None,
        created_at: now,
        last_used_at: None,
    };
    if let Some(key) = key {
        idempotency::complete(&mut tx, key, &kept(&row)).await?;
    }
    tx.commit().await?;
    Ok(row)
}

#[tracing::instrument(name = "db auth.client.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn find(db: &Db, client_id: &str) -> Result<Option<ClientRow>, Error> {
    let row = sqlx::query(concat!(
        "select ",
        columns!(),
        " from client where client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(client_row).transpose()?)
}

/// Replaces the secret of a client that still belongs to this contact and
/// customer (bootstrap's given secret), refreshing its customer path; the
/// operator chose this secret, so no previous one stays valid. False when
/// the client does not (anymore) belong to them.
#[tracing::instrument(name = "db auth.client.set_secret", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn set_secret(db: &Db, c: &NewClient<'_>) -> Result<bool, Error> {
    let updated = sqlx::query(
        "update client set secret_hmac = $1, customer_path = $2, previous_secret_hmac = null, \
         previous_secret_expires_at = null, updated_at = $3 \
         where client_id = $4 and contact_id = $5 and customer_id = $6",
    )
    .bind(c.secret_hmac)
    .bind(c.customer_path)
    .bind(platform::id::now_rfc3339())
    .bind(c.client_id)
    .bind(c.contact_id)
    .bind(c.customer_id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(updated > 0)
}

/// Gives a client a new secret. With `previous_until` the secret it had so
/// far keeps working until then (Unix seconds); without, it stops now.
/// The move happens inside the one statement (the right-hand side reads
/// the row as it was), so two rotations racing each leave a consistent
/// pair and the later one wins. `None` when the client is gone.
#[tracing::instrument(name = "db auth.client.rotate_secret", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn rotate_secret(
    db: &Db,
    client_id: &str,
    secret_hmac: &str,
    previous_until: Option<i64>,
) -> Result<Option<ClientRow>, Error> {
    let row = sqlx::query(concat!(
        "update client set \
         previous_secret_hmac = case when $2 is null then null else secret_hmac end, \
         previous_secret_expires_at = $2, secret_hmac = $3, updated_at = $4 \
         where client_id = $1 returning ",
        columns!()
    ))
    .bind(client_id)
    .bind(previous_until)
    .bind(secret_hmac)
    .bind(platform::id::now_rfc3339())
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(client_row).transpose()?)
}

/// Which clients a list may show at all.
#[derive(Debug, Clone, Copy)]
pub enum Visible<'a> {
    /// Any (a service asking); the filter's contact or customer narrows it.
    Any,
    /// A contact's own clients.
    Own(&'a str),
    /// A contact's own clients and every client of the customers whose
    /// path starts with `path` (a subtree).
    OwnAndWithin { contact_id: &'a str, path: &'a str },
}

/// The clients of a list: those [`Visible`], narrowed to a contact and a
/// customer where given ('' matches every one).
#[derive(Debug, Clone, Copy)]
pub struct ListFilter<'a> {
    pub visible: Visible<'a>,
    pub contact_id: &'a str,
    pub customer_id: &'a str,
}

impl ListFilter<'_> {
    /// Everything that decides the set, as the key of its cached total
    /// ([`platform::paging::total`]). Debug quoting keeps the parts apart.
    pub fn cache_key(&self) -> String {
        format!(
            "{:?} {:?} {:?}",
            self.visible, self.contact_id, self.customer_id
        )
    }

    /// The owner and `like` pattern bound as `$1` and `$2` of [`matching!`]
    /// ('' for none). A slip that would match everything (an empty owner, a
    /// path with another shape, a service's list without a filter) is
    /// refused rather than listing every client.
    fn bounds(&self) -> Result<(&str, String), Error> {
        let (owner, path) = match self.visible {
            Visible::Any if self.contact_id.is_empty() && self.customer_id.is_empty() => {
                return Err(Error::Internal(
                    "refusing to list every client without a filter".into(),
                ));
            }
            Visible::Any => ("", String::new()),
            Visible::Own(contact_id) => (contact_id, String::new()),
            Visible::OwnAndWithin { contact_id, path } => {
                if !crate::domain::access::is_customer_path(path) {
                    return Err(Error::Internal(format!(
                        "refusing to list clients under path {path:?}"
                    )));
                }
                (contact_id, format!("{path}%"))
            }
        };
        if owner.is_empty() && !matches!(self.visible, Visible::Any) {
            return Err(Error::Internal(
                "refusing to list clients of no contact".into(),
            ));
        }
        Ok((owner, path))
    }
}

// The filter both queries share: $1 the owner, $2 the subtree's `like`
// pattern (both '' for a service), $3 the contact, $4 the customer ('' for
// any). One static statement for every shape: API clients are few per
// partner, so the id-ordered scan it may take costs little, and a page of
// "own or subtree" needs no merge of two lists.
macro_rules! matching {
    () => {
        "(($1 = '' and $2 = '') or contact_id = $1 or ($2 <> '' and customer_path like $2)) \
         and ($3 = '' or contact_id = $3) and ($4 = '' or customer_id = $4)"
    };
}

/// Up to `limit` clients matching `f` in id order, `skip` past the id
/// `after` ('' for the start). Generated ids are UUIDv7, so this is
/// creation order (bootstrap's chosen ids sort where their text does), and
/// a walk by `after` meets each client once while others are added.
#[tracing::instrument(name = "db auth.client.list", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn list(
    db: &Db,
    f: &ListFilter<'_>,
    after: &str,
    skip: i64,
    limit: i64,
) -> Result<Vec<ClientRow>, Error> {
    let (owner, path) = f.bounds()?;
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from client where ",
        matching!(),
        " and client_id > $5 order by client_id limit $6 offset $7"
    ))
    .bind(owner)
    .bind(path)
    .bind(f.contact_id)
    .bind(f.customer_id)
    .bind(after)
    .bind(limit)
    .bind(skip)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(client_row).collect::<Result<_, _>>()?)
}

/// How many clients match `f`; list totals go through
/// [`platform::paging::total`], so a walk counts once.
#[tracing::instrument(name = "db auth.client.count", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn count(db: &Db, f: &ListFilter<'_>) -> Result<i64, Error> {
    let (owner, path) = f.bounds()?;
    let n = sqlx::query(concat!(
        "select count(*) as n from client where ",
        matching!()
    ))
    .bind(owner)
    .bind(path)
    .bind(f.contact_id)
    .bind(f.customer_id)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")?;
    Ok(n)
}

/// What to remove with its tokens.
#[derive(Debug, Clone, Copy)]
pub enum Removal<'a> {
    /// Every client of a customer (the customer is being deleted).
    Customer(&'a str),
    /// Every client of a contact, whatever its customer (the contact is
    /// being deleted).
    Contact(&'a str),
    /// One client.
    Client(&'a str),
}

/// Deletes clients and revokes their live tokens in one transaction;
/// answers the number of clients deleted and the hashes of the tokens
/// revoked (their cache entries must go too). Running it twice changes
/// nothing the second time.
///
/// Clients go first: on PostgreSQL the delete waits for any token issue that
/// holds a client's row (see [`super::token::issue`]) and the revoke that
/// follows then sees its token, so no live token outlives its client.
#[tracing::instrument(name = "db auth.client.delete", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "auth"))]
pub async fn delete(db: &Db, removal: Removal<'_>) -> Result<(u64, Vec<String>), Error> {
    let (delete_sql, revoke_sql, key) = match removal {
        Removal::Customer(customer_id) => (
            "delete from client where customer_id = $1",
            "update token set revoked_at = $2, updated_at = $3 \
             where customer_id = $1 and revoked_at is null and expires_at > $2 returning token_hash",
            customer_id,
        ),
        // By the token's own contact id, which is its client's (tokens copy
        // it at issue), so the revoke needs no client row the delete just
        // removed.
        Removal::Contact(contact_id) => (
            "delete from client where contact_id = $1",
            "update token set revoked_at = $2, updated_at = $3 \
             where contact_id = $1 and revoked_at is null and expires_at > $2 returning token_hash",
            contact_id,
        ),
        Removal::Client(client_id) => (
            "delete from client where client_id = $1",
            "update token set revoked_at = $2, updated_at = $3 \
             where client_id = $1 and revoked_at is null and expires_at > $2 returning token_hash",
            client_id,
        ),
    };
    let now = platform::id::unix_now();
    let mut tx = db.pool.begin().await?;
    let deleted = sqlx::query(delete_sql)
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let revoked: Vec<String> = sqlx::query(revoke_sql)
        .bind(key)
        .bind(now)
        .bind(platform::id::now_rfc3339())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("token_hash"))
        .collect::<Result<_, _>>()?;
    tx.commit().await?;
    Ok((deleted, revoked))
}
