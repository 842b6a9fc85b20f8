//! Closing periods and reading invoices.

use platform::context::CallContext;
use proto::billing::v1 as pb;
use time::OffsetDateTime;
use tonic::Request;

use super::{BillingApi, page};
use crate::closing::close_period;
use crate::domain::invoice::{InvoiceCursor, Period};
use crate::error::Error;
use crate::store::invoice::{self as store, InvoiceRow};
use crate::totals;

/// The cursor of a page ending at `i`. Stored periods are written from a
/// [`Period`]; one that does not parse is a broken row, not the end of the
/// list.
fn cursor_of(i: &InvoiceRow) -> Result<String, Error> {
    Period::parse(&i.period)
        .and_then(|p| InvoiceCursor::new(p, &i.invoice_id))
        .map(|c| c.to_string())
        .map_err(|e| {
            Error::Db(sqlx::Error::Decode(
                format!("invoice {} period {:?}: {e}", i.invoice_id, i.period).into(),
            ))
        })
}

fn to_pb(i: InvoiceRow) -> pb::Invoice {
    pb::Invoice {
        invoice_id: i.invoice_id,
        customer_id: i.customer_id,
        billed_to_customer_id: i.billed_to,
        period: i.period,
        plan_name: i.plan_name,
        currency: i.currency,
        lines: i
            .lines
            .into_iter()
            .map(|l| pb::InvoiceLine {
                kind: l.kind,
                description: l.description,
                meter: l.meter,
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                per: l.per,
                amount: l.amount,
            })
            .collect(),
        subtotal: i.subtotal,
        credits_applied: i.credits_applied,
        total: i.total,
        issued_at: i.issued_at,
    }
}

impl BillingApi {
    pub(super) async fn close(
        &self,
        req: Request<pb::ClosePeriodRequest>,
    ) -> Result<pb::ClosePeriodResponse, Error> {
        let ctx = CallContext::from_request(&req)?;
        if ctx.principal.is_some() {
            // Invoicing the whole platform is an operator's act, not a partner's.
            return Err(Error::Peer(tonic::Status::permission_denied(
                "closing a billing period is for operators and internal services",
            )));
        }
        let period = Period::parse(&req.get_ref().period)
            .map_err(|m| Error::Invalid(vec![("period".into(), m)]))?;
        if period.end() > OffsetDateTime::now_utc() {
            return Err(Error::Conflict(format!(
                "period {period} has not ended yet"
            )));
        }
        let closed = close_period(&self.state, period).await?;
        Ok(pb::ClosePeriodResponse {
            invoices_created: closed.created,
            invoices_existing: closed.existing,
        })
    }

    pub(super) async fn invoices(
        &self,
        req: Request<pb::ListInvoicesRequest>,
    ) -> Result<pb::ListInvoicesResponse, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let (page, after) = page(r.skip, r.take, &r.after, InvoiceCursor::parse)?;
        let c = self.customer(&ctx, &r.customer_id).await?;
        let db = &self.state.db;
        let total = platform::paging::total(
            &self.state.cache,
            &totals::invoices(&c.customer_id),
            "",
            store::count(db, &c.customer_id),
        )
        .await?;
        let mut rows = store::page(
            db,
            &c.customer_id,
            after.as_ref(),
            page.skip(),
            page.take() + 1,
        )
        .await?;
        let next_cursor = page
            .last(&mut rows)
            .map(cursor_of)
            .transpose()?
            .unwrap_or_default();
        Ok(pb::ListInvoicesResponse {
            items: rows.into_iter().map(to_pb).collect(),
            total,
            next_cursor,
        })
    }

    pub(super) async fn invoice(
        &self,
        req: Request<pb::GetInvoiceRequest>,
    ) -> Result<pb::Invoice, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let c = self.customer(&ctx, &r.customer_id).await?;
        if !platform::id::is_id(&r.invoice_id) {
            return Err(Error::NotFound("invoice"));
        }
        store::find(&self.state.db, &c.customer_id, &r.invoice_id)
            .await?
            .map(to_pb)
            .ok_or(Error::NotFound("invoice"))
    }
}
