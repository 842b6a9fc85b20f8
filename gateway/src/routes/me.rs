//! `/me`: who the token acts for.

use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    // Who the token acts for needs no account data: it answers while
    // account-svc is down.
    OpenApiRouter::new()
        .routes(routes!(me))
        .route_layer(axum::Extension(crate::auth::WithoutAccountData))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(rename = "clientID")]
    pub client_id: String,
    #[serde(rename = "contactID")]
    pub contact_id: String,
    /// The home partner: the token acts on it and its descendants.
    #[serde(rename = "customerID")]
    pub customer_id: String,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
}

/// The principal of the token.
#[utoipa::path(get, path = "/me", tag = "me",
    responses(
        (status = 200, description = "Who the token acts for", body = Me),
        (status = 403, description = "The token is used from a network its partner does not allow", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn me(caller: Caller) -> Json<Me> {
    let p = caller.principal;
    Json(Me {
        client_id: p.client_id,
        contact_id: p.contact_id,
        customer_id: p.customer_id,
        roles: p.roles,
        scopes: p.scopes,
    })
}
