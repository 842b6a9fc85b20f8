//! The REST surface, one module per resource, merged here. The API routes
//! are served under `/v1/api` and `/v2/api` (v2 is v1 plus additions).

pub mod accounts;
pub mod accounts_v2;
pub mod billing;
pub mod clients;
pub mod company;
pub mod contacts;
pub mod failed_setups;
pub mod health;
pub mod lifecycle;
pub mod limits;
pub mod me;
pub mod oauth;
pub mod partners;
pub mod plans;
pub mod roles;
pub mod wire;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, openapi, problem};

/// The resources both API versions serve alike.
fn shared() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(lifecycle::router())
        .merge(plans::router())
        .merge(me::router())
        .merge(roles::router())
        .merge(clients::router())
        .merge(partners::router())
        .merge(billing::router())
        .merge(limits::router())
}

/// v1: the reference's v1 models.
fn api_v1() -> OpenApiRouter<AppState> {
    shared()
        .merge(accounts::router())
        .merge(company::router_v1())
        .merge(contacts::router_v1())
}

/// v2: v1 plus the European address, culture, VAT, address validation and
/// failed setups; v1's paths answer here too, in v2's models.
fn api_v2() -> OpenApiRouter<AppState> {
    shared()
        .merge(accounts_v2::router())
        .merge(company::router_v2())
        .merge(failed_setups::router())
        .merge(contacts::router_v2())
}

pub fn router(state: AppState) -> Router {
    let (common, common_doc) = OpenApiRouter::new()
        .merge(oauth::router())
        .merge(health::router())
        .split_for_parts();
    let (v1, v1_doc) = OpenApiRouter::new()
        .nest("/v1/api", api_v1())
        .split_for_parts();
    let (v2, v2_doc) = OpenApiRouter::new()
        .nest("/v2/api", api_v2())
        .split_for_parts();
    let v1_doc = openapi::document("v1", [common_doc.clone(), v1_doc]);
    let v2_doc = openapi::document("v2", [common_doc, v2_doc]);
    Router::new()
        .merge(common)
        .merge(v1)
        .merge(v2)
        .merge(openapi::swagger(v1_doc, v2_doc))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .with_state(state)
}
