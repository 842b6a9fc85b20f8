//! Failed setups: kept, listed, restored, swept.

use super::*;

const BLACKLISTED: &str = "4100000000000019";

fn blacklisted() -> Refused {
    Refused {
        refusal: SetupRefusal::Blacklisted,
        code: "BL".into(),
        message: "Card is blacklisted".into(),
    }
}

/// Keeps a refused create below `parent` as the create flow does.
async fn keep(api: &AccountApi, parent: &CustomerRow, name: &str) -> FailedSetupRow {
    let request = pb::CreateCustomerRequest {
        account_name: name.into(),
        ..account_request("4100 0000 0000 0019")
    };
    let name = AccountName::parse(name).expect("name");
    let kept = Kept {
        request: &request,
        parent: Some(parent),
        name: &name,
        plan_name: "starter",
    };
    let id = api
        .keep_failed_setup(&kept, &blacklisted(), Origin::Request)
        .await
        .expect("kept");
    store_failed_setup::find(&api.state.db, &id)
        .await
        .expect("find")
        .expect("stored")
}

async fn list_setups(
    api: &AccountApi,
    caller: Option<&CustomerRow>,
    skip: i64,
    take: i64,
) -> Result<pb::ListFailedSetupsResponse, Status> {
    let message = pb::ListFailedSetupsRequest {
        skip,
        take,
        ..Default::default()
    };
    let req = match caller {
        Some(home) => as_caller(home, message),
        None => Request::new(message),
    };
    api.list_failed_setups(req).await.map(Response::into_inner)
}

fn restore_request(id: &str) -> pb::RestoreFailedSetupRequest {
    pb::RestoreFailedSetupRequest {
        failed_setup_id: id.into(),
        payment: account_request("4111111111111111").payment,
        owner_password: "Zq8!unique-pass".into(),
    }
}

#[test]
fn only_a_blacklisted_or_fraudulent_card_keeps_a_failed_setup() {
    let answer = |reason: &str, code: &str| {
        platform::status::with_reason(
            Code::FailedPrecondition,
            "card declined",
            reason,
            std::collections::HashMap::from([
                ("code".to_owned(), code.to_owned()),
                ("reason".to_owned(), "why".to_owned()),
            ]),
        )
    };
    let bl = refusal(&answer("CARD_BLACKLISTED", "BL")).expect("blacklisted");
    assert_eq!(
        (bl.refusal, bl.code.as_str(), bl.message.as_str()),
        (SetupRefusal::Blacklisted, "BL", "why")
    );
    let fr = refusal(&answer("FRAUD_SUSPECTED", "FR")).expect("fraud");
    assert_eq!(fr.refusal, SetupRefusal::FraudSuspected);
    assert!(refusal(&answer("CARD_DECLINED", "05")).is_none());
    assert!(refusal(&Status::unavailable("card processor is unavailable")).is_none());
}

#[tokio::test]
async fn a_kept_setup_has_brand_last4_and_its_parent_but_no_secrets() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let f = keep(&api, &partner, "acme").await;
    assert_eq!(
        (
            f.parent_id.as_str(),
            f.parent_path.as_str(),
            f.status.as_str()
        ),
        (partner.customer_id.as_str(), partner.path.as_str(), "open")
    );
    assert_eq!(
        (
            f.reason.as_str(),
            f.code.as_str(),
            f.brand.as_str(),
            f.last4.as_str()
        ),
        ("blacklisted", "BL", "VISA", "0019")
    );
    let request = failed_setup::decode_request(&f.request).expect("decodes");
    // The parent as resolved, so a restore from further up lands here too.
    assert_eq!(request.parent_partner_id, partner.customer_id);
    let card = request.payment.and_then(|p| p.credit_card).expect("card");
    assert!(card.card_number.is_empty() && card.security_code.is_empty());
    assert!(request.owner.expect("owner").password.is_empty());
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &f.request)
        .expect("base64");
    assert!(
        !bytes
            .windows(BLACKLISTED.len())
            .any(|w| w == BLACKLISTED.as_bytes())
    );
}

