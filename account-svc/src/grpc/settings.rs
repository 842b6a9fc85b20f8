//! A partner's settings and what they mean for its contacts (the
//! password rule and the users limit contact-svc applies).

use platform::context::CallContext;
use platform::status::Violations;
use proto::account::v1 as pb;
use tonic::{Request, Response, Status};

use super::{AccountApi, LOG_TARGET, is_callers_home};
use crate::domain::PartnerProgram;
use crate::domain::culture::Culture;
use crate::domain::limit;
use crate::domain::plan::{self, USERS_MAX};
use crate::domain::settings::{
    CREATE_PARTNERS, Features, Networks, PAYMENT_PROCESSING, PasswordMinLength, PasswordPolicy,
    SettingsChange, SupportEmail,
};
use crate::error::Error;
use crate::store::customer::CustomerRow;
use crate::store::limit as store_limit;
use crate::store::settings::{self as store_settings, SettingsRow, SettingsUpdate};

impl AccountApi {
    pub(super) async fn contact_rules(
        &self,
        req: Request<pb::GetContactRulesRequest>,
    ) -> Result<Response<pb::ContactRules>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        let policy = self.password_policy(&c.path).await?;
        // The value in force: the customer's own, else its plan's (0, no
        // limit, for a plan without one), read afresh on every call so a
        // change applies to the very next contact.
        let overrides = store_limit::overrides(&self.state.db, &c.customer_id).await?;
        let users_max = plan::find(&c.plan_name)
            .and_then(|p| limit::value_in_force(p, &overrides, USERS_MAX))
            .unwrap_or(0);
        Ok(Response::new(pb::ContactRules {
            kind: if c.is_partner() { "partner" } else { "account" }.into(),
            password_min_length: policy.min_length,
            password_require_symbols: policy.require_symbols,
            password_require_mixed_case: policy.require_mixed_case,
            users_max,
            path: c.path,
        }))
    }

    pub(super) async fn settings(
        &self,
        req: Request<pb::GetSettingsRequest>,
    ) -> Result<Response<pb::PartnerSettings>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let p = self
            .visible_partner(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        let row = store_settings::find(&self.state.db, &p.customer_id).await?;
        Ok(Response::new(settings_to_pb(&p, row)?))
    }

    pub(super) async fn change_settings(
        &self,
        req: Request<pb::UpdateSettingsRequest>,
    ) -> Result<Response<pb::PartnerSettings>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        // Scope first: an outsider learns nothing, not even that its input
        // was bad.
        let p = self
            .visible_partner(caller.as_ref(), &r.customer_id)
            .await?;
        let mut v = Violations::new();
        let Some(change) = SettingsChange::parse(&r, &mut v) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        // Grants come from above: a partner cannot give them to itself.
        let own = is_callers_home(caller.as_ref(), &p);
        for (field, set) in [
            (CREATE_PARTNERS, change.create_partners),
            (PAYMENT_PROCESSING, change.payment_processing),
        ] {
            if set.is_some() && own {
                v.add(
                    field,
                    "is granted by the parent partner; a partner cannot change its own",
                );
            }
        }
        if change.create_partners.is_some()
            && PartnerProgram::from_stored(&p.partner_program) != Some(PartnerProgram::Advisor)
        {
            v.add(
                CREATE_PARTNERS,
                "applies to advisors only: a distributor always creates partners, a private-label partner never",
            );
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        if !change.is_empty() {
            let networks = change
                .api_allowed_networks
                .as_ref()
                .map(Networks::to_stored);
            let update = SettingsUpdate {
                support_email: change
                    .support_email
                    .as_ref()
                    .map(|e| e.as_ref().map_or("", SupportEmail::as_str)),
                default_culture: change
                    .default_culture
                    .as_ref()
                    .map(|c| c.as_ref().map_or("", Culture::as_str)),
                api_allowed_networks: networks.as_deref(),
                password_min_length: change.password_min_length.map(PasswordMinLength::get),
                password_require_symbols: change.password_require_symbols,
                password_require_mixed_case: change.password_require_mixed_case,
                create_partners: change.create_partners,
                payment_processing: change.payment_processing,
            };
            store_settings::upsert(&self.state.db, &p.customer_id, &update).await?;
            tracing::info!(
                target: LOG_TARGET,
                customer_id = p.customer_id,
                fields = ?change.fields(),
                "partner settings updated"
            );
        }
        let row = store_settings::find(&self.state.db, &p.customer_id).await?;
        Ok(Response::new(settings_to_pb(&p, row)?))
    }

    /// What `partner` may do now: its programme and its parent's grants.
    pub(crate) async fn features_of(&self, partner: &CustomerRow) -> Result<Features, Error> {
        let program = PartnerProgram::from_stored(&partner.partner_program).ok_or_else(|| {
            Error::Internal(format!(
                "partner {} has unknown program {:?}",
                partner.customer_id, partner.partner_program
            ))
        })?;
        let grants = store_settings::find(&self.state.db, &partner.customer_id)
            .await?
            .map(|row| row.grants)
            .unwrap_or_default();
        Ok(Features::of(program, grants))
    }

    /// The password rule for the contacts of the customer at `path`: the
    /// strictest of its own settings and its ancestors'.
    pub(crate) async fn password_policy(&self, path: &str) -> Result<PasswordPolicy, Error> {
        let policies = store_settings::policies_on_path(&self.state.db, path).await?;
        Ok(PasswordPolicy::strictest(policies))
    }
}

/// A partner's settings on the wire: the stored row (or the defaults when it
/// has none) and the features its programme includes. The password policy
/// is the partner's own; GetContactRules answers the one that applies.
fn settings_to_pb(
    partner: &CustomerRow,
    row: Option<SettingsRow>,
) -> Result<pb::PartnerSettings, Error> {
    let program = PartnerProgram::from_stored(&partner.partner_program).ok_or_else(|| {
        Error::Internal(format!(
            "partner {} has unknown program {:?}",
            partner.customer_id, partner.partner_program
        ))
    })?;
    let row = row.unwrap_or_default();
    let features = Features::of(program, row.grants);
    Ok(pb::PartnerSettings {
        customer_id: partner.customer_id.clone(),
        support_email: row.support_email,
        default_culture: row.default_culture,
        api_allowed_networks: row
            .api_allowed_networks
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        features: features
            .named()
            .into_iter()
            .map(|(name, on)| (name.to_owned(), on))
            .collect(),
        password_min_length: row.password.min_length,
        password_require_symbols: row.password.require_symbols,
        password_require_mixed_case: row.password.require_mixed_case,
    })
}
