//! `/roles`: the role catalogue and what each role permits, from contact-svc.

use axum::Json;
use axum::extract::State;
use proto::contact::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    // The role catalogue is contact-svc's: it answers while account-svc is down.
    OpenApiRouter::new()
        .routes(routes!(list_roles))
        .route_layer(axum::Extension(crate::auth::WithoutAccountData))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Role {
    /// The reference's role name, e.g. `AG_PRIVATELABELOWNERS`.
    pub name: String,
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// `partner` (held on partners) or `account` (held on accounts).
    pub kind: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RolePage {
    pub count: i64,
    pub total: i64,
    pub items: Vec<Role>,
    /// Every permission there is; a token's `scope` is a subset.
    pub permissions: Vec<String>,
}

/// Every role, its display name and its permissions.
#[utoipa::path(get, path = "/roles", tag = "roles",
    responses(
        (status = 200, description = "The role catalogue", body = RolePage),
        (status = 403, description = "The token is used from a network its partner does not allow", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_roles(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RolePage>, Problem> {
    let answer = state
        .contact
        .clone()
        .list_roles(caller.ctx.request(pb::ListRolesRequest {}))
        .await?
        .into_inner();
    let items: Vec<Role> = answer
        .roles
        .into_iter()
        .map(|r| Role {
            name: r.name,
            display_name: r.display_name,
            kind: r.kind,
            permissions: r.permissions,
        })
        .collect();
    Ok(Json(RolePage {
        count: items.len() as i64,
        total: items.len() as i64,
        items,
        permissions: answer.permissions,
    }))
}