#[tokio::test]
async fn failed_setups_are_listed_within_the_callers_subtree_newest_first() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let mine = insert_active(&api, "partner", Some(&root)).await;
    let below = insert_active(&api, "partner", Some(&mine)).await;
    let other = insert_active(&api, "partner", Some(&root)).await;
    keep(&api, &mine, "first").await;
    keep(&api, &other, "theirs").await;
    let newest = keep(&api, &below, "second").await;

    let page = list_setups(&api, Some(&mine), 0, 0).await.expect("list");
    let names: Vec<&str> = page.items.iter().map(|f| f.account_name.as_str()).collect();
    assert_eq!((names, page.total), (vec!["second", "first"], 2));
    let item = &page.items[0];
    assert_eq!(item.failed_setup_id, newest.failed_setup_id);
    assert_eq!(
        (
            item.status.as_str(),
            item.customer_id.as_str(),
            item.last4.as_str()
        ),
        ("open", "", "0019")
    );
    assert_eq!(
        list_setups(&api, Some(&other), 0, 0)
            .await
            .expect("theirs")
            .total,
        1
    );
    let all = list_setups(&api, None, 1, 1).await.expect("internal");
    assert_eq!((all.items.len(), all.total), (1, 3));

    let bad = list_setups(&api, Some(&mine), -1, 1001)
        .await
        .expect_err("bad paging");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(fields(&bad), ["skip", "take"]);
}

#[tokio::test]
async fn failed_setups_walk_by_cursor_newest_first_and_count_a_new_one_at_once() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let mut kept = Vec::new();
    for n in 0..5 {
        kept.push(
            keep(&api, &root, &format!("setup{n}"))
                .await
                .failed_setup_id,
        );
    }
    kept.reverse();
    let page = |after: String, skip: i64| {
        let api = &api;
        async move {
            let message = pb::ListFailedSetupsRequest {
                skip,
                take: 2,
                after,
            };
            api.list_failed_setups(Request::new(message))
                .await
                .map(Response::into_inner)
        }
    };
    let mut walked = Vec::new();
    let mut after = String::new();
    loop {
        let p = page(after, 0).await.expect("page");
        assert_eq!(p.total, 5);
        walked.extend(p.items.iter().map(|f| f.failed_setup_id.clone()));
        if p.next_cursor.is_empty() {
            break;
        }
        assert_eq!(
            Some(&p.next_cursor),
            walked.last(),
            "the cursor is the last id"
        );
        after = p.next_cursor;
    }
    assert_eq!(walked, kept, "each once, newest first");
    // `skip` counts after the cursor; the page ending at the last item
    // has no cursor.
    let tail = page(kept[1].clone(), 1).await.expect("skip after cursor");
    let ids: Vec<&str> = tail
        .items
        .iter()
        .map(|f| f.failed_setup_id.as_str())
        .collect();
    assert_eq!(ids, [kept[3].as_str(), kept[4].as_str()]);
    assert!(tail.next_cursor.is_empty());

    keep(&api, &root, "setup5").await;
    assert_eq!(page(String::new(), 0).await.expect("page").total, 6);

    let bad = page("not-a-cursor".into(), 0)
        .await
        .expect_err("bad cursor");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(fields(&bad), ["after"]);
}

#[tokio::test]
async fn a_setup_outside_the_callers_subtree_is_not_found() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let mine = insert_active(&api, "partner", Some(&root)).await;
    let other = insert_active(&api, "partner", Some(&root)).await;
    let theirs = keep(&api, &other, "acme").await;
    for id in [
        theirs.failed_setup_id.as_str(),
        &platform::id::new_id(),
        "x",
    ] {
        let e = api
            .restore_failed_setup(as_caller(&mine, restore_request(id)))
            .await
            .expect_err("not visible");
        assert_eq!(e.code(), Code::NotFound, "{id}");
    }
}

