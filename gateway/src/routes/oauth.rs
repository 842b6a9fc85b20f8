//! The OAuth2 endpoints (RFC 6749 §4.4 client credentials, RFC 7009 revoke,
//! RFC 7662 introspect), answered by auth-svc. Their errors are the RFC 6749
//! §5.2 document, not a problem document, because OAuth2 clients parse that.

use std::collections::HashMap;

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine as _;
use proto::auth::v1 as pb;
use proto::common::v1::Principal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(revoke))
        .routes(routes!(introspect))
}

/// RFC 6749 §5.2 error response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, `invalid_scope`, …
    pub error: String,
    pub error_description: String,
}

pub enum OAuthFailure {
    Error(StatusCode, &'static str, String),
    /// Boxed: a problem document dwarfs the RFC 6749 triple.
    Problem(Box<Problem>),
    /// Too many failed authentications: 429 with Retry-After.
    Limited(crate::ratelimit::Decision),
}

impl OAuthFailure {
    fn invalid_request(description: impl Into<String>) -> Self {
        Self::Error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            description.into(),
        )
    }
    fn invalid_client() -> Self {
        Self::Error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed".into(),
        )
    }
}

/// RFC 6749 §5.1/§5.2: token answers must not be cached.
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let (status, error, description) = match self {
            Self::Error(s, e, d) => (s, e, d),
            Self::Problem(p) => return (*p).into_response(),
            Self::Limited(d) => {
                let mut res = d
                    .problem("too many failed client authentications")
                    .into_response();
                d.write_headers(res.headers_mut());
                return res;
            }
        };
        let mut res = (
            status,
            Json(OAuthError {
                error: error.into(),
                error_description: description,
            }),
        )
            .into_response();
        no_store(res.headers_mut());
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6749 §5.2: invalid_client answers 401 with a challenge.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"partner\""),
            );
        }
        res
    }
}

impl From<tonic::Status> for OAuthFailure {
    fn from(s: tonic::Status) -> Self {
        match s.code() {
            tonic::Code::Unauthenticated => Self::invalid_client(),
            tonic::Code::InvalidArgument
                if platform::status::reason(&s)
                    .is_some_and(|(r, _)| r == proto::reason::INVALID_SCOPE) =>
            {
                Self::Error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    s.message().to_owned(),
                )
            }
            tonic::Code::InvalidArgument => Self::invalid_request(s.message().to_owned()),
            _ => Self::Problem(Box::new(Problem::from(s))),
        }
    }
}

/// The form body of the three endpoints.
async fn form(
    req: Request,
    state: &AppState,
) -> Result<(HeaderMap, HashMap<String, String>), OAuthFailure> {
    let headers = req.headers().clone();
    let Form(fields) = Form::<HashMap<String, String>>::from_request(req, state)
        .await
        .map_err(|e| {
            OAuthFailure::invalid_request(format!(
                "the body must be application/x-www-form-urlencoded: {}",
                e.body_text()
            ))
        })?;
    Ok((headers, fields))
}

/// RFC 6749 §2.3.1: the client id and secret are form-encoded before they
/// are joined for HTTP Basic.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The client's credentials from HTTP Basic or the form, never both.
fn client_credentials(
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
) -> Result<(String, String), OAuthFailure> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        });
    let in_form = fields.contains_key("client_id") || fields.contains_key("client_secret");
    match (basic, in_form) {
        (Some(_), true) => Err(OAuthFailure::invalid_request(
            "use one client authentication method, not two",
        )),
        (Some(b64), false) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(OAuthFailure::invalid_client)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(OAuthFailure::invalid_client)?;
            Ok((
                form_decode(id).ok_or_else(OAuthFailure::invalid_client)?,
                form_decode(secret).ok_or_else(OAuthFailure::invalid_client)?,
            ))
        }
        (None, true) => Ok((
            fields.get("client_id").cloned().unwrap_or_default(),
            fields.get("client_secret").cloned().unwrap_or_default(),
        )),
        (None, false) => Err(OAuthFailure::invalid_client()),
    }
}

