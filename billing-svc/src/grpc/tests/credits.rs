//! AllocateCredit under an Idempotency-Key, and the credit ledger's
//! keyset paging and totals.

use platform::idempotency::is_replayed;

use super::*;

fn allocation(customer_id: &str, amount: i64) -> pb::AllocateCreditRequest {
    pb::AllocateCreditRequest {
        customer_id: customer_id.to_owned(),
        amount,
        currency: "EUR".into(),
        note: "prepaid".into(),
    }
}

fn keyed<T>(ctx: &CallContext, message: T, key: &str, hash: &str) -> Request<T> {
    idempotency::keyed(ctx.request(message), key, hash)
}

async fn ledger_of(t: &TestApi, customer_id: &str) -> Vec<crate::store::credit::Entry> {
    crate::store::credit::ledger(&t.api.state.db, customer_id, "", 0, 100)
        .await
        .expect("ledger")
}

#[tokio::test]
async fn an_allocation_repeated_under_its_key_answers_the_first_and_moves_credit_once() {
    let tree = Tree::new();
    let t = tree.api().await;
    let ctx = tree.root_owner();
    let first = t
        .api
        .allocate_credit(keyed(&ctx, allocation(&tree.partner, 1000), "k1", "h1"))
        .await
        .expect("allocated");
    assert!(!is_replayed(&first));
    let first = first.into_inner();
    assert_eq!(first.balance, 1000);
    let again = t
        .api
        .allocate_credit(keyed(&ctx, allocation(&tree.partner, 1000), "k1", "h1"))
        .await
        .expect("replayed");
    assert!(is_replayed(&again), "marked x-idempotent-replayed");
    assert_eq!(again.into_inner(), first);
    assert_eq!(ledger_of(&t, &tree.partner).await.len(), 1, "one entry");
    let balance = crate::store::credit::balance(&t.api.state.db, &tree.partner)
        .await
        .expect("balance");
    assert_eq!(balance, Some(("EUR".to_owned(), 1000)), "credited once");
}

#[tokio::test]
async fn an_allocation_key_reused_for_another_request_is_refused_and_moves_nothing() {
    let tree = Tree::new();
    let t = tree.api().await;
    let ctx = tree.root_owner();
    t.api
        .allocate_credit(keyed(&ctx, allocation(&tree.partner, 1000), "k1", "h1"))
        .await
        .expect("allocated");
    let err = t
        .api
        .allocate_credit(keyed(&ctx, allocation(&tree.partner, 2000), "k1", "h2"))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        platform::status::reason(&err).map(|(r, _)| r).as_deref(),
        Some("IDEMPOTENCY_KEY_REUSED")
    );
    assert_eq!(ledger_of(&t, &tree.partner).await.len(), 1);
}

#[tokio::test]
async fn a_refused_allocation_frees_its_key_for_a_corrected_retry() {
    let tree = Tree::new();
    let t = tree.api().await;
    let ctx = tree.root_owner();
    t.api
        .allocate_credit(ctx.request(allocation(&tree.partner, 1000)))
        .await
        .expect("minted to the partner");
    let err = t
        .api
        .allocate_credit(keyed(&ctx, allocation(&tree.reseller, 5000), "k1", "h1"))
        .await
        .expect_err("the partner holds 1000");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        platform::status::reason(&err).map(|(r, _)| r).as_deref(),
        Some("INSUFFICIENT_CREDIT")
    );
    let retried = t
        .api
        .allocate_credit(keyed(&ctx, allocation(&tree.reseller, 500), "k1", "h2"))
        .await
        .expect("the key was released");
    assert!(!is_replayed(&retried));
    assert_eq!(retried.into_inner().balance, 500);
    assert_eq!(ledger_of(&t, &tree.reseller).await.len(), 1);
}

async fn credits_page(t: &TestApi, customer_id: &str, take: i64, after: &str) -> pb::Credits {
    t.api
        .get_credits(Request::new(pb::GetCreditsRequest {
            customer_id: customer_id.to_owned(),
            take,
            after: after.to_owned(),
            ..Default::default()
        }))
        .await
        .expect("credits")
        .into_inner()
}

#[tokio::test]
async fn a_ledger_walked_with_after_meets_each_entry_once_newest_first() {
    let tree = Tree::new();
    let t = tree.api().await;
    let ctx = tree.root_owner();
    for amount in 1..=12 {
        t.api
            .allocate_credit(ctx.request(allocation(&tree.partner, amount)))
            .await
            .expect("minted");
    }
    let expected: Vec<String> = ledger_of(&t, &tree.partner)
        .await
        .into_iter()
        .map(|e| e.entry_id)
        .collect();
    let mut seen = Vec::new();
    let mut after = String::new();
    let mut pages = Vec::new();
    loop {
        let page = credits_page(&t, &tree.partner, 5, &after).await;
        if seen.is_empty() {
            // Written during the walk: newer than every cursor, so not met.
            t.api
                .allocate_credit(ctx.request(allocation(&tree.partner, 100)))
                .await
                .expect("minted");
        }
        pages.push((page.items.len(), !page.next_cursor.is_empty()));
        seen.extend(page.items.into_iter().map(|e| e.entry_id));
        if page.next_cursor.is_empty() {
            break;
        }
        assert_eq!(Some(&page.next_cursor), seen.last(), "the last id seen");
        after = page.next_cursor;
    }
    assert_eq!(pages, [(5, true), (5, true), (2, false)]);
    assert_eq!(seen, expected, "each entry once, newest first");
}

#[tokio::test]
async fn a_ledger_total_counts_afresh_when_either_side_of_an_allocation_gets_an_entry() {
    let tree = Tree::new();
    let t = tree.api().await;
    let ctx = tree.root_owner();
    t.api
        .allocate_credit(ctx.request(allocation(&tree.partner, 1000)))
        .await
        .expect("minted");
    assert_eq!(credits_page(&t, &tree.partner, 10, "").await.total, 1);
    assert_eq!(credits_page(&t, &tree.reseller, 10, "").await.total, 0);
    t.api
        .allocate_credit(ctx.request(allocation(&tree.reseller, 100)))
        .await
        .expect("allocated");
    assert_eq!(
        credits_page(&t, &tree.partner, 10, "").await.total,
        2,
        "the giver's transfer"
    );
    assert_eq!(
        credits_page(&t, &tree.reseller, 10, "").await.total,
        1,
        "the receiver's allocation"
    );
}
