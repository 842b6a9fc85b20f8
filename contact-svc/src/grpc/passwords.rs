//! Passwords: a contact's change or an owner's reset, and the hashing
//! both and CreateContact use.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use platform::context::CallContext;
use platform::status::Violations;
use proto::contact::v1 as pb;
use tonic::{Request, Status};

use super::{ContactApi, TARGET, check_id};
use crate::behalf;
use crate::domain::{Password, Policy};
use crate::error::Error;
use crate::store::contact;

/// The policy a request states; absent is the default.
pub(super) fn policy_of(policy: Option<pb::PasswordPolicy>) -> Policy {
    policy.map_or_else(Policy::default, |p| {
        Policy::new(p.min_length, p.require_symbols, p.require_mixed_case)
    })
}

/// Runs password hashing off the async threads (Argon2 takes tens of
/// milliseconds and 19 MiB by design), on [`crate::hasher`]'s workers, which
/// bound how many run at once and so the memory they hold.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    crate::hasher::hasher()
        .map_err(Error::Internal)?
        .run(work)
        .await
        .ok_or_else(|| Error::Internal("the password hashing workers stopped".into()))?
}

/// Argon2id with the crate's default parameters (19 MiB, 2 passes).
pub(super) async fn hash_password(password: Password) -> Result<String, Error> {
    blocking(move || {
        // A fresh random salt per hash; the PHC string records it and the parameters.
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
}

/// Whether `password` is the one `stored` (a PHC string) was made from. The
/// string carries the algorithm, parameters and salt it was made with, so
/// hashes made under older parameters still verify.
async fn verify_password(password: String, stored: String) -> Result<bool, Error> {
    blocking(move || {
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| Error::Internal(format!("stored password hash does not parse: {e}")))?;
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(Error::Internal(format!("verifying a password: {e}"))),
        }
    })
    .await
}

impl ContactApi {
    pub(super) async fn new_password(
        &self,
        req: Request<pb::ChangePasswordRequest>,
    ) -> Result<pb::ChangePasswordResponse, Status> {
        let ctx = CallContext::from_request(&req)?;
        let mut r = req.into_inner();
        if let Some(principal) = &ctx.principal {
            // A contact may always change its own password; anyone else
            // needs contacts:write and must reach the contact's customer.
            if principal.contact_id != r.contact_id {
                behalf::require(principal, behalf::WRITE)?;
            }
            check_id("contactID", &r.contact_id)?;
            let home = contact::home_customer(&self.state.db, &r.contact_id)
                .await?
                .ok_or(Error::NotFound)?;
            let rules = self.state.peers.rules(&ctx, &home).await?;
            r.policy = Some(rules.policy);
            r.reset = behalf::may_reset(principal, &r.contact_id, &home);
            if !r.reset && r.current_password.is_empty() {
                return Err(Error::Invalid(vec![(
                    "currentPassword".to_owned(),
                    "is required unless an owner of a partner above resets the password".to_owned(),
                )])
                .into());
            }
        }
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        if !r.reset && r.current_password.is_empty() {
            v.add("currentPassword", "is required");
        }
        let new_password = v.check(
            "newPassword",
            Password::parse_with(&r.new_password, &policy_of(r.policy)),
        );
        let Some(new_password) = new_password else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let stored = contact::password_hash(&self.state.db, &r.contact_id)
            .await?
            .ok_or(Error::NotFound)?;
        // A reset comes from an owner of an ancestor (decided above, or by
        // a service caller), who does not know the contact's password.
        if !r.reset && !verify_password(r.current_password, stored).await? {
            return Err(Error::WrongPassword.into());
        }
        let hash = hash_password(new_password).await?;
        contact::set_password_hash(&self.state.db, &r.contact_id, &hash).await?;
        tracing::info!(
            target: TARGET,
            contact_id = r.contact_id,
            reset = r.reset,
            "contact password changed"
        );
        Ok(pb::ChangePasswordResponse {})
    }
}
