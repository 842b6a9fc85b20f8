//! What a deep page costs: `skip` (offset) against `after` (keyset), and the
//! `count(*)` behind a list's `total`, measured on the store function the
//! ListCustomers RPC runs. Not a test: numbers for the README's "Paging".
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo run --release -p account-svc --example paging_bench
//! ```
//!
//! It opens a schema of its own (a unique prefix, dropped at the end),
//! seeds 110,000 accounts below one root in one statement, and times each
//! query `RUNS` times after a warm-up, printing the medians.

use std::time::{Duration, Instant};

use account_svc::store::customer::{self, ListFilter, Page};
use platform::config::{Storage, var};
use platform::db::{Backend, Db};
use sqlx::{AssertSqlSafe, Row as _};

const ACCOUNTS: i64 = 110_000;
const DEPTHS: [i64; 3] = [0, 10_000, 100_000];
/// One more than a page of 100, as the RPC asks for.
const TAKE: i64 = 101;
const RUNS: usize = 20;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = var("DATABASE_URL")
        .filter(|u| u.starts_with("postgres"))
        .ok_or_else(|| anyhow::anyhow!("set DATABASE_URL=postgres://…"))?;
    // A prefix of lowercase hex: a fresh schema no one else uses.
    let prefix = format!("bench{}_", &platform::id::new_id()[20..]);
    let storage = Storage {
        data_dir: std::env::temp_dir(),
        database_url: Some(url),
        schema_prefix: prefix.clone(),
        redis_url: None,
    };
    let db = Db::open(&storage, "account", account_svc::MIGRATIONS).await?;
    anyhow::ensure!(db.backend == Backend::Postgres);
    let result = run(&db).await;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "drop schema {prefix}account cascade"
    )))
    .execute(&db.pool)
    .await?;
    result
}

async fn run(db: &Db) -> anyhow::Result<()> {
    let root = "0".repeat(32);
    let root_path = format!("/{root}/");
    let started = Instant::now();
    seed(db, &root, &root_path).await?;
    println!(
        "seeded {ACCOUNTS} accounts in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );

    // The root's own view: every account below it.
    let filter = ListFilter {
        within: &root_path,
        exclude: &root,
        parent_id: "",
        user_name_key: "",
        plan_name: "",
    };
    println!("| depth | skip (offset) | after (keyset) | rows |");
    println!("|---:|---:|---:|---:|");
    for depth in DEPTHS {
        // The cursor a walk would hold at this depth: the id of the row
        // just before it (none at the start).
        let cursor = if depth == 0 {
            String::new()
        } else {
            sqlx::query(
                "select customer_id from customer where customer_id <> $1 \
                 order by customer_id limit 1 offset $2",
            )
            .bind(&root)
            .bind(depth - 1)
            .fetch_one(&db.pool)
            .await?
            .try_get("customer_id")?
        };
        let by_skip = Page {
            after: "",
            skip: depth,
            take: TAKE,
        };
        let by_after = Page {
            after: &cursor,
            skip: 0,
            take: TAKE,
        };
        let (skip_time, skip_rows) = median(|| customer::list(db, &filter, by_skip)).await?;
        let (after_time, after_rows) = median(|| customer::list(db, &filter, by_after)).await?;
        anyhow::ensure!(skip_rows == after_rows, "both ways read the same page");
        println!(
            "| {depth} | {} | {} | {skip_rows} |",
            ms(skip_time),
            ms(after_time)
        );
    }
    let (count_time, n) = median_count(|| customer::count(db, &filter)).await?;
    println!("\ncount(*) behind `total` ({n} rows): {}", ms(count_time));
    Ok(())
}

/// One statement: the root, then `ACCOUNTS` active accounts below it with
/// ids in creation order (as UUIDv7 ids are) and the columns a create
/// writes.
async fn seed(db: &Db, root: &str, root_path: &str) -> anyhow::Result<()> {
    let now = platform::id::now_rfc3339();
    sqlx::query(
        "insert into customer (customer_id, kind, partner_program, user_name, user_name_key, parent_id, path, \
         plan_name, programs, status, state, company_name, company_phone, address_line1, address_line2, \
         address_line3, city, address_state, zip, country, options, owner_contact_id, created_at, updated_at) \
         select id, kind, program, name, name, parent, path, plan, 'Email', 'active', 'enabled', \
                'Bench Inc', '', '1 Main Street', '', '', 'Springfield', 'IL', '62701', 'US', '{}', \
                lpad(to_hex(n + 1000000), 32, 'c'), $3, $3 \
         from (select $1 as id, 'partner' as kind, 'distributor' as program, 'root' as name, \
                      null as parent, $2 as path, 'distributor' as plan, 0 as n \
               union all \
               select lpad(to_hex(n), 32, '0'), 'account', '', 'bench' || n, $1, \
                      $2 || lpad(to_hex(n), 32, '0') || '/', 'starter', n \
               from generate_series(1, $4) as n) as rows",
    )
    .bind(root)
    .bind(root_path)
    .bind(&now)
    .bind(ACCOUNTS)
    .execute(&db.pool)
    .await?;
    sqlx::query("analyze customer").execute(&db.pool).await?;
    Ok(())
}

/// The median of `RUNS` timed runs (after one untimed), and the rows read.
async fn median<F, Fut, T>(mut f: F) -> anyhow::Result<(Duration, usize)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<T>, account_svc::error::Error>>,
{
    let rows = f().await?.len();
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[RUNS / 2], rows))
}

async fn median_count<F, Fut>(mut f: F) -> anyhow::Result<(Duration, i64)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<i64, account_svc::error::Error>>,
{
    let n = f().await?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[RUNS / 2], n))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
