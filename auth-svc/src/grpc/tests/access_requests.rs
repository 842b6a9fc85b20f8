//! RequestApiAccess, ListApiAccess and DecideApiAccess.

use super::*;

#[tokio::test]
async fn access_request_pages_walk_newest_first_by_cursor() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (partner, contact) = (platform::id::new_id(), platform::id::new_id());
    let mut filed = Vec::new();
    for _ in 0..5 {
        let row = access_request::insert(&api.state.db, &partner, &contact, "")
            .await
            .expect("filed");
        filed.push(row.request_id);
    }
    filed.reverse();
    let page = |after: &str, take: i64| {
        api.list_api_access(Request::new(pb::ListApiAccessRequest {
            customer_id: partner.clone(),
            after: after.to_owned(),
            take,
            ..Default::default()
        }))
    };
    let mut walked = Vec::new();
    let mut after = String::new();
    loop {
        let p = page(&after, 2).await.expect("page").into_inner();
        assert_eq!(p.total, 5);
        walked.extend(p.requests.iter().map(|r| r.request_id.clone()));
        // One filed mid-walk is newer than the cursor: not met again.
        if walked.len() == 2 {
            access_request::insert(&api.state.db, &partner, &contact, "")
                .await
                .expect("filed");
        }
        if p.next_cursor.is_empty() {
            break;
        }
        after = p.next_cursor;
    }
    assert_eq!(walked, filed, "each request once, newest first");
    let bad = page("nope", 2).await.expect_err("not a cursor");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(fields(&bad), ["after"]);
}

#[tokio::test]
async fn an_access_request_is_decided_once() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let db = &api.state.db;
    let (partner, contact) = (platform::id::new_id(), platform::id::new_id());
    let first = access_request::insert(db, &partner, &contact, "")
        .await
        .expect("insert");
    let second = access_request::insert(db, &partner, &contact, "")
        .await
        .expect("insert");
    let decide = |customer_id: &str, request_id: &str, approve: bool| {
        api.decide_api_access(Request::new(pb::DecideApiAccessRequest {
            customer_id: customer_id.to_owned(),
            request_id: request_id.to_owned(),
            approve,
        }))
    };
    assert!(
        !access_request::approved_for(db, &partner, &contact)
            .await
            .expect("approved?")
    );

    let approved = decide(&partner, &first.request_id, true)
        .await
        .expect("approved")
        .into_inner();
    assert_eq!(approved.status, "approved");
    assert_ne!(approved.decided_at, "");
    assert!(
        access_request::approved_for(db, &partner, &contact)
            .await
            .expect("approved?")
    );
    assert!(
        !access_request::approved_for(db, &partner, &platform::id::new_id())
            .await
            .expect("approved?")
    );

    let again = decide(&partner, &first.request_id, false)
        .await
        .expect_err("decided");
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(again.message(), "the request is already approved");
    let elsewhere = decide(&platform::id::new_id(), &second.request_id, true)
        .await
        .expect_err("other partner");
    assert_eq!(elsewhere.code(), Code::NotFound);

    let rejected = decide(&partner, &second.request_id, false)
        .await
        .expect("rejected")
        .into_inner();
    assert_eq!(rejected.status, "rejected");
    assert_eq!(
        decide(&partner, &second.request_id, true)
            .await
            .expect_err("final")
            .message(),
        "the request is already rejected"
    );

    let listed = api
        .list_api_access(Request::new(pb::ListApiAccessRequest {
            customer_id: partner.clone(),
            ..Default::default()
        }))
        .await
        .expect("listed")
        .into_inner()
        .requests;
    let ids: Vec<&str> = listed.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(
        ids,
        [second.request_id.as_str(), first.request_id.as_str()],
        "newest first"
    );
    assert_eq!(listed[1].contact_ids, vec![contact.clone()]);
}

#[tokio::test]
async fn access_requests_need_an_owner() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (me, home, partner) = (
        platform::id::new_id(),
        platform::id::new_id(),
        platform::id::new_id(),
    );
    let own = principal(&me, &home, &[MANAGE_OWN]);
    let asked = api
        .request_api_access(acting(
            &own,
            pb::RequestApiAccessRequest {
                customer_id: partner.clone(),
                contact_ids: vec![me.clone()],
            },
        ))
        .await
        .expect_err("manage-own");
    assert_eq!(asked.code(), Code::PermissionDenied);
    let decided = api
        .decide_api_access(acting(
            &own,
            pb::DecideApiAccessRequest {
                customer_id: partner.clone(),
                request_id: platform::id::new_id(),
                approve: true,
            },
        ))
        .await
        .expect_err("manage-own");
    assert_eq!(decided.code(), Code::PermissionDenied);
    assert_eq!(
        decided.message(),
        "only an owner of an ancestor partner may decide"
    );

    let all = principal(&me, &home, &[MANAGE_ALL]);
    let bad = api
        .request_api_access(acting(
            &all,
            pb::RequestApiAccessRequest {
                customer_id: partner.clone(),
                contact_ids: vec![me.clone(), "nope".into()],
            },
        ))
        .await
        .expect_err("bad contact id");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(
        platform::status::field_violations(&bad)[0].0,
        "contactIDs[1]"
    );
}