/// The token endpoint's failure budgets a request draws on: its client id's
/// from its source address, and its source address's across client ids
/// (ids are hashed: a client may send anything). Both are keyed by the
/// address: client ids are not secret, so a budget of the id alone would let
/// anyone lock a partner out; the right secret from an address that has not
/// failed always passes.
fn failure_budgets(
    client_id: &str,
    addr: Option<std::net::IpAddr>,
) -> Vec<(String, crate::ratelimit::Policy)> {
    use sha2::Digest as _;
    let id = hex::encode(&sha2::Sha256::digest(client_id.as_bytes())[..16]);
    let at = addr.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    vec![
        (
            format!("token-fail:client:{id}:{at}"),
            crate::ratelimit::TOKEN_FAILURES_PER_CLIENT,
        ),
        (
            format!("token-fail:addr:{at}"),
            crate::ratelimit::TOKEN_FAILURES_PER_ADDRESS,
        ),
    ]
}

fn ctx(state: &AppState, headers: &HeaderMap) -> platform::context::CallContext {
    let id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    platform::context::CallContext::new(None, id, Some(state.request_timeout))
}

/// Revoke and introspect: the form's `token`, asked by an authenticated client.
async fn token_request(
    req: Request,
    state: &AppState,
) -> Result<(platform::context::CallContext, pb::Client, String), OAuthFailure> {
    let (headers, fields) = form(req, state).await?;
    let (client_id, client_secret) = client_credentials(&headers, &fields)?;
    let token = fields
        .get("token")
        .filter(|t| !t.is_empty())
        .cloned()
        .ok_or_else(|| OAuthFailure::invalid_request("token is required"))?;
    let ctx = ctx(state, &headers);
    let client = state
        .auth
        .clone()
        .verify_client(ctx.request(pb::VerifyClientRequest {
            client_id,
            client_secret,
        }))
        .await?
        .into_inner();
    Ok((ctx, client, token))
}

/// RFC 6749 §5.1 access token response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    pub scope: String,
}

/// The form of the token endpoint. The client may also authenticate with
/// `client_id` and `client_secret` fields instead of HTTP Basic (RFC 6749
/// §2.3.1), but not with both.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    pub grant_type: GrantType,
    /// Space-separated permissions (see `GET /v1/api/roles`) to limit the
    /// token to; absent or empty: everything the contact's roles allow. Asking for
    /// more than they allow is `invalid_scope`.
    #[schema(
        pattern = r"^((((accounts|contacts|billing|limits|settings):(read|write))|clients:manage-(own|all))( (((accounts|contacts|billing|limits|settings):(read|write))|clients:manage-(own|all)))*)?$"
    )]
    pub scope: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
}

/// Get an access token (client credentials grant). Authenticate the client
/// with HTTP Basic or with `client_id` and `client_secret` in the form.
#[utoipa::path(post, path = "/oauth2/token", tag = "oauth2",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse),
        (status = 400, description = "RFC 6749 §5.2 error", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError),
        (status = 429, description = "Too many failed client authentications for this client id or address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ),
    security(("basic" = [])))]
pub async fn token(State(state): State<AppState>, req: Request) -> Result<Response, OAuthFailure> {
    let peer = crate::client_addr::client_addr(
        req.extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip()),
        req.headers(),
        &state.trusted_proxies,
    );
    let (headers, fields) = form(req, &state).await?;
    match fields.get("grant_type").map(String::as_str) {
        None | Some("") => return Err(OAuthFailure::invalid_request("grant_type is required")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthFailure::Error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported".into(),
            ));
        }
    }
    let (client_id, client_secret) = client_credentials(&headers, &fields)?;
    // Secret guessing: while a client id, or the address asking, has failed
    // too often, even the right secret waits.
    let budgets = failure_budgets(&client_id, peer);
    for (key, policy) in &budgets {
        let d = state.limiter.check(key, *policy, 0).await;
        if !d.allowed {
            tracing::warn!(client_id, peer = ?peer, "refused: too many failed client authentications");
            return Err(OAuthFailure::Limited(d));
        }
    }
    let issued = state
        .auth
        .clone()
        .issue_token(ctx(&state, &headers).request(pb::IssueTokenRequest {
            client_id,
            client_secret,
            scope: fields.get("scope").cloned().unwrap_or_default(),
        }))
        .await;
    if issued
        .as_ref()
        .is_err_and(|s| s.code() == tonic::Code::Unauthenticated)
    {
        for (key, policy) in &budgets {
            state.limiter.check(key, *policy, 1).await;
        }
    }
    let issued = issued?.into_inner();
    let mut res = Json(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer".into(),
        expires_in: issued.expires_in,
        scope: issued.scope,
    })
    .into_response();
    no_store(res.headers_mut());
    Ok(res)
}

