//! Safe retries of creates (`Idempotency-Key`). The gateway sends the
//! client's key and a hash of the request as metadata; the service that owns
//! what a request creates keeps the key, the hash and its answer in its own
//! table, writing the answer in the same transaction as the thing created,
//! so exactly one exists whatever crashes where:
//!
//! 1. [`claim`] before any work: a fresh key is claimed (a `running` row);
//!    a finished one with the same hash is replayed; another hash is
//!    `IDEMPOTENCY_KEY_REUSED` (the gateway answers 422); a claim still
//!    running is `IDEMPOTENCY_KEY_IN_USE` (409), unless it is older than
//!    [`STALE_AFTER`], when its owner died and the claim is taken over.
//! 2. [`complete`] inside the create's own transaction: the answer is kept.
//! 3. [`release`] when the create fails: the key is free for a retry.
//!
//! Keys are scoped to the API client (the principal's client id) and kept
//! at least [`KEEP`]. Each owning service creates the table with
//! [`TABLE_SQL`] in a migration of its own.

use std::collections::HashMap;
use std::time::Duration;

use prost::Message;
use sqlx::{Any, Row as _, Transaction};
use tonic::metadata::AsciiMetadataValue;
use tonic::{Code, Request, Response, Status};

use crate::db::Db;

/// The client's key, as the gateway forwards it.
pub const KEY_HEADER: &str = "x-idempotency-key";
/// The API client the key belongs to (the gateway makes some creates as
/// itself, without the principal).
pub const CLIENT_HEADER: &str = "x-idempotency-client";
/// SHA-256 (hex) of what the request asks, so a reused key is recognised.
pub const HASH_HEADER: &str = "x-idempotency-hash";
/// Set on an answer that replays the first one.
pub const REPLAYED_HEADER: &str = "x-idempotent-replayed";

/// How long a finished key is kept before it may be purged.
pub const KEEP: Duration = Duration::from_secs(48 * 3600);
/// A claim still `running` after this long lost its owner (a crash; the
/// gateway's deadline is far shorter) and is taken over.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

/// The table each owning service keeps its keys in.
pub const TABLE_SQL: &str = "create table idempotency_key (
    client_id text not null,
    idem_key text not null,
    request_hash text not null,
    state text not null,
    resource_id text not null,
    response text not null,
    created_at text not null,
    updated_at text not null,
    primary key (client_id, idem_key)
);
create index idempotency_key_created on idempotency_key (created_at)";

/// A create's key: whose, which, and the hash of what it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub client_id: String,
    pub key: String,
    pub hash: String,
}

