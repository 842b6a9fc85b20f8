//! Failed setups: creates the card processor refused, kept to be restored.
//! Scope is by the parent's path prefix, as for customers. A restore moves a
//! setup `open` → `restoring` → `restored` (or back to `open`), each step a
//! conditional update, so of two racing restores only one gets the setup.

use platform::db::Db;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::error::Error;

// A macro rather than a const, so `concat!` keeps each query a static string.
macro_rules! columns {
    () => {
        "failed_setup_id, parent_id, parent_path, account_name, plan_name, request, reason, code, message, \
         brand, last4, status, customer_id, created_at, updated_at, restored_at"
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedSetupRow {
    pub failed_setup_id: String,
    /// '' when the refused create had no parent (the root).
    pub parent_id: String,
    pub parent_path: String,
    pub account_name: String,
    pub plan_name: String,
    /// See [`crate::domain::failed_setup::encode_request`]: no secrets.
    pub request: String,
    /// `blacklisted` or `fraud_suspected`.
    pub reason: String,
    pub code: String,
    pub message: String,
    pub brand: String,
    pub last4: String,
    /// `open`, `restoring` or `restored`.
    pub status: String,
    /// The customer a restore creates ('' while open).
    pub customer_id: String,
    /// Set by [`insert`]; ignored there.
    pub created_at: String,
    pub updated_at: String,
    pub restored_at: String,
}

fn row(r: &AnyRow) -> Result<FailedSetupRow, sqlx::Error> {
    Ok(FailedSetupRow {
        failed_setup_id: r.try_get("failed_setup_id")?,
        parent_id: r.try_get("parent_id")?,
        parent_path: r.try_get("parent_path")?,
        account_name: r.try_get("account_name")?,
        plan_name: r.try_get("plan_name")?,
        request: r.try_get("request")?,
        reason: r.try_get("reason")?,
        code: r.try_get("code")?,
        message: r.try_get("message")?,
        brand: r.try_get("brand")?,
        last4: r.try_get("last4")?,
        status: r.try_get("status")?,
        customer_id: r.try_get("customer_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        restored_at: r.try_get("restored_at")?,
    })
}

/// Records a new failed setup, `open`.
#[tracing::instrument(name = "db account.failed_setup.insert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn insert(db: &Db, f: &FailedSetupRow) -> Result<(), Error> {
    sqlx::query(
        "insert into failed_setup (failed_setup_id, parent_id, parent_path, account_name, plan_name, request, \
         reason, code, message, brand, last4, status, customer_id, created_at, updated_at, restored_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', '', $12, $12, '')",
    )
    .bind(&f.failed_setup_id)
    .bind(&f.parent_id)
    .bind(&f.parent_path)
    .bind(&f.account_name)
    .bind(&f.plan_name)
    .bind(&f.request)
    .bind(&f.reason)
    .bind(&f.code)
    .bind(&f.message)
    .bind(&f.brand)
    .bind(&f.last4)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[tracing::instrument(name = "db account.failed_setup.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn find(db: &Db, failed_setup_id: &str) -> Result<Option<FailedSetupRow>, Error> {
    let r = sqlx::query(concat!(
        "select ",
        columns!(),
        " from failed_setup where failed_setup_id = $1"
    ))
    .bind(failed_setup_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(row).transpose()?)
}

/// One page of the failed setups whose parent lies within `within` (a path
/// prefix; `/` for all), newest first: in descending id order (UUIDv7, so
/// creation order), `skip` rows past the cursor `after` (the last id of the
/// previous page; '' for the first page). Paths hold only hex ids and `/`,
/// so `like` sees no wildcard in them.
#[tracing::instrument(name = "db account.failed_setup.list", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn list(
    db: &Db,
    within: &str,
    after: &str,
    skip: i64,
    take: i64,
) -> Result<Vec<FailedSetupRow>, Error> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from failed_setup where parent_path like $1 and ($2 = '' or failed_setup_id < $2) \
         order by failed_setup_id desc limit $3 offset $4"
    ))
    .bind(format!("{within}%"))
    .bind(after)
    .bind(take)
    .bind(skip)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// How many failed setups, whatever their status, lie within `within`: the
/// list's `total`, through [`platform::paging::total`].
#[tracing::instrument(name = "db account.failed_setup.count", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn count(db: &Db, within: &str) -> Result<i64, Error> {
    Ok(
        sqlx::query("select count(*) as n from failed_setup where parent_path like $1")
            .bind(format!("{within}%"))
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?,
    )
}