/// The form of revoke and introspect (client authentication as for the
/// token endpoint).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenParam {
    #[schema(min_length = 1)]
    pub token: String,
    /// Accepted and ignored: access tokens are the only kind.
    pub token_type_hint: Option<String>,
}

/// Revoke a token of the authenticated client (RFC 7009). Unknown tokens
/// succeed too, as the RFC asks.
#[utoipa::path(post, path = "/oauth2/revoke", tag = "oauth2",
    request_body(content = TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked (or never valid)"),
        (status = 400, description = "RFC 6749 §5.2 error", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError),
    ),
    security(("basic" = [])))]
pub async fn revoke(State(state): State<AppState>, req: Request) -> Result<Response, OAuthFailure> {
    let (ctx, client, token) = token_request(req, &state).await?;
    state
        .auth
        .clone()
        .revoke_token(ctx.request(pb::RevokeTokenRequest {
            token: token.clone(),
            client_id: client.client_id,
        }))
        .await?;
    // auth-svc clears the shared cache; this also clears a gateway-local one.
    state
        .cache
        .del(&platform::cache::token_key(&crate::auth::token_hash(
            &token,
        )))
        .await;
    let mut res = StatusCode::OK.into_response();
    no_store(res.headers_mut());
    Ok(res)
}

/// RFC 7662 introspection response, with the platform's principal fields.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The contact the token acts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(rename = "clientID", skip_serializing_if = "Option::is_none")]
    pub client_id_ref: Option<String>,
    #[serde(rename = "contactID", skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(rename = "customerID", skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// Introspect a token (RFC 7662). The caller authenticates as a client and
/// sees tokens acting within its own partner's subtree; any other token is
/// `{"active": false}`.
#[utoipa::path(post, path = "/oauth2/introspect", tag = "oauth2",
    request_body(content = TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Whether the token is active, and for whom", body = Introspection),
        (status = 400, description = "RFC 6749 §5.2 error", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError),
    ),
    security(("basic" = [])))]
pub async fn introspect(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, OAuthFailure> {
    let (ctx, caller, token) = token_request(req, &state).await?;
    let inactive = || {
        let mut res = Json(Introspection::default()).into_response();
        no_store(res.headers_mut());
        Ok(res)
    };
    // auth-svc decides, for the client that asks (its principal, with no
    // roles or scopes: it may only see tokens of its own subtree).
    let as_caller = platform::context::CallContext {
        principal: Some(Principal {
            client_id: caller.client_id,
            contact_id: caller.contact_id,
            customer_id: caller.customer_id,
            roles: vec![],
            scopes: vec![],
        }),
        ..ctx.clone()
    };
    let pb::Introspection {
        active: true,
        token: Some(answer),
    } = state
        .auth
        .clone()
        .introspect(as_caller.request(pb::IntrospectRequest {
            access_token: token,
        }))
        .await?
        .into_inner()
    else {
        return inactive();
    };
    let p = answer.principal.unwrap_or_default();
    let mut res = Json(Introspection {
        active: true,
        scope: Some(p.scopes.join(" ")),
        client_id: Some(p.client_id.clone()),
        token_type: Some("Bearer".into()),
        exp: Some(answer.expires_at),
        iat: Some(answer.issued_at),
        sub: Some(p.contact_id.clone()),
        client_id_ref: Some(p.client_id),
        contact_id: Some(p.contact_id),
        customer_id: Some(p.customer_id),
        roles: Some(p.roles),
        scopes: Some(p.scopes),
    })
    .into_response();
    no_store(res.headers_mut());
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("%zz"), None);
    }

    #[test]
    fn two_client_authentication_methods_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YTpi"),
        );
        let mut f = HashMap::new();
        f.insert("client_id".to_owned(), "a".to_owned());
        assert!(matches!(
            client_credentials(&h, &f),
            Err(OAuthFailure::Error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                _
            ))
        ));
        assert!(
            matches!(client_credentials(&h, &HashMap::new()), Ok((id, secret)) if id == "a" && secret == "b")
        );
    }
}
