//! Calls made on a partner's behalf, decided here.
//!
//! The gateway forwards the partner's principal (with its signed assertion)
//! and contact-svc decides what the principal may do with contacts: the
//! token's permission, whether the principal reaches the customer and what
//! applies there (asked of account-svc *with the principal*, so its subtree
//! rule holds here as it does in billing-svc), who may reset a password
//! without knowing it, and which API clients go with a deleted contact.
//!
//! A call without a principal is a service acting as itself (account-svc
//! making a new customer's owner, auth-svc reading roles, bootstrap): the
//! identity layer admitted it for those methods only ([`crate::CALLERS`]),
//! and it brings the customer's rules in the request.

use platform::context::CallContext;
use platform::grpc::Peer;
use platform::identity::Signer;
use proto::account::v1::{self as account, account_service_client::AccountServiceClient};
use proto::auth::v1::{self as auth, auth_service_client::AuthServiceClient};
use proto::common::v1::Principal;
use proto::contact::v1 as pb;
use tonic::Status;

use crate::domain::Kind;
use crate::error::Error;

pub const READ: &str = "contacts:read";
pub const WRITE: &str = "contacts:write";

/// The services contact-svc asks on a partner's behalf.
#[derive(Clone)]
pub struct Peers {
    /// Whether a principal reaches a customer, and the customer's rules.
    pub accounts: AccountServiceClient<Peer>,
    /// The API clients of a contact that is deleted.
    pub auth: AuthServiceClient<Peer>,
}

impl Peers {
    /// Channels to account-svc and auth-svc, signed as `signer`.
    pub fn connect(account_url: &str, auth_url: &str, signer: &Signer) -> anyhow::Result<Self> {
        Ok(Self {
            accounts: AccountServiceClient::new(platform::grpc::peer(account_url, signer)?),
            auth: AuthServiceClient::new(platform::grpc::peer(auth_url, signer)?),
        })
    }

    /// What applies on `customer_id` for the call's principal: NOT_FOUND
    /// from account-svc when the customer is not in its subtree.
    pub async fn rules(&self, ctx: &CallContext, customer_id: &str) -> Result<Rules, Status> {
        let r = self
            .accounts
            .clone()
            .get_contact_rules(ctx.request(account::GetContactRulesRequest {
                customer_id: customer_id.to_owned(),
            }))
            .await?
            .into_inner();
        Ok(Rules {
            kind: r.kind,
            policy: pb::PasswordPolicy {
                min_length: r.password_min_length,
                require_symbols: r.password_require_symbols,
                require_mixed_case: r.password_require_mixed_case,
            },
            users_max: r.users_max,
        })
    }

    /// Removes the API clients of a deleted contact. Its tokens already
    /// fail (it holds no roles); this removes the clients themselves. As
    /// contact-svc itself: the clients are the contact's, not the caller's.
    pub async fn forget_clients(&self, ctx: &CallContext, contact_id: &str) -> Result<(), Status> {
        self.auth
            .clone()
            .delete_contact_clients(ctx.internal().request(auth::DeleteContactClientsRequest {
                contact_id: contact_id.to_owned(),
            }))
            .await?;
        Ok(())
    }
}

/// A customer's rules for its contacts, as account-svc keeps them.
pub struct Rules {
    /// "partner" or "account": which roles suit the customer.
    pub kind: String,
    /// The strictest password policy along the customer's ancestry.
    pub policy: pb::PasswordPolicy,
    /// Iam_usersMax; 0 = no limit.
    pub users_max: i64,
}

/// Function-level authorization: the principal's token must carry
/// `permission` (the gateway checks the same at its door; this holds for
/// any other caller that forwards a principal).
pub fn require(principal: &Principal, permission: &'static str) -> Result<(), Error> {
    if principal.scopes.iter().any(|s| s == permission) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(permission))
    }
}

/// Whether the principal may set `contact_id`'s password without knowing
/// the current one: an owner of a partner above the contact's home
/// customer. The contact itself, and anyone on its own customer, proves
/// the current password.
pub fn may_reset(principal: &Principal, contact_id: &str, home_customer_id: &str) -> bool {
    principal.contact_id != contact_id
        && principal.customer_id != home_customer_id
        && principal
            .roles
            .iter()
            .any(|r| r == Kind::Partner.owner_role())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(contact_id: &str, customer_id: &str, roles: &[&str]) -> Principal {
        Principal {
            contact_id: contact_id.into(),
            customer_id: customer_id.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: vec![READ.into()],
            ..Principal::default()
        }
    }

    #[test]
    fn only_a_partner_owner_above_the_contact_may_reset() {
        let owner = principal("c1", "p1", &["AG_PRIVATELABELOWNERS"]);
        assert!(may_reset(&owner, "c2", "a1"));
        // Its own password, and a contact of its own partner: proven.
        assert!(!may_reset(&owner, "c1", "a1"));
        assert!(!may_reset(&owner, "c2", "p1"));
        let admin = principal("c1", "p1", &["AG_PRIVATELABELOPERATORS", "Owner"]);
        assert!(!may_reset(&admin, "c2", "a1"));
    }

    #[test]
    fn a_permission_the_token_lacks_is_refused_by_name() {
        let p = principal("c1", "p1", &[]);
        assert!(require(&p, READ).is_ok());
        match require(&p, WRITE) {
            Err(Error::PermissionDenied(missing)) => assert_eq!(missing, WRITE),
            other => panic!("expected PermissionDenied, got {other:?}"),
        }
    }
}
