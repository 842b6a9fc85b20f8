//! Tokens: issued to a client that proves itself, authenticated with the
//! holder's current roles, introspected for a client's subtree, revoked;
//! and the client credentials they start from.

use platform::context::CallContext;
use proto::account::v1::GetCustomerRequest;
use proto::auth::v1 as pb;
use proto::common::v1::Principal;
use tonic::{Code, Request, Status};

use super::{AuthApi, INVALID_CLIENT, INVALID_TOKEN, TARGET, to_pb};
use crate::domain::Scope;
use crate::domain::secret::{StoredSecret, new_token, token_hash};
use crate::error::Error;
use crate::store::client::{self, ClientRow};
use crate::store::token::{self, NewToken};

impl AuthApi {
    /// The client these credentials name, or INVALID_CLIENT. The HMACs are
    /// computed even for an unknown client, so the time taken does not tell
    /// whether the client id exists.
    async fn verified_client(&self, client_id: &str, secret: &str) -> Result<ClientRow, Status> {
        let found = client::find(&self.state.db, client_id).await?;
        let stored = found.as_ref().map(|c| StoredSecret {
            current: &c.secret_hmac,
            previous: c
                .previous_secret_hmac
                .as_deref()
                .zip(c.previous_secret_expires_at),
        });
        let verified = self
            .state
            .key
            .verify_stored(secret, stored, platform::id::unix_now());
        match found.filter(|_| verified) {
            Some(c) => Ok(c),
            None => {
                // Debug-escaped: the id is whatever the caller sent.
                tracing::info!(target: TARGET, client_id = ?client_id, "refused: invalid client");
                Err(INVALID_CLIENT.into())
            }
        }
    }

    pub(super) async fn issue(
        &self,
        req: Request<pb::IssueTokenRequest>,
    ) -> Result<pb::IssueTokenResponse, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let client = self.verified_client(&r.client_id, &r.client_secret).await?;
        let access = self
            .roles(&ctx, &client.contact_id, &client.customer_id)
            .await?;
        // The contact was removed from the customer: its clients are dead.
        if access.roles.is_empty() {
            tracing::info!(
                target: TARGET,
                client_id = client.client_id,
                "token refused: contact holds no roles"
            );
            return Err(Error::Unauthenticated("client has no access").into());
        }
        // Asked only after the client proved itself, so the refusal tells
        // nothing about permissions to a caller without credentials.
        let scope = Scope::parse(&r.scope);
        let granted = scope
            .grant(&access.permissions)
            .map_err(Error::InvalidScope)?;
        let access_token = new_token();
        let issued_at = platform::id::unix_now();
        // At most a day (checked at start), so the cast cannot wrap.
        let expires_in = self.state.token_ttl.as_secs() as i64;
        let issued = token::issue(
            &self.state.db,
            &NewToken {
                token_hash: &token_hash(&access_token),
                client_id: &client.client_id,
                contact_id: &client.contact_id,
                customer_id: &client.customer_id,
                roles: &access.roles.join(" "),
                scopes: &scope.stored(),
                issued_at,
                expires_at: issued_at + expires_in,
            },
        )
        .await?;
        if !issued {
            // The client was removed while its roles were being looked up.
            return Err(INVALID_CLIENT.into());
        }
        tracing::info!(target: TARGET, client_id = client.client_id, "token issued");
        Ok(pb::IssueTokenResponse {
            access_token,
            expires_in,
            scope: granted.join(" "),
        })
    }

    pub(super) async fn verify(
        &self,
        req: Request<pb::VerifyClientRequest>,
    ) -> Result<pb::Client, Status> {
        let r = req.into_inner();
        let client = self.verified_client(&r.client_id, &r.client_secret).await?;
        Ok(to_pb(client, platform::id::unix_now()))
    }

    pub(super) async fn authenticated(
        &self,
        req: Request<pb::AuthenticateRequest>,
    ) -> Result<pb::AuthenticateResponse, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        if r.access_token.is_empty() {
            return Err(INVALID_TOKEN.into());
        }
        let hash = token_hash(&r.access_token);
        let row = token::find_live(&self.state.db, &hash, platform::id::unix_now())
            .await?
            .ok_or(INVALID_TOKEN)?;
        // Roles are read afresh on every authentication, not taken from the
        // token row: the gateway caches a principal only seconds, so a role
        // change or a removed contact reaches existing tokens that fast. If
        // contact-svc is down the answer is its UNAVAILABLE, never a stale
        // principal.
        let access = self.roles(&ctx, &row.contact_id, &row.customer_id).await?;
        if access.roles.is_empty() {
            tracing::info!(
                target: TARGET,
                client_id = row.client_id,
                "token refused: access ended"
            );
            return Err(Error::Unauthenticated("access ended").into());
        }
        let scopes = Scope::parse(&row.scopes).effective(&access.permissions);
        Ok(pb::AuthenticateResponse {
            principal: Some(Principal {
                client_id: row.client_id,
                contact_id: row.contact_id,
                customer_id: row.customer_id,
                roles: access.roles,
                scopes,
            }),
            expires_at: row.expires_at,
            issued_at: row.issued_at,
        })
    }

    pub(super) async fn introspection(
        &self,
        req: Request<pb::IntrospectRequest>,
    ) -> Result<pb::Introspection, Status> {
        let ctx = CallContext::from_request(&req)?;
        if ctx.principal.is_none() {
            return Err(
                Error::PermissionDenied("introspection answers for a client's subtree").into(),
            );
        }
        let inactive = || Ok(pb::Introspection::default());
        let access_token = req.into_inner().access_token;
        let token = match pb::auth_service_server::AuthService::authenticate(
            self,
            ctx.internal()
                .request(pb::AuthenticateRequest { access_token }),
        )
        .await
        {
            Ok(t) => t.into_inner(),
            Err(s) if s.code() == Code::Unauthenticated => return inactive(),
            Err(s) => return Err(s),
        };
        let home = token
            .principal
            .as_ref()
            .map(|p| p.customer_id.clone())
            .unwrap_or_default();
        // Visible only when the token's partner is in the caller's subtree:
        // account-svc decides with the caller's principal. A caller whose
        // own home is gone (UNAUTHENTICATED) sees nothing either.
        match self
            .state
            .accounts
            .clone()
            .get_customer(ctx.request(GetCustomerRequest { customer_id: home }))
            .await
        {
            Ok(_) => Ok(pb::Introspection {
                active: true,
                token: Some(token),
            }),
            Err(s) if matches!(s.code(), Code::NotFound | Code::Unauthenticated) => inactive(),
            Err(s) => Err(s),
        }
    }

    pub(super) async fn revoke(
        &self,
        req: Request<pb::RevokeTokenRequest>,
    ) -> Result<pb::RevokeTokenResponse, Status> {
        let r = req.into_inner();
        if !r.token.is_empty() {
            let hash = token_hash(&r.token);
            if token::revoke(&self.state.db, &hash, &r.client_id).await? {
                tracing::info!(target: TARGET, client_id = r.client_id, "token revoked");
            }
            // Also when nothing changed: a revoke retried after a crash between
            // the update and this line still clears the gateway's copy.
            self.forget_tokens(&[hash]).await;
        }
        Ok(pb::RevokeTokenResponse {})
    }
}
