//! Closing billing periods: one invoice per account for a calendar month
//! that has ended, billed to whoever pays by the account's payment method
//! at closing time (the parent partner for paperCheck). The ClosePeriod
//! call, the `close-period` command and the scheduled closer all come here.
//! Each invoice commits on its own and the (customer, period) key refuses a
//! second one, so a close that stops half way is finished by running it
//! again.

use std::collections::HashMap;
use std::time::Duration;

use platform::grpc::Peer;
use proto::account::v1 as account_pb;
use proto::account::v1::account_service_client::AccountServiceClient;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::State;
use crate::domain::PaymentType;
use crate::domain::invoice::{Period, Price, billed_to, draft};
use crate::error::Error;
use crate::store::invoice::{self, Issued};
use crate::store::{payment_method, usage};
use crate::totals;

/// How many invoices a close created, and how many accounts had one already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Closed {
    pub created: i64,
    pub existing: i64,
}

const PAGE: i64 = 500;

/// Each plan's prices, by plan name, as account-svc lists them.
async fn plan_prices(
    accounts: &mut AccountServiceClient<Peer>,
) -> Result<HashMap<String, Vec<Price>>, Error> {
    Ok(accounts
        .list_plans(account_pb::ListPlansRequest {})
        .await?
        .into_inner()
        .plans
        .into_iter()
        .map(|p| {
            let prices = p
                .prices
                .into_iter()
                .map(|x| Price {
                    item: x.item,
                    amount: x.amount,
                    currency: x.currency,
                    per: x.per.max(1),
                })
                .collect();
            (p.name, prices)
        })
        .collect())
}

/// Invoices every account that existed by the end of `period`. The caller
/// checks that the period has ended.
pub async fn close_period(state: &State, period: Period) -> Result<Closed, Error> {
    let mut accounts = state.accounts.clone();
    let plans = plan_prices(&mut accounts).await?;
    let (start, end) = (period.start(), period.end());
    let (from, to) = (platform::id::rfc3339(start), platform::id::rfc3339(end));
    let period_name = period.to_string();
    let mut closed = Closed::default();
    let mut after = String::new();
    loop {
        let page = accounts
            .list_customers(account_pb::ListCustomersRequest {
                take: PAGE,
                after: after.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        for c in &page.items {
            let is_account = c.kind == account_pb::CustomerKind::Account as i32;
            let existed = OffsetDateTime::parse(&c.purchase_date, &Rfc3339).is_ok_and(|t| t < end);
            if !is_account || !existed {
                continue;
            }
            let prices = plans
                .get(&c.plan_name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let used = usage::per_meter(&state.db, &c.customer_id, &from, &to).await?;
            let d = draft(&c.plan_name, prices, &used);
            // The payment method as it stands now, at closing time. A type
            // stored before the rules parsed it counts as no method: the
            // account pays itself.
            let payment = payment_method::find(&state.db, &c.customer_id)
                .await?
                .and_then(|m| PaymentType::parse(&m.payment_type).ok());
            let payer = billed_to(payment, &c.customer_id, &c.parent_partner_id);
            match invoice::issue(
                &state.db,
                &c.customer_id,
                payer,
                &period_name,
                &c.plan_name,
                &d,
            )
            .await?
            {
                Issued::Created { credits_applied } => {
                    totals::invoice_issued(&state.cache, &c.customer_id, credits_applied > 0).await;
                    closed.created += 1;
                }
                Issued::Existing => closed.existing += 1,
            }
        }
        if page.next_cursor.is_empty() {
            break;
        }
        after = page.next_cursor;
    }
    tracing::info!(
        period = period_name,
        created = closed.created,
        existing = closed.existing,
        "billing period closed"
    );
    Ok(closed)
}

/// Closes the previous month now and then every `every`: the first close of
/// a month invoices it, later ones find every invoice in place. Runs until
/// the task is dropped.
pub async fn run_closer(state: State, every: Duration) {
    // Let the peers finish starting before the first close.
    tokio::time::sleep(Duration::from_secs(30).min(every)).await;
    loop {
        let period = Period::previous(OffsetDateTime::now_utc());
        if let Err(e) = close_period(&state, period).await {
            tracing::warn!(period = %period, error = %e, "closing the billing period failed; next try later");
        }
        tokio::time::sleep(every).await;
    }
}
