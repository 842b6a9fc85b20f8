//! Prepaid credit: the balance and ledger, and allocations down the tree.

use platform::context::CallContext;
use platform::idempotency::Key;
use platform::status::Violations;
use proto::billing::v1 as pb;
use tonic::Request;

use super::{BillingApi, page};
use crate::domain::money;
use crate::error::Error;
use crate::store::credit::{self as store, Allocation, Entry, Refusal, Source};
use crate::totals;

/// AllocateCredit's answer: the child's new balance and its entry. The same
/// function makes the answer returned and the one kept for a retry.
fn allocated(e: &Entry) -> pb::AllocateCreditResponse {
    pb::AllocateCreditResponse {
        balance: e.balance_after,
        currency: e.currency.clone(),
        entry: Some(to_pb(e.clone())),
    }
}

fn to_pb(e: Entry) -> pb::CreditEntry {
    pb::CreditEntry {
        entry_id: e.entry_id,
        amount: e.amount,
        currency: e.currency,
        kind: e.kind,
        counterparty_id: e.counterparty_id,
        invoice_id: e.invoice_id,
        note: e.note,
        balance_after: e.balance_after,
        created_at: e.created_at,
    }
}

impl BillingApi {
    pub(super) async fn credits(
        &self,
        req: Request<pb::GetCreditsRequest>,
    ) -> Result<pb::Credits, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        // The cursor is the last entry id seen: any id this platform issues.
        let (page, after) = page(r.skip, r.take, &r.after, |after| {
            if platform::id::is_id(after) {
                Ok(after.to_owned())
            } else {
                Err("is not a cursor this API issued".to_owned())
            }
        })?;
        let c = self.customer(&ctx, &r.customer_id).await?;
        let db = &self.state.db;
        let (currency, balance) = store::balance(db, &c.customer_id)
            .await?
            .unwrap_or_default();
        let total = platform::paging::total(
            &self.state.cache,
            &totals::credits(&c.customer_id),
            "",
            store::ledger_len(db, &c.customer_id),
        )
        .await?;
        let mut entries = store::ledger(
            db,
            &c.customer_id,
            after.as_deref().unwrap_or_default(),
            page.skip(),
            page.take() + 1,
        )
        .await?;
        let next_cursor = page
            .last(&mut entries)
            .map(|e| e.entry_id.clone())
            .unwrap_or_default();
        Ok(pb::Credits {
            customer_id: c.customer_id,
            balance,
            currency,
            unbounded: c.parent_partner_id.is_empty(),
            items: entries.into_iter().map(to_pb).collect(),
            total,
            next_cursor,
        })
    }

    /// AllocateCredit, under the request's Idempotency-Key (`key`) if any.
    pub(super) async fn allocate(
        &self,
        req: Request<pb::AllocateCreditRequest>,
        key: Option<Key>,
    ) -> Result<pb::AllocateCreditResponse, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let c = self.customer(&ctx, &r.customer_id).await?;
        let mut v = Violations::new();
        let amount = v.check("amount", money::amount(r.amount));
        let currency = v.check("currency", money::currency(&r.currency));
        let note = v.check("note", money::note(&r.note));
        let (Some(amount), Some(currency), Some(note)) = (amount, currency, note) else {
            return Err(Error::Invalid(v.into_vec()));
        };
        // Credit flows down from the parent partner; a caller's own customer
        // has its parent above the caller, which the caller may not draw on.
        if ctx
            .principal
            .as_ref()
            .is_some_and(|p| p.customer_id == c.customer_id)
        {
            return Err(Error::Conflict(
                "credit comes from the parent partner: a partner cannot allocate to itself".into(),
            ));
        }
        if c.parent_partner_id.is_empty() {
            return Err(Error::Conflict(
                "the root distributor mints credit; nothing is allocated to it".into(),
            ));
        }
        let parent = self.customer(&ctx.internal(), &c.parent_partner_id).await?;
        let source = if parent.parent_partner_id.is_empty() {
            Source::Mint(&parent.customer_id)
        } else {
            Source::Parent(&parent.customer_id)
        };
        let outcome = store::allocate(
            &self.state.db,
            &Allocation {
                child_id: &c.customer_id,
                source,
                amount,
                currency: &currency,
                note: &note,
            },
            key.as_ref(),
            allocated,
        )
        .await?;
        match outcome {
            Ok(entry) => {
                // The child's ledger got its entry; a parent that gave
                // (rather than the root, which mints) got a `transfer`.
                let grew: &[&str] = match source {
                    Source::Parent(parent) => &[&c.customer_id, parent],
                    Source::Mint(_) => &[&c.customer_id],
                };
                totals::ledger_grew(&self.state.cache, grew).await;
                tracing::info!(
                    customer_id = c.customer_id,
                    from = parent.customer_id,
                    amount,
                    currency,
                    "credit allocated"
                );
                Ok(allocated(&entry))
            }
            Err(Refusal::Short { balance, currency }) => {
                Err(Error::InsufficientCredit { balance, currency })
            }
            Err(Refusal::Currency(held)) => Err(Error::Invalid(vec![(
                "currency".into(),
                format!("must be {held}, the currency of the credit already held"),
            )])),
        }
    }
}
