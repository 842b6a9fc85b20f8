//! The roles a contact holds on a customer, and the catalogue of roles.

use platform::status::Violations;
use proto::contact::v1 as pb;
use tonic::{Request, Status};

use super::{ContactApi, TARGET, check_id};
use crate::domain::{Kind, PERMISSIONS, ROLES, Role, parse_roles, permissions_of};
use crate::error::Error;
use crate::store::contact;

/// The roles a request names, each problem recorded on `accessRoleNames`
/// (empty when there are problems: the request is refused anyway).
pub(super) fn role_names(
    v: &mut Violations,
    names: &[String],
    kind: Option<Kind>,
) -> Vec<&'static str> {
    parse_roles(names, kind).unwrap_or_else(|problems| {
        for problem in problems {
            v.add("accessRoleNames", problem);
        }
        Vec::new()
    })
}

/// Roles in name order (byte order, the same on every database) with what
/// they allow together.
fn roles_response(mut roles: Vec<String>) -> pb::GetRolesResponse {
    roles.sort_unstable();
    let permissions = to_strings(&permissions_of(&roles));
    pb::GetRolesResponse { roles, permissions }
}

pub(super) fn to_strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// ListRoles' answer: every role with what it allows, and every permission.
pub(super) fn catalogue() -> pb::ListRolesResponse {
    let roles = ROLES
        .iter()
        .map(|role| pb::Role {
            name: role.name.into(),
            display_name: role.display_name.into(),
            kind: role.kind.as_str().into(),
            permissions: to_strings(role.permissions),
        })
        .collect();
    pb::ListRolesResponse {
        roles,
        permissions: to_strings(PERMISSIONS),
    }
}

impl ContactApi {
    pub(super) async fn roles(
        &self,
        req: Request<pb::GetRolesRequest>,
    ) -> Result<pb::GetRolesResponse, Status> {
        let r = req.into_inner();
        check_id("contactID", &r.contact_id)?;
        check_id("customerID", &r.customer_id)?;
        let roles = contact::roles(&self.state.db, &r.contact_id, &r.customer_id).await?;
        Ok(roles_response(roles))
    }

    pub(super) async fn replace_roles(
        &self,
        req: Request<pb::SetRolesRequest>,
    ) -> Result<pb::GetRolesResponse, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        v.require_id("customerID", &r.customer_id);
        let kind = v.check("customerKind", Kind::parse(&r.customer_kind));
        // Without a kind only existence can be checked; the kind's own
        // violation tells the caller the rest.
        let roles = role_names(&mut v, &r.roles, kind);
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        // The customer's owner role keeps a holder, as when an assignment
        // ends (RemoveAssignment).
        contact::set_roles(
            &self.state.db,
            &r.contact_id,
            &r.customer_id,
            &roles,
            Role::is_owner_role,
        )
        .await?;
        // Roles on a customer the contact was not on assign it there; none
        // end the assignment.
        self.contacts_changed(&r.customer_id).await;
        tracing::info!(
            target: TARGET,
            contact_id = r.contact_id,
            customer_id = r.customer_id,
            roles = ?roles,
            "contact roles set"
        );
        Ok(roles_response(
            roles.iter().map(|r| (*r).to_owned()).collect(),
        ))
    }
}
