//! Chargeable activity: records in, reports out.

use platform::context::CallContext;
use platform::status::Violations;
use proto::billing::v1 as pb;
use time::{Duration, OffsetDateTime};
use tonic::Request;

use super::BillingApi;
use crate::domain::usage::{self, GroupBy, MAX_REPORT_DAYS};
use crate::error::Error;
use crate::store::usage as store;

impl BillingApi {
    pub(super) async fn record(
        &self,
        req: Request<pb::RecordUsageRequest>,
    ) -> Result<pb::RecordUsageResponse, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        v.require_id("customerID", &r.customer_id);
        let meter = v.check("meter", usage::meter(&r.meter));
        let quantity = v.check("quantity", usage::quantity(r.quantity));
        let occurred_at = v.check(
            "occurredAt",
            usage::occurred_at(&r.occurred_at, OffsetDateTime::now_utc()),
        );
        let idempotency_id = v.check("idempotencyID", usage::idempotency_id(&r.idempotency_id));
        let (Some(meter), Some(quantity), Some(occurred_at), Some(idempotency_id)) =
            (meter, quantity, occurred_at, idempotency_id)
        else {
            return Err(Error::Invalid(v.into_vec()));
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()));
        }
        let c = self.customer(&ctx, &r.customer_id).await?;
        let recorded = store::record(
            &self.state.db,
            &store::NewRecord {
                customer_id: &c.customer_id,
                path: &c.path,
                meter: &meter,
                quantity,
                occurred_at: &platform::id::rfc3339(occurred_at),
                idempotency_id: &idempotency_id,
            },
        )
        .await?;
        Ok(pb::RecordUsageResponse { recorded })
    }

    pub(super) async fn report(
        &self,
        req: Request<pb::GetUsageReportRequest>,
    ) -> Result<pb::UsageReport, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let c = self.customer(&ctx, &r.customer_id).await?;
        let now = OffsetDateTime::now_utc();
        let mut v = Violations::new();
        let from = if r.from.is_empty() {
            Some(usage::month_start(now))
        } else {
            v.check("from", usage::bound(&r.from))
        };
        let to = if r.to.is_empty() {
            Some(now)
        } else {
            v.check("to", usage::bound(&r.to))
        };
        let group_by = v.check("groupBy", GroupBy::parse(&r.group_by));
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                v.add("to", "must be after from");
            } else if to - from > Duration::days(MAX_REPORT_DAYS) {
                v.add(
                    "to",
                    format!("must be at most {MAX_REPORT_DAYS} days after from"),
                );
            }
        }
        let (Some(from), Some(to), Some(group_by)) = (from, to, group_by) else {
            return Err(Error::Invalid(v.into_vec()));
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()));
        }
        let (from, to) = (platform::id::rfc3339(from), platform::id::rfc3339(to));
        let rows = store::report(&self.state.db, &c.path, &from, &to, group_by).await?;
        Ok(pb::UsageReport {
            customer_id: c.customer_id,
            from,
            to,
            group_by: group_by.as_str().into(),
            items: rows
                .into_iter()
                .map(|(period, meter, quantity)| pb::UsageItem {
                    period,
                    meter,
                    quantity,
                })
                .collect(),
        })
    }
}
