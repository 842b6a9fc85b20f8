//! `/metrics`: the gateway's Prometheus text exposition: what this gateway
//! counts itself (rate-limit decisions by outcome and by where the budget
//! was kept, whether Redis answers), then the process's recorder
//! ([`platform::metrics`]: HTTP routes, gRPC methods, caches, pools).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;

pub async fn render(state: AppState) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, platform::metrics::CONTENT_TYPE)],
        text(&state),
    )
}

/// This gateway's own series, then the process's recorder: what `/metrics`
/// answers on the API port and on `METRICS_ADDR`.
pub fn text(state: &AppState) -> String {
    let c = &state.limiter.counters;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP gateway_rate_limit_decisions_total API requests the rate limiter decided, by decision and by where the budget was kept.\n\
         # TYPE gateway_rate_limit_decisions_total counter"
    );
    for (decision, store, n) in [
        ("allowed", "redis", &c.allowed_redis),
        ("allowed", "memory", &c.allowed_memory),
        ("refused", "redis", &c.refused_redis),
        ("refused", "memory", &c.refused_memory),
    ] {
        let _ = writeln!(
            out,
            "gateway_rate_limit_decisions_total{{decision=\"{decision}\",store=\"{store}\"}} {}",
            n.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP gateway_redis_fallback 1 while Redis is configured but not answering (caching misses, rate limits per replica).\n\
         # TYPE gateway_redis_fallback gauge\n\
         gateway_redis_fallback {}\n\
         # HELP gateway_redis_fallbacks_total Times Redis stopped answering.\n\
         # TYPE gateway_redis_fallbacks_total counter\n\
         gateway_redis_fallbacks_total {}\n\
         # HELP gateway_redis_configured 1 when the gateway shares state through Redis.\n\
         # TYPE gateway_redis_configured gauge\n\
         gateway_redis_configured {}",
        u8::from(state.cache.redis_fallback()),
        state.cache.redis_fallbacks_total(),
        u8::from(state.cache.is_redis()),
    );
    out.push_str(&platform::metrics::render());
    out
}