impl Key {
    /// The key a request carries, if any, scoped to the client the gateway
    /// names, else to the principal's, else (an internal caller's own key)
    /// to the empty client id.
    pub fn from_request<T>(req: &Request<T>) -> Option<Self> {
        let md = req.metadata();
        let text = |name: &str| {
            md.get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let key = text(KEY_HEADER).filter(|k| !k.is_empty())?;
        let hash = text(HASH_HEADER).unwrap_or_default();
        let client_id = text(CLIENT_HEADER)
            .filter(|c| !c.is_empty())
            .or_else(|| {
                crate::context::CallContext::from_request(req)
                    .ok()
                    .and_then(|c| c.principal)
                    .map(|p| p.client_id)
            })
            .unwrap_or_default();
        Some(Self {
            client_id,
            key,
            hash,
        })
    }

    /// Puts the key on an outgoing request (the gateway's side).
    pub fn attach<T>(&self, req: &mut Request<T>) {
        for (name, value) in [
            (KEY_HEADER, &self.key),
            (HASH_HEADER, &self.hash),
            (CLIENT_HEADER, &self.client_id),
        ] {
            if value.is_empty() {
                continue;
            }
            if let Ok(v) = AsciiMetadataValue::try_from(value.as_str()) {
                req.metadata_mut().insert(name, v);
            }
        }
    }
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim<M> {
    /// The key is this request's now: do the work, then [`complete`].
    /// `previous` is the resource a dead earlier claim was creating, if it
    /// recorded one: finish or undo it before creating anew.
    Fresh { previous: Option<String> },
    /// The same request finished before: answer this again.
    Replay(M),
}

/// How long a request waits for an earlier one under its key to finish
/// (then it replays that one's answer) before answering
/// `IDEMPOTENCY_KEY_IN_USE`: a client's retry racing its own timed-out first
/// try gets the first answer, not an error.
pub const WAIT_FOR_RUNNING: Duration = Duration::from_secs(5);

/// Claims `key`, or answers what was kept for it, waiting up to
/// [`WAIT_FOR_RUNNING`] for a request still running under it. Errors are the
/// statuses to answer: another request under the key
/// (`IDEMPOTENCY_KEY_REUSED`, FAILED_PRECONDITION → 422 at the gateway) or
/// one still running (`IDEMPOTENCY_KEY_IN_USE`, ABORTED → 409).
pub async fn claim<M: Message + Default>(db: &Db, key: &Key) -> Result<Claim<M>, Status> {
    let until = tokio::time::Instant::now() + WAIT_FOR_RUNNING;
    loop {
        match try_claim(db, key).await {
            Err(s) if s.code() == Code::Aborted && tokio::time::Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

async fn try_claim<M: Message + Default>(db: &Db, key: &Key) -> Result<Claim<M>, Status> {
    let now = crate::id::now_rfc3339();
    let inserted = sqlx::query(
        "insert into idempotency_key (client_id, idem_key, request_hash, state, resource_id, response, created_at, updated_at) \
         values ($1, $2, $3, 'running', '', '', $4, $4) on conflict (client_id, idem_key) do nothing",
    )
    .bind(&key.client_id)
    .bind(&key.key)
    .bind(&key.hash)
    .bind(&now)
    .execute(&db.pool)
    .await
    .map_err(|e| crate::status::database(&e))?
    .rows_affected();
    if inserted == 1 {
        purge(db).await;
        return Ok(Claim::Fresh { previous: None });
    }
    let row = sqlx::query(
        "select request_hash, state, resource_id, response, updated_at from idempotency_key \
         where client_id = $1 and idem_key = $2",
    )
    .bind(&key.client_id)
    .bind(&key.key)
    .fetch_optional(&db.pool)
    .await
    .map_err(|e| crate::status::database(&e))?;
    let Some(row) = row else {
        // Released between our insert and read: a retry will claim it.
        return Err(in_use());
    };
    let get = |c: &str| row.try_get::<String, _>(c).unwrap_or_default();
    if get("request_hash") != key.hash {
        return Err(reused());
    }
    if get("state") == "done" {
        let bytes = hex::decode(get("response")).unwrap_or_default();
        let message = M::decode(bytes.as_slice()).map_err(|_| {
            Status::internal("the answer kept for this Idempotency-Key does not decode")
        })?;
        return Ok(Claim::Replay(message));
    }
    let updated_at = get("updated_at");
    let stale_before = crate::id::rfc3339(
        time::OffsetDateTime::now_utc() - time::Duration::seconds(STALE_AFTER.as_secs() as i64),
    );
    if updated_at.as_str() >= stale_before.as_str() {
        return Err(in_use());
    }
    // Its owner died mid-way: take the claim over, if no one else just did.
    let taken = sqlx::query(
        "update idempotency_key set updated_at = $3 \
         where client_id = $1 and idem_key = $2 and state = 'running' and updated_at = $4",
    )
    .bind(&key.client_id)
    .bind(&key.key)
    .bind(&now)
    .bind(&updated_at)
    .execute(&db.pool)
    .await
    .map_err(|e| crate::status::database(&e))?
    .rows_affected();
    if taken == 1 {
        let previous = Some(get("resource_id")).filter(|r| !r.is_empty());
        Ok(Claim::Fresh { previous })
    } else {
        Err(in_use())
    }
}

/// Runs a create under its key, for a create that runs in one transaction
/// (which calls [`complete`] before it commits): without a key, just the
/// work; with one, a replay if the request was answered before, else the
/// work, releasing the key when it fails. A dead earlier claim needs no
/// clean-up for such a create: its transaction either committed with its
/// answer (and the claim replays it) or left nothing behind.
pub async fn run<M, E, Fut>(
    db: &Db,
    key: Option<Key>,
    work: impl FnOnce(Option<Key>) -> Fut,
) -> Result<Response<M>, Status>
where
    M: Message + Default,
    E: Into<Status>,
    Fut: std::future::Future<Output = Result<M, E>>,
{
    let Some(key) = key else {
        return work(None).await.map(Response::new).map_err(Into::into);
    };
    match claim::<M>(db, &key).await? {
        Claim::Replay(answer) => return Ok(replayed(answer)),
        Claim::Fresh { previous: _ } => {}
    }
    let result = work(Some(key.clone())).await;
    if result.is_err() {
        release(db, &key).await;
    }
    result.map(Response::new).map_err(Into::into)
}

/// Records which resource the claim is creating, before the work that a
/// crash could interrupt, so a later taker can finish or undo it.
pub async fn note_resource(db: &Db, key: &Key, resource_id: &str) -> Result<(), Status> {
    sqlx::query(
        "update idempotency_key set resource_id = $3, updated_at = $4 where client_id = $1 and idem_key = $2",
    )
    .bind(&key.client_id)
    .bind(&key.key)
    .bind(resource_id)
    .bind(crate::id::now_rfc3339())
    .execute(&db.pool)
    .await
    .map_err(|e| crate::status::database(&e))?;
    Ok(())
}

/// [`complete`] in a transaction of its own: for a request that finished
/// without writing anything under `key` itself (a retry that found what its
/// first attempt made, an answer kept apart from the create), so the key is
/// finished rather than left running.
pub async fn keep<M: Message>(
    db: &crate::db::Db,
    key: &Key,
    answer: &M,
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    complete(&mut tx, key, answer).await?;
    tx.commit().await
}

/// Keeps the answer, inside the transaction that creates what it answers.
pub async fn complete<M: Message>(
    tx: &mut Transaction<'_, Any>,
    key: &Key,
    answer: &M,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update idempotency_key set state = 'done', response = $3, updated_at = $4 \
         where client_id = $1 and idem_key = $2",
    )
    .bind(&key.client_id)
    .bind(&key.key)
    .bind(hex::encode(answer.encode_to_vec()))
    .bind(crate::id::now_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Frees the key after a create that failed, so the client may retry it.
pub async fn release(db: &Db, key: &Key) {
    let r = sqlx::query(
        "delete from idempotency_key where client_id = $1 and idem_key = $2 and state = 'running'",
    )
    .bind(&key.client_id)
    .bind(&key.key)
    .execute(&db.pool)
    .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "releasing an idempotency key failed; it frees itself when stale");
    }
}

/// Drops finished keys older than [`KEEP`]; a claim does it now and then.
async fn purge(db: &Db) {
    if rand_percent() != 0 {
        return;
    }
    let before = crate::id::rfc3339(
        time::OffsetDateTime::now_utc() - time::Duration::seconds(KEEP.as_secs() as i64),
    );
    let _ = sqlx::query("delete from idempotency_key where created_at < $1")
        .bind(before)
        .execute(&db.pool)
        .await;
}

/// 0..100 from the clock's nanoseconds: a cheap "now and then".
fn rand_percent() -> u32 {
    time::OffsetDateTime::now_utc().nanosecond() % 100
}

/// The replayed answer, marked as such for the gateway.
pub fn replayed<M>(message: M) -> Response<M> {
    let mut res = Response::new(message);
    res.metadata_mut()
        .insert(REPLAYED_HEADER, AsciiMetadataValue::from_static("true"));
    res
}

fn reused() -> Status {
    crate::status::with_reason(
        Code::FailedPrecondition,
        "this Idempotency-Key was used with another request",
        proto::reason::IDEMPOTENCY_KEY_REUSED,
        HashMap::new(),
    )
}

fn in_use() -> Status {
    crate::status::with_reason(
        Code::Aborted,
        "a request with this Idempotency-Key is still running; retry later",
        proto::reason::IDEMPOTENCY_KEY_IN_USE,
        HashMap::new(),
    )
}

/// `req` as the gateway forwards it for a request carrying
/// `Idempotency-Key: key` whose body hashes to `hash` (services' tests).
#[cfg(feature = "test-support")]
pub fn keyed<T>(mut req: Request<T>, key: &str, hash: &str) -> Request<T> {
    Key {
        client_id: String::new(),
        key: key.into(),
        hash: hash.into(),
    }
    .attach(&mut req);
    req
}

/// Whether a service's answer is a replay (services' tests).
#[cfg(feature = "test-support")]
pub fn is_replayed<T>(res: &Response<T>) -> bool {
    res.metadata()
        .get(REPLAYED_HEADER)
        .is_some_and(|v| v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::common::v1::Principal;

    async fn db() -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("idem-{}", crate::id::new_id()));
        let storage = crate::testing::sqlite(&dir);
        let db = Db::open(
            &storage,
            "idem",
            &[crate::db::Migration {
                version: 1,
                description: "idempotency_key",
                sql: TABLE_SQL,
            }],
        )
        .await
        .unwrap();
        (db, dir)
    }

    fn key(hash: &str) -> Key {
        Key {
            client_id: "c1".into(),
            key: "k1".into(),
            hash: hash.into(),
        }
    }

    #[tokio::test]
    async fn a_key_is_claimed_once_then_replayed_or_refused() {
        let (db, dir) = db().await;
        let k = key("h1");
        assert!(matches!(
            claim::<Principal>(&db, &k).await.unwrap(),
            Claim::Fresh { previous: None }
        ));
        // Running: a concurrent retry is told to wait.
        let err = try_claim::<Principal>(&db, &k).await.unwrap_err();
        assert_eq!(err.code(), Code::Aborted);
        note_resource(&db, &k, "r1").await.unwrap();
        let answer = Principal {
            client_id: "x".into(),
            ..Default::default()
        };
        let mut tx = db.pool.begin().await.unwrap();
        complete(&mut tx, &k, &answer).await.unwrap();
        tx.commit().await.unwrap();
        match claim::<Principal>(&db, &k).await.unwrap() {
            Claim::Replay(m) => assert_eq!(m, answer),
            other => panic!("expected a replay, got {other:?}"),
        }
        let err = claim::<Principal>(&db, &key("h2")).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_released_key_is_free_and_a_stale_claim_is_taken_over() {
        let (db, dir) = db().await;
        let k = key("h1");
        claim::<Principal>(&db, &k).await.unwrap();
        release(&db, &k).await;
        assert!(matches!(
            claim::<Principal>(&db, &k).await.unwrap(),
            Claim::Fresh { previous: None }
        ));
        note_resource(&db, &k, "r1").await.unwrap();
        // Its owner died long ago.
        sqlx::query("update idempotency_key set updated_at = '2000-01-01T00:00:00.000000Z'")
            .execute(&db.pool)
            .await
            .unwrap();
        match claim::<Principal>(&db, &k).await.unwrap() {
            Claim::Fresh { previous } => assert_eq!(previous.as_deref(), Some("r1")),
            other => panic!("expected a takeover, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
