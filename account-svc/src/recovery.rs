//! Finishing what a failure interrupted: creates, deletes and restores of
//! failed setups. Every step is idempotent, so a retry, a second replica or
//! the periodic sweep may run them again safely.

use std::time::Duration;

use platform::context::CallContext;
use proto::auth::v1 as auth;
use proto::billing::v1 as billing;
use proto::contact::v1 as contact;

use crate::State;
use crate::error::Error;
use crate::store::{customer, failed_setup};

/// Removes every peer's data of a customer. Each call is idempotent.
async fn purge_peers(state: &State, ctx: &CallContext, customer_id: &str) -> Result<(), Error> {
    let id = customer_id.to_owned();
    state
        .auth
        .clone()
        .delete_customer_clients(ctx.request(auth::DeleteCustomerClientsRequest {
            customer_id: id.clone(),
        }))
        .await
        .map_err(Error::Upstream)?;
    state
        .contacts
        .clone()
        .delete_customer_contacts(ctx.request(contact::DeleteCustomerContactsRequest {
            customer_id: id.clone(),
        }))
        .await
        .map_err(Error::Upstream)?;
    state
        .billing
        .clone()
        .delete_customer_billing(
            ctx.request(billing::DeleteCustomerBillingRequest { customer_id: id }),
        )
        .await
        .map_err(Error::Upstream)?;
    Ok(())
}

/// Undoes a create that did not finish: the peers' parts, then the hidden row.
pub async fn undo_create(state: &State, ctx: &CallContext, customer_id: &str) -> Result<(), Error> {
    purge_peers(state, ctx, customer_id).await?;
    customer::remove(&state.db, customer_id).await
}

/// Ends a delete whose tombstone is written: the peers' parts, then the row.
pub async fn finish_delete(
    state: &State,
    ctx: &CallContext,
    customer_id: &str,
) -> Result<(), Error> {
    purge_peers(state, ctx, customer_id).await?;
    customer::remove(&state.db, customer_id).await
}

/// How long a create, delete or restore may run before the sweep treats it as
/// interrupted; far above any request deadline.
const STUCK_AFTER: time::Duration = time::Duration::minutes(2);
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Runs forever (the caller aborts it at shutdown): every interval, finishes
/// interrupted creates, deletes and restores.
pub async fn sweep(state: State) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = sweep_once(&state).await {
            tracing::warn!(error = %e, "recovery sweep incomplete; will retry");
        }
    }
}

pub async fn sweep_once(state: &State) -> Result<(), Error> {
    let before = platform::id::rfc3339(time::OffsetDateTime::now_utc() - STUCK_AFTER);
    let ctx = CallContext::new(None, None, Some(Duration::from_secs(10)));
    for c in customer::stuck(&state.db, "provisioning", &before).await? {
        undo_create(state, &ctx, &c.customer_id).await?;
        tracing::info!(customer_id = c.customer_id, "interrupted create undone");
    }
    for c in customer::stuck(&state.db, "deleting", &before).await? {
        finish_delete(state, &ctx, &c.customer_id).await?;
        tracing::info!(customer_id = c.customer_id, "interrupted delete finished");
    }
    // After the creates, so the customer an interrupted restore left half
    // made is usually undone by the time its setup is looked at.
    for f in failed_setup::stuck(&state.db, &before).await? {
        let id = f.failed_setup_id.as_str();
        let created = customer::find(&state.db, &f.customer_id).await?;
        match created.as_ref().map(|c| c.status.as_str()) {
            // The restore got as far as the customer: only its last write
            // was lost.
            Some("active" | "deleting") => {
                failed_setup::mark_restored(&state.db, id, &f.customer_id).await?;
                tracing::info!(failed_setup_id = id, "interrupted restore closed");
            }
            // The create sweep undoes the customer first; the next pass
            // reopens the setup, so a new restore does not meet its name.
            Some(_) => {}
            None => {
                failed_setup::release(&state.db, id).await?;
                tracing::info!(failed_setup_id = id, "interrupted restore reopened");
            }
        }
    }
    Ok(())
}