/// Claims an open setup for a restore that will create `customer_id`;
/// `false` when it is not open (restored, or another restore got it first).
/// The id is written now so that the recovery sweep can tell whether an
/// interrupted restore created its customer.
#[tracing::instrument(name = "db account.failed_setup.claim", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn claim(db: &Db, failed_setup_id: &str, customer_id: &str) -> Result<bool, Error> {
    let done = sqlx::query(
        "update failed_setup set status = 'restoring', customer_id = $2, updated_at = $3 \
         where failed_setup_id = $1 and status = 'open'",
    )
    .bind(failed_setup_id)
    .bind(customer_id)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Opens a claimed setup again after its restore failed; `false` when it was
/// not `restoring` (already released).
#[tracing::instrument(name = "db account.failed_setup.release", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn release(db: &Db, failed_setup_id: &str) -> Result<bool, Error> {
    let done = sqlx::query(
        "update failed_setup set status = 'open', customer_id = '', updated_at = $2 \
         where failed_setup_id = $1 and status = 'restoring'",
    )
    .bind(failed_setup_id)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Opens again the setup a restore that died was restoring into
/// `customer_id` (its Idempotency-Key's taker undid that customer); `false`
/// when no setup is restoring into it.
#[tracing::instrument(name = "db account.failed_setup.release_restoring", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn release_restoring(db: &Db, customer_id: &str) -> Result<bool, Error> {
    let done = sqlx::query(
        "update failed_setup set status = 'open', customer_id = '', updated_at = $2 \
         where customer_id = $1 and status = 'restoring'",
    )
    .bind(customer_id)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes a claimed setup whose restore created `customer_id`.