#[tokio::test]
async fn a_restore_needs_a_payment_and_the_owners_password() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let f = keep(&api, &partner, "acme").await;
    let e = api
        .restore_failed_setup(as_caller(
            &partner,
            pb::RestoreFailedSetupRequest {
                failed_setup_id: f.failed_setup_id.clone(),
                payment: None,
                owner_password: String::new(),
            },
        ))
        .await
        .expect_err("missing input");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(fields(&e), ["payment", "ownerPassword"]);
    let after = store_failed_setup::find(&api.state.db, &f.failed_setup_id)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(after.status, "open");
}

#[tokio::test]
async fn a_restored_or_restoring_setup_is_not_restored_again() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let f = keep(&api, &partner, "acme").await;
    let id = f.failed_setup_id.as_str();
    let db = &api.state.db;

    assert!(store_failed_setup::claim(db, id, "c").await.expect("claim"));
    let busy = api
        .restore_failed_setup(as_caller(&partner, restore_request(id)))
        .await
        .expect_err("restoring");
    assert_eq!(busy.code(), Code::FailedPrecondition);

    assert!(
        store_failed_setup::mark_restored(db, id, "c")
            .await
            .expect("restored")
    );
    let done = api
        .restore_failed_setup(as_caller(&partner, restore_request(id)))
        .await
        .expect_err("restored");
    assert_eq!(done.code(), Code::FailedPrecondition);
    assert_eq!(done.message(), "the failed setup was restored already");
    let listed = list_setups(&api, Some(&partner), 0, 0).await.expect("list");
    assert_eq!(
        (
            listed.items[0].status.as_str(),
            listed.items[0].customer_id.as_str()
        ),
        ("restored", "c")
    );
}

#[tokio::test]
async fn a_restore_that_fails_leaves_the_setup_open() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let f = keep(&api, &partner, "acme").await;
    // contact-svc is unreachable in these tests, so the create's
    // validation fails before anything is stored.
    let e = api
        .restore_failed_setup(as_caller(&partner, restore_request(&f.failed_setup_id)))
        .await
        .expect_err("peer down");
    assert_eq!(e.code(), Code::Unavailable);
    let after = store_failed_setup::find(&api.state.db, &f.failed_setup_id)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(
        (after.status.as_str(), after.customer_id.as_str()),
        ("open", "")
    );
    assert!(
        !customer::user_name_taken(&api.state.db, "acme")
            .await
            .expect("name")
    );
}

#[tokio::test]
async fn the_sweep_reopens_an_interrupted_restore_or_closes_a_finished_one() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let created = insert_active(&api, "account", Some(&partner)).await;
    let db = &api.state.db;
    let lost = keep(&api, &partner, "lost").await;
    let done = keep(&api, &partner, "done").await;
    let running = keep(&api, &partner, "running").await;
    let missing = platform::id::new_id();
    for (f, customer_id) in [
        (&lost, missing.as_str()),
        (&done, created.customer_id.as_str()),
        (&running, missing.as_str()),
    ] {
        assert!(
            store_failed_setup::claim(db, &f.failed_setup_id, customer_id)
                .await
                .expect("claim")
        );
    }
    let long_ago =
        platform::id::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::minutes(3));
    for f in [&lost, &done] {
        sqlx::query("update failed_setup set updated_at = $1 where failed_setup_id = $2")
            .bind(&long_ago)
            .bind(&f.failed_setup_id)
            .execute(&db.pool)
            .await
            .expect("backdate");
    }

    recovery::sweep_once(&api.state).await.expect("sweep");
    recovery::sweep_once(&api.state).await.expect("idempotent");
    let status = |f: &FailedSetupRow| {
        let id = f.failed_setup_id.clone();
        async move {
            let row = store_failed_setup::find(db, &id)
                .await
                .expect("find")
                .expect("row");
            (row.status, row.customer_id)
        }
    };
    assert_eq!(status(&lost).await, ("open".into(), String::new()));
    assert_eq!(
        status(&done).await,
        ("restored".into(), created.customer_id.clone())
    );
    assert_eq!(status(&running).await, ("restoring".into(), missing));
}
