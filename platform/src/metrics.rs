//! Prometheus metrics: one recorder per process (the `metrics` facade), shown
//! as text on `/metrics` by the gateway and, when `METRICS_ADDR` is set, on a
//! port of its own in every component.
//!
//! Series every component shares (names follow Prometheus conventions; no
//! label carries a customer id or any other unbounded value):
//! - `grpc_server_requests_total{service,method,code}` and
//!   `grpc_server_request_duration_seconds{service,method}` ([`crate::grpc`]);
//! - `cache_requests_total{cache,result}` and `cache_redis_fallback`,
//!   `cache_redis_fallbacks_total` ([`crate::cache`]);
//! - `db_pool_connections{schema,state}` and `db_pool_max_connections{schema}`,
//!   sampled at each scrape.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sqlx::AnyPool;
use tokio::net::TcpListener;

/// Latency buckets in seconds: 1 ms to 30 s (the longest request
/// deadline), dense where API calls land.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls are no-ops). Until it
/// runs, recorded values go nowhere.
pub fn install() {
    handle();
}

fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match handle {
                Ok(handle) => {
                    // Histogram samples wait in buffers until upkeep folds them
                    // into buckets; without a scraper they would only grow.
                    let upkeep = handle.clone();
                    let _ = std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(Duration::from_secs(5));
                                upkeep.run_upkeep();
                            }
                        });
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// Pools sampled at each scrape, by schema name (`account`, `contact`, …).
/// A pool opened again under the same name (a restarted service, the next
/// test) replaces the earlier one, so the label set stays bounded.
fn pools() -> &'static Mutex<HashMap<String, AnyPool>> {
    static POOLS: OnceLock<Mutex<HashMap<String, AnyPool>>> = OnceLock::new();
    POOLS.get_or_init(Default::default)
}

pub(crate) fn watch_pool(schema: &str, pool: AnyPool) {
    pools()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(schema.to_owned(), pool);
}

/// The Prometheus text exposition of everything recorded in this process.
pub fn render() -> String {
    let Some(handle) = handle() else {
        return String::new();
    };
    for (schema, pool) in pools()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        let size = f64::from(pool.size());
        let idle = pool.num_idle() as f64;
        let schema = schema.clone();
        metrics::gauge!("db_pool_connections", "schema" => schema.clone(), "state" => "idle")
            .set(idle);
        metrics::gauge!("db_pool_connections", "schema" => schema.clone(), "state" => "used")
            .set((size - idle).max(0.0));
        metrics::gauge!("db_pool_max_connections", "schema" => schema)
            .set(f64::from(pool.options().get_max_connections()));
    }
    handle.run_upkeep();
    handle.render()
}

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves `GET /metrics` on `listener` until `shutdown`, answering with
/// what `text` renders ([`render`], or a component's own series before it).
pub async fn serve<R>(
    listener: TcpListener,
    text: R,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()>
where
    R: Fn() -> String + Clone + Send + Sync + 'static,
{
    install();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let text = text.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], text()) }
        }),
    );
    tracing::info!(addr = %listener.local_addr()?, "metrics listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Binds `METRICS_ADDR` (e.g. `0.0.0.0:9090`) and serves [`serve`] there in
/// the background; nothing when it is unset.
pub async fn serve_from_env<R>(
    text: R,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()>
where
    R: Fn() -> String + Clone + Send + Sync + 'static,
{
    install();
    if let Some(addr) = crate::config::var("METRICS_ADDR") {
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|e| anyhow::anyhow!("METRICS_ADDR {addr}: {e}"))?;
        tokio::spawn(async move {
            if let Err(e) = serve(listener, text, shutdown).await {
                tracing::error!(error = %e, "metrics server stopped");
            }
        });
    }
    Ok(())
}
