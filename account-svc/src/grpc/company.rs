//! A customer's company, and address validation, which needs no customer.

use platform::context::CallContext;
use platform::status::Violations;
use proto::account::v1 as pb;
use tonic::{Request, Response, Status};

use super::{AccountApi, LOG_TARGET};
use crate::domain::company::{AddressCheck, CompanyChange};
use crate::domain::culture::Culture;
use crate::domain::vat::VatNumber;
use crate::error::Error;
use crate::store::customer::{self, CustomerRow};

impl AccountApi {
    pub(super) async fn company(
        &self,
        req: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        Ok(Response::new(company_to_pb(&c)))
    }

    pub(super) async fn change_company(
        &self,
        req: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        // Scope first: an outsider learns nothing, not even that its input
        // was bad.
        let mut c = self.visible(caller.as_ref(), &r.customer_id).await?;
        for _ in 0..WRITE_ATTEMPTS {
            let mut v = Violations::new();
            let Some(change) = CompanyChange::parse(&stored_address(&c), &r, &mut v) else {
                return Err(Error::Invalid(v.into_vec()).into());
            };
            if change.fields().is_empty() {
                return Ok(Response::new(company_to_pb(&c)));
            }
            let mut cols = c.company_columns();
            if let Some(name) = &change.name {
                cols.name = name;
            }
            if let Some(phone) = &change.phone {
                cols.phone = phone;
            }
            if let Some(a) = &change.address {
                cols.line1 = &a.line1;
                cols.line2 = &a.line2;
                cols.line3 = &a.line3;
                cols.city = &a.city;
                cols.state = &a.state;
                cols.zip = &a.zip;
                cols.country = &a.country;
            }
            if let Some(culture) = &change.culture {
                cols.culture = culture.as_ref().map_or("", Culture::as_str);
            }
            if let Some(vat) = &change.vat_number {
                cols.vat_number = vat.as_ref().map_or("", VatNumber::as_str);
            }
            if customer::update_company(&self.state.db, &c.customer_id, &c.updated_at, &cols)
                .await?
            {
                tracing::info!(
                    target: LOG_TARGET,
                    customer_id = c.customer_id,
                    fields = ?change.fields(),
                    "company updated"
                );
                let updated = self.visible(caller.as_ref(), &c.customer_id).await?;
                return Ok(Response::new(company_to_pb(&updated)));
            }
            // Another write came between our read and ours: merge again over
            // what it left, so neither update is lost.
            c = self.visible(caller.as_ref(), &r.customer_id).await?;
        }
        Err(Error::Contended("the company kept changing during the update; retry".into()).into())
    }

    pub(super) async fn check_address(
        &self,
        req: Request<pb::ValidateAddressRequest>,
    ) -> Result<Response<pb::AddressValidation>, Status> {
        // A question about an address, not about a customer: no scope to
        // check, and a bad address is an answer (status 2), not an error.
        let r = req.into_inner();
        let given = r.address.unwrap_or_default();
        let check = AddressCheck::of(&given, r.field_prefix.trim());
        let status = check.status();
        Ok(Response::new(match check {
            AddressCheck::Valid(refined) => pb::AddressValidation {
                status,
                address: Some(refined.address.to_pb()),
                changes: refined.changes.iter().map(|&f| f.to_owned()).collect(),
                errors: Vec::new(),
            },
            AddressCheck::Invalid(errors) => pb::AddressValidation {
                status,
                address: Some(given),
                changes: Vec::new(),
                errors: errors
                    .into_iter()
                    .map(|(field, message)| pb::FieldError { field, message })
                    .collect(),
            },
        }))
    }
}

/// How often an update merges and writes again when a concurrent write to
/// the same customer keeps winning the compare-and-set.
const WRITE_ATTEMPTS: usize = 3;

fn stored_address(c: &CustomerRow) -> proto::common::v1::Address {
    proto::common::v1::Address {
        line1: c.address_line1.clone(),
        line2: c.address_line2.clone(),
        line3: c.address_line3.clone(),
        city: c.city.clone(),
        state: c.address_state.clone(),
        zip: c.zip.clone(),
        country: c.country.clone(),
    }
}

pub(super) fn company_to_pb(c: &CustomerRow) -> pb::Company {
    pb::Company {
        name: c.company_name.clone(),
        phone: c.company_phone.clone(),
        address: Some(stored_address(c)),
        culture: c.company_culture.clone(),
        vat_number: c.vat_number.clone(),
    }
}
