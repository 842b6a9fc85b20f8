//! `/plans`: the plan catalogue, from account-svc.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use proto::account::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_plans))
}

/// A list price in minor units of an ISO 4217 currency. `item` is `monthly`
/// for the plan's fee per calendar month, or a usage meter (`users`,
/// `api_calls`) whose `per` units cost `amount`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Price {
    pub item: String,
    pub amount: i64,
    pub currency: String,
    pub per: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub name: String,
    #[serde(rename = "prettyName")]
    pub pretty_name: String,
    /// `partner` or `account`.
    pub kind: String,
    /// Named limits and their defaults, e.g. `Iam_usersMax`.
    pub limits: BTreeMap<String, i64>,
    pub prices: Vec<Price>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanPage {
    pub count: i64,
    pub total: i64,
    pub items: Vec<Plan>,
}

/// The whole plan catalogue.
#[utoipa::path(get, path = "/plans", tag = "plans",
    responses(
        (status = 200, description = "Every plan", body = PlanPage),
        (status = 403, description = "The token is used from a network its partner does not allow", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_plans(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PlanPage>, Problem> {
    let plans = state
        .account
        .clone()
        .list_plans(caller.ctx.request(pb::ListPlansRequest {}))
        .await?
        .into_inner()
        .plans;
    let items: Vec<Plan> = plans
        .into_iter()
        .map(|p| Plan {
            name: p.name,
            pretty_name: p.pretty_name,
            kind: p.kind,
            limits: p.limits.into_iter().collect(),
            prices: p
                .prices
                .into_iter()
                .map(|x| Price {
                    item: x.item,
                    amount: x.amount,
                    currency: x.currency,
                    per: x.per.max(1),
                })
                .collect(),
        })
        .collect();
    Ok(Json(PlanPage {
        count: items.len() as i64,
        total: items.len() as i64,
        items,
    }))
}
