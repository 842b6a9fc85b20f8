//! Probes: live while the process serves; ready only while every service
//! answers its gRPC health check with SERVING.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `live`, `ready` or `unready`.
    pub status: String,
    /// Each service's gRPC health status (readiness only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, String>,
}

/// Liveness: the process serves HTTP.
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, description = "Live", body = Health)))]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "live".into(),
        services: BTreeMap::new(),
    })
}

/// Readiness: every service answers its health check with SERVING.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses((status = 200, description = "Ready", body = Health), (status = 503, description = "A service is not serving", body = Health)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let checks = state.health.iter().map(|(name, channel)| {
        let mut client = HealthClient::new(channel.clone());
        let name: &'static str = name;
        async move {
            // The channel balances over a service's pods, and one pod
            // draining during a rollout answers NOT_SERVING at once while
            // its siblings serve: a service counts as serving when any of up
            // to three answers says so, all within one 2.5 s budget (the
            // kubelet's probe waits 3 s). Unreachable is final: asking a
            // dead peer again would only add its timeout. The budget also
            // bounds a balanced channel with no endpoint, which would
            // otherwise hold the check.
            let budget = tokio::time::Instant::now() + Duration::from_millis(2500);
            let mut status = "unreachable";
            for _ in 0..3 {
                let mut req = tonic::Request::new(HealthCheckRequest {
                    service: name.to_owned(),
                });
                req.set_timeout(Duration::from_secs(2));
                status = match tokio::time::timeout_at(budget, client.check(req)).await {
                    Ok(Ok(r)) if r.get_ref().status == ServingStatus::Serving as i32 => "serving",
                    Ok(Ok(_)) => "not_serving",
                    Ok(Err(_)) => "unreachable",
                    // Out of time: what the earlier answers said stands.
                    Err(_) if status == "not_serving" => break,
                    Err(_) => "unreachable",
                };
                if status != "not_serving" {
                    break;
                }
            }
            (name.to_owned(), status.to_owned())
        }
    });
    let mut services: BTreeMap<String, String> = futures_join(checks).await.into_iter().collect();
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        services.insert("gateway".into(), "draining".into());
    }
    let all = services.values().all(|s| s == "serving");
    let code = if all {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(Health {
            status: if all { "ready" } else { "unready" }.into(),
            services,
        }),
    )
}

/// Runs the checks at once, so one slow service does not add to the others.
async fn futures_join<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<T> {
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}
