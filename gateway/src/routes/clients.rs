//! `/clients`: API clients of contacts, from auth-svc. Owners
//! (`clients:manage-all`) manage every client of their partner's subtree;
//! `clients:manage-own` holders only their own. auth-svc applies the rule;
//! the gateway checks that the token has one of the two at all.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proto::auth::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery, paging};
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, delete_client))
        .routes(routes!(rotate_secret))
}

const MANAGE: &[&str] = &["clients:manage-own", "clients:manage-all"];

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Client {
    #[serde(rename = "clientID")]
    pub client_id: String,
    #[serde(rename = "contactID")]
    pub contact_id: String,
    #[serde(rename = "customerID")]
    pub customer_id: String,
    pub name: String,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// When the client last got a token; null if never.
    #[serde(rename = "lastUsedAt")]
    pub last_used_at: Option<String>,
    /// After a rotation: until when the previous secret still works.
    #[serde(
        rename = "previousSecretExpiresAt",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub previous_secret_expires_at: Option<String>,
}

impl From<pb::Client> for Client {
    fn from(c: pb::Client) -> Self {
        let some = |s: String| Some(s).filter(|s| !s.is_empty());
        Self {
            client_id: c.client_id,
            contact_id: c.contact_id,
            customer_id: c.customer_id,
            name: c.name,
            created_at: c.created_at,
            last_used_at: some(c.last_used_at),
            previous_secret_expires_at: some(c.previous_secret_expires_at),
        }
    }
}

/// A client with its secret: only in the answer that made the secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientWithSecret {
    #[serde(flatten)]
    pub client: Client,
    /// Shown once; the platform keeps only an HMAC of it.
    #[serde(rename = "clientSecret")]
    pub client_secret: String,
}

fn with_secret(answer: pb::CreateClientResponse) -> ClientWithSecret {
    ClientWithSecret {
        client: answer.client.unwrap_or_default().into(),
        client_secret: answer.client_secret,
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientPage {
    /// Items on this page.
    pub count: i64,
    /// The clients the caller may manage, on every page.
    pub total: i64,
    pub items: Vec<Client>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(
        rename = "nextCursor",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub next_cursor: Option<String>,
}

/// Clients in id (creation) order: `skip`/`take` as the reference pages
/// lists, or `after` the previous page's `nextCursor` (keyset), whose cost
/// does not grow with depth; `skip` then counts past the cursor.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Items to skip (default 0); deeper than 10000, walk with `after`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000)]
    pub skip: Option<String>,
    /// Items per page: 1..=1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub take: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<String>)]
    pub after: Option<String>,
}

/// The clients the caller may manage.
#[utoipa::path(get, path = "/clients", tag = "clients", params(ClientQuery),
    responses(
        (status = 200, description = "A page of clients", body = ClientPage),
        (status = 400, description = "Bad paging or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks clients:manage-own and clients:manage-all", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-own"])))]
pub async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> Result<Json<ClientPage>, Problem> {
    caller.require_any(MANAGE)?;
    let (skip, take) = paging(q.skip.as_deref(), q.take.as_deref())?;
    // The cursor is a client id, which bootstrap may have chosen in a shape
    // of its own: auth-svc, which knows the shapes, refuses a bad one.
    let page = state
        .auth
        .clone()
        .list_clients(caller.ctx.request(pb::ListClientsRequest {
            skip,
            take,
            after: q.after.unwrap_or_default(),
            ..Default::default()
        }))
        .await?
        .into_inner();
    let items: Vec<Client> = page.clients.into_iter().map(Client::from).collect();
    Ok(Json(ClientPage {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: Some(page.next_cursor).filter(|c| !c.is_empty()),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientCreate {
    /// The contact that will own the client: the caller itself, or (for
    /// owners) any contact of its subtree with role AG_PRIVATELABELOWNERS or
    /// AG_PRIVATELABELPUBLICAPI whose partner has approved API access.
    #[serde(rename = "contactID", default)]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub contact_id: String,
    /// 1..=100 characters.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
}

/// Create an API client for a contact; the answer holds its secret, once.
#[utoipa::path(post, path = "/clients", tag = "clients", request_body = ClientCreate,
    responses(
        (status = 201, description = "Created; `clientSecret` is shown only here", body = ClientWithSecret),
        (status = 400, description = "Bad input", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing permission, another contact without clients:manage-all, or API access not approved", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The contact may not hold API clients", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-own"])))]
pub async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ClientCreate>,
) -> Result<Response, Problem> {
    caller.require_any(MANAGE)?;
    let created = state
        .auth
        .clone()
        .create_client(caller.ctx.request(pb::CreateClientRequest {
            contact_id: body.contact_id,
            customer_id: String::new(),
            name: body.name,
            client_id: String::new(),
            client_secret: String::new(),
        }))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(with_secret(created))).into_response())
}

/// One client.
#[utoipa::path(get, path = "/clients/{clientID}", tag = "clients",
    params(("clientID" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client", body = Client),
        (status = 403, description = "The token lacks clients:manage-own and clients:manage-all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client the caller may manage", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-own"])))]
pub async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(client_id): Path<String>,
) -> Result<Json<Client>, Problem> {
    caller.require_any(MANAGE)?;
    let c = state
        .auth
        .clone()
        .get_client(caller.ctx.request(pb::GetClientRequest { client_id }))
        .await?
        .into_inner();
    Ok(Json(c.into()))
}

/// Delete a client; its tokens stop working at once.
#[utoipa::path(delete, path = "/clients/{clientID}", tag = "clients",
    params(("clientID" = String, Path, description = "The client's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token lacks clients:manage-own and clients:manage-all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client the caller may manage", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-own"])))]
pub async fn delete_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(client_id): Path<String>,
) -> Result<StatusCode, Problem> {
    caller.require_any(MANAGE)?;
    state
        .auth
        .clone()
        .delete_client(caller.ctx.request(pb::DeleteClientRequest { client_id }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct Rotation {
    /// How long the previous secret keeps working, 0..=604800 seconds
    /// (default 3600), so running integrations can switch without a gap.
    #[serde(
        rename = "gracePeriodSeconds",
        default,
        deserialize_with = "crate::extract::opt_integer"
    )]
    #[schema(minimum = 0, maximum = 604800)]
    pub grace_period_seconds: Option<i64>,
}

/// Rotate a client's secret: a new secret now; the old one works for the
/// grace period, then stops.
#[utoipa::path(post, path = "/clients/{clientID}/secret", tag = "clients",
    params(("clientID" = String, Path, description = "The client's id")),
    request_body = Rotation,
    responses(
        (status = 200, description = "The new secret, shown only here", body = ClientWithSecret),
        (status = 400, description = "Bad grace period", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks clients:manage-own and clients:manage-all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client the caller may manage", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-own"])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(client_id): Path<String>,
    ApiJson(body): ApiJson<Rotation>,
) -> Result<Json<ClientWithSecret>, Problem> {
    caller.require_any(MANAGE)?;
    let rotated = state
        .auth
        .clone()
        .rotate_secret(caller.ctx.request(pb::RotateSecretRequest {
            client_id,
            grace_period_seconds: body.grace_period_seconds.unwrap_or(3600),
        }))
        .await?
        .into_inner();
    Ok(Json(with_secret(rotated)))
}