#[tracing::instrument(name = "db account.failed_setup.mark_restored", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn mark_restored(
    db: &Db,
    failed_setup_id: &str,
    customer_id: &str,
) -> Result<bool, Error> {
    let now = platform::id::now_rfc3339();
    let done = sqlx::query(
        "update failed_setup set status = 'restored', customer_id = $2, restored_at = $3, updated_at = $3 \
         where failed_setup_id = $1 and status = 'restoring'",
    )
    .bind(failed_setup_id)
    .bind(customer_id)
    .bind(&now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the processor said when it refused a restore again.
pub struct RefusedAgain<'a> {
    pub request: &'a str,
    pub reason: &'a str,
    pub code: &'a str,
    pub message: &'a str,
    pub brand: &'a str,
    pub last4: &'a str,
}

/// Records a second refusal on the setup being restored and opens it again:
/// one failed setup per intended customer, however often its card is refused.
#[tracing::instrument(name = "db account.failed_setup.refused_again", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn refused_again(
    db: &Db,
    failed_setup_id: &str,
    r: &RefusedAgain<'_>,
) -> Result<(), Error> {
    sqlx::query(
        "update failed_setup set request = $2, reason = $3, code = $4, message = $5, brand = $6, last4 = $7, \
         status = 'open', customer_id = '', updated_at = $8 \
         where failed_setup_id = $1 and status = 'restoring'",
    )
    .bind(failed_setup_id)
    .bind(r.request)
    .bind(r.reason)
    .bind(r.code)
    .bind(r.message)
    .bind(r.brand)
    .bind(r.last4)
    .bind(platform::id::now_rfc3339())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Setups left `restoring` since before `before` (RFC 3339): restores a
/// crash interrupted.
#[tracing::instrument(name = "db account.failed_setup.stuck", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn stuck(db: &Db, before: &str) -> Result<Vec<FailedSetupRow>, Error> {
    let rows = sqlx::query(concat!(
        "select ",
        columns!(),
        " from failed_setup where status = 'restoring' and updated_at < $1 limit 100"
    ))
    .bind(before)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> (Db, platform::testing::Scratch) {
        let dir = platform::testing::Scratch::new();
        let db = Db::open(&dir.sqlite(), "account", crate::MIGRATIONS)
            .await
            .expect("db");
        (db, dir)
    }

    async fn insert_under(db: &Db, parent_path: &str, account_name: &str) -> FailedSetupRow {
        let f = FailedSetupRow {
            failed_setup_id: platform::id::new_id(),
            parent_id: "p".repeat(32),
            parent_path: parent_path.into(),
            account_name: account_name.into(),
            plan_name: "starter".into(),
            request: String::new(),
            reason: "blacklisted".into(),
            code: "BL".into(),
            message: "Card is blacklisted".into(),
            brand: "VISA".into(),
            last4: "0019".into(),
            status: String::new(),
            customer_id: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
            restored_at: String::new(),
        };
        insert(db, &f).await.expect("insert");
        f
    }

    fn names(rows: &[FailedSetupRow]) -> Vec<&str> {
        rows.iter().map(|r| r.account_name.as_str()).collect()
    }

    #[tokio::test]
    async fn a_setup_is_stored_open_and_listed_within_its_subtree_newest_first() {
        let (db, _dir) = db().await;
        insert_under(&db, "/r/a/", "first").await;
        insert_under(&db, "/r/b/", "elsewhere").await;
        let last = insert_under(&db, "/r/a/x/", "second").await;

        let rows = list(&db, "/r/a/", "", 0, 10).await.expect("list");
        let total = count(&db, "/r/a/").await.expect("count");
        assert_eq!((names(&rows), total), (vec!["second", "first"], 2));
        let stored = &rows[0];
        assert_eq!(stored.failed_setup_id, last.failed_setup_id);
        assert_eq!(
            (stored.status.as_str(), stored.customer_id.as_str()),
            ("open", "")
        );
        assert!(!stored.created_at.is_empty() && stored.restored_at.is_empty());

        let page = list(&db, "/", "", 1, 1).await.expect("all");
        let total = count(&db, "/").await.expect("count all");
        assert_eq!((names(&page), total), (vec!["elsewhere"], 3));
        let none = list(&db, "/r/c/", "", 0, 10).await.expect("none");
        assert!(none.is_empty() && count(&db, "/r/c/").await.expect("count none") == 0);
    }

    #[tokio::test]
    async fn a_setup_is_claimed_once_until_released() {
        let (db, _dir) = db().await;
        let f = insert_under(&db, "/r/a/", "acme").await;
        let id = f.failed_setup_id.as_str();

        assert!(claim(&db, id, "c1").await.expect("claim"));
        assert!(!claim(&db, id, "c2").await.expect("second claim"));
        let claimed = find(&db, id).await.expect("find").expect("row");
        assert_eq!(
            (claimed.status.as_str(), claimed.customer_id.as_str()),
            ("restoring", "c1")
        );

        assert!(release(&db, id).await.expect("release"));
        assert!(!release(&db, id).await.expect("second release"));
        assert!(claim(&db, id, "c3").await.expect("claim again"));
        assert!(mark_restored(&db, id, "c3").await.expect("restored"));
        assert!(!claim(&db, id, "c4").await.expect("claim a restored setup"));
        let restored = find(&db, id).await.expect("find").expect("row");
        assert_eq!(
            (restored.status.as_str(), restored.customer_id.as_str()),
            ("restored", "c3")
        );
        assert!(!restored.restored_at.is_empty());
    }

    #[tokio::test]
    async fn a_second_refusal_updates_the_setup_and_opens_it_again() {
        let (db, _dir) = db().await;
        let f = insert_under(&db, "/r/a/", "acme").await;
        let id = f.failed_setup_id.as_str();
        assert!(claim(&db, id, "c1").await.expect("claim"));
        let again = RefusedAgain {
            request: "",
            reason: "fraud_suspected",
            code: "FR",
            message: "Suspected fraud",
            brand: "MC",
            last4: "4954",
        };
        refused_again(&db, id, &again).await.expect("refused again");
        let row = find(&db, id).await.expect("find").expect("row");
        assert_eq!(
            (
                row.status.as_str(),
                row.reason.as_str(),
                row.code.as_str(),
                row.brand.as_str(),
                row.last4.as_str()
            ),
            ("open", "fraud_suspected", "FR", "MC", "4954")
        );
        assert_eq!(row.customer_id, "");
        assert_eq!(count(&db, "/").await.expect("count"), 1);
    }
}
