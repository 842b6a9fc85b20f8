//! CreateClient, ListClients, GetClient, DeleteClient, RotateSecret and
//! the removal of a contact's or customer's clients.

use super::*;

#[tokio::test]
async fn internal_callers_list_clients_by_contact_or_customer() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (contact_id, customer_id) = (platform::id::new_id(), platform::id::new_id());
    let (mine, _) = put_client(&api, &contact_id, &customer_id, "/r/").await;

    let listed = api
        .list_clients(Request::new(pb::ListClientsRequest {
            contact_id: contact_id.clone(),
            ..Default::default()
        }))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.clients.len(), 1);
    assert_eq!(listed.clients[0].client_id, mine.client_id);
    let other = api
        .list_clients(Request::new(pb::ListClientsRequest {
            customer_id: platform::id::new_id(),
            ..Default::default()
        }))
        .await
        .expect("listed")
        .into_inner();
    assert!(other.clients.is_empty());
    let none = api
        .list_clients(Request::new(pb::ListClientsRequest::default()))
        .await
        .expect_err("no filter");
    assert_eq!(none.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn client_pages_walk_by_cursor_in_id_order_with_a_total_that_follows_deletes() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (me, home) = (platform::id::new_id(), platform::id::new_id());
    let mut mine = Vec::new();
    for _ in 0..5 {
        mine.push(
            put_client(&api, &me, &home, "/root/home/")
                .await
                .0
                .client_id,
        );
    }
    put_client(&api, &platform::id::new_id(), &home, "/root/home/").await;
    let own = principal(&me, &home, &[MANAGE_OWN]);
    let page = |after: &str, skip: i64, take: i64| {
        api.list_clients(acting(
            &own,
            pb::ListClientsRequest {
                after: after.to_owned(),
                skip,
                take,
                ..Default::default()
            },
        ))
    };
    let mut walked = Vec::new();
    let mut after = String::new();
    loop {
        let p = page(&after, 0, 2).await.expect("page").into_inner();
        assert_eq!(p.total, 5, "another contact's client is not counted");
        walked.extend(p.clients.iter().map(|c| c.client_id.clone()));
        if p.next_cursor.is_empty() {
            break;
        }
        assert_eq!(p.clients.len(), 2, "a page with more to follow is full");
        after = p.next_cursor;
    }
    assert_eq!(walked, mine, "each client once, in id order");
    let skipped = page(&mine[0], 1, 2).await.expect("page").into_inner();
    let ids: Vec<&str> = skipped
        .clients
        .iter()
        .map(|c| c.client_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [mine[2].as_str(), mine[3].as_str()],
        "skip counts past the cursor"
    );
    assert_eq!(skipped.next_cursor, mine[3]);
    let exact = page(&mine[2], 0, 2).await.expect("page").into_inner();
    assert_eq!(exact.next_cursor, "", "nothing follows an exact fit");
    // A bootstrap client's chosen id is a cursor too; a URL is not.
    assert!(page("root-bootstrap", 0, 2).await.is_ok());
    let bad = page("https://x/", 0, 2).await.expect_err("not a cursor");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(fields(&bad), ["after"]);
    let bad = page("", -1, 1001).await.expect_err("bad paging");
    assert_eq!(fields(&bad), ["skip", "take"]);

    // The total is cached between pages, and a delete counts afresh.
    api.delete_client(acting(
        &own,
        pb::DeleteClientRequest {
            client_id: mine[0].clone(),
        },
    ))
    .await
    .expect("deleted");
    assert_eq!(page("", 0, 2).await.expect("page").get_ref().total, 4);
}

#[tokio::test]
async fn a_bootstrap_client_takes_its_given_secret_and_keeps_its_id() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (contact_id, customer_id) = (platform::id::new_id(), platform::id::new_id());
    let (first_hmac, second_hmac) = (
        api.state.key.secret_hmac("first-secret-0123"),
        api.state.key.secret_hmac("second-secret-0123"),
    );
    let given = NewClient {
        client_id: "root-client",
        contact_id: &contact_id,
        customer_id: &customer_id,
        customer_path: "/root/",
        name: "bootstrap",
        secret_hmac: &first_hmac,
    };

    let first = api.put_given_client(&given).await.expect("created");
    assert_eq!(first.name, "bootstrap");
    assert!(verify(&api, "root-client", "first-secret-0123").await);
    let again = api
        .put_given_client(&NewClient {
            secret_hmac: &second_hmac,
            ..given
        })
        .await
        .expect("updated");
    assert_eq!(again.client_id, first.client_id);
    assert!(verify(&api, "root-client", "second-secret-0123").await);
    assert!(!verify(&api, "root-client", "first-secret-0123").await);

    let taken = api
        .put_given_client(&NewClient {
            contact_id: "another-contact",
            ..given
        })
        .await
        .expect_err("another contact");
    assert!(matches!(taken, Error::ClientIdTaken));
}

#[tokio::test]
async fn create_client_checks_what_it_can_before_asking_peers() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (me, home) = (platform::id::new_id(), platform::id::new_id());
    let request = |contact_id: &str, name: &str| pb::CreateClientRequest {
        contact_id: contact_id.to_owned(),
        customer_id: String::new(),
        name: name.to_owned(),
        client_id: String::new(),
        client_secret: String::new(),
    };

    let unnamed = api
        .create_client(Request::new(pb::CreateClientRequest {
            customer_id: home.clone(),
            ..request(&me, " ")
        }))
        .await
        .expect_err("no name");
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    assert_eq!(platform::status::field_violations(&unnamed)[0].0, "name");

    let no_permission = api
        .create_client(acting(
            &principal(&me, &home, &["accounts:read"]),
            request(&me, "ci"),
        ))
        .await
        .expect_err("no permission");
    assert_eq!(no_permission.code(), Code::PermissionDenied);
    assert_eq!(
        no_permission.message(),
        "missing permission clients:manage-own"
    );

    let own = principal(&me, &home, &[MANAGE_OWN]);
    let for_another = api
        .create_client(acting(&own, request(&platform::id::new_id(), "ci")))
        .await
        .expect_err("another contact");
    assert_eq!(for_another.code(), Code::PermissionDenied);

    let chosen_secret = api
        .create_client(acting(
            &own,
            pb::CreateClientRequest {
                client_id: "mine".into(),
                client_secret: "my-own-secret-value".into(),
                ..request(&me, "ci")
            },
        ))
        .await
        .expect_err("chosen secret");
    assert_eq!(chosen_secret.code(), Code::InvalidArgument);

    // Everything else needs the peers.
    let onward = api
        .create_client(acting(&own, request(&me, "ci")))
        .await
        .expect_err("peers down");
    assert_eq!(onward.code(), Code::Unavailable);
    let listed = stored_clients(&api, &me).await;
    assert!(listed.is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_principal_sees_only_the_clients_it_may_manage() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (me, home) = (platform::id::new_id(), platform::id::new_id());
    let (mine, _) = put_client(&api, &me, &home, "/root/home/").await;
    let (theirs, _) = put_client(&api, &platform::id::new_id(), &home, "/root/home/").await;
    let get = |p: &Principal, client_id: &str| {
        api.get_client(acting(
            p,
            pb::GetClientRequest {
                client_id: client_id.to_owned(),
            },
        ))
    };

    let own = principal(&me, &home, &[MANAGE_OWN]);
    assert_eq!(
        get(&own, &mine.client_id)
            .await
            .expect("mine")
            .get_ref()
            .client_id,
        mine.client_id
    );
    let hidden = get(&own, &theirs.client_id).await.expect_err("theirs");
    let missing = get(&own, &platform::id::new_id())
        .await
        .expect_err("missing");
    assert_eq!(hidden.code(), Code::NotFound);
    assert_eq!(
        (hidden.code(), hidden.message()),
        (missing.code(), missing.message()),
        "another's client looks exactly like a missing one"
    );
    let listed = api
        .list_clients(acting(&own, pb::ListClientsRequest::default()))
        .await
        .expect("listed")
        .into_inner()
        .clients;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_id, mine.client_id);

    let nothing = principal(&me, &home, &["accounts:read"]);
    assert_eq!(
        get(&nothing, &mine.client_id)
            .await
            .expect_err("no permission")
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        api.list_clients(acting(&nothing, pb::ListClientsRequest::default()))
            .await
            .expect_err("no permission")
            .code(),
        Code::PermissionDenied
    );

    // manage-all needs the principal's home path for another's client.
    let all = principal(&me, &home, &[MANAGE_ALL]);
    assert_eq!(
        get(&all, &mine.client_id)
            .await
            .expect("own, no peer needed")
            .get_ref()
            .client_id,
        mine.client_id
    );
    assert_eq!(
        get(&all, &theirs.client_id)
            .await
            .expect_err("account-svc down")
            .code(),
        Code::Unavailable
    );

    let deleted = api
        .delete_client(acting(
            &own,
            pb::DeleteClientRequest {
                client_id: theirs.client_id.clone(),
            },
        ))
        .await
        .expect_err("not its own");
    assert_eq!(deleted.code(), Code::NotFound);
    assert!(
        client::find(&api.state.db, &theirs.client_id)
            .await
            .expect("find")
            .is_some()
    );
}

#[tokio::test]
async fn deleting_a_contacts_clients_revokes_their_tokens_and_spares_the_rest() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let db = &api.state.db;
    let (gone, stays) = (platform::id::new_id(), platform::id::new_id());
    let (home, second) = (platform::id::new_id(), platform::id::new_id());
    // The contact's clients on two customers, and another contact's on one.
    let (first, _) = put_client(&api, &gone, &home, "/root/home/").await;
    let (other, _) = put_client(&api, &gone, &second, "/root/second/").await;
    let (kept, _) = put_client(&api, &stays, &home, "/root/home/").await;
    let tokens = [
        put_token(&api, &first, "").await,
        put_token(&api, &other, "").await,
    ];
    let kept_token = put_token(&api, &kept, "").await;
    let key = |t: &str| platform::cache::token_key(&token_hash(t));
    for t in tokens.iter().chain([&kept_token]) {
        api.state
            .cache
            .set(&key(t), "cached", std::time::Duration::from_secs(60))
            .await;
    }

    let remove = |contact_id: &str| {
        api.delete_contact_clients(Request::new(pb::DeleteContactClientsRequest {
            contact_id: contact_id.to_owned(),
        }))
    };
    remove(&gone).await.expect("removed");
    remove(&gone).await.expect("removing again is fine");

    let now = platform::id::unix_now();
    for c in [&first, &other] {
        assert!(
            client::find(db, &c.client_id)
                .await
                .expect("find")
                .is_none()
        );
    }
    for t in &tokens {
        assert!(
            token::find_live(db, &token_hash(t), now)
                .await
                .expect("find")
                .is_none()
        );
        assert_eq!(api.state.cache.get(&key(t)).await, None);
    }
    assert!(
        client::find(db, &kept.client_id)
            .await
            .expect("find")
            .is_some()
    );
    assert!(
        token::find_live(db, &token_hash(&kept_token), now)
            .await
            .expect("find")
            .is_some()
    );
    assert!(api.state.cache.get(&key(&kept_token)).await.is_some());

    // A token issue racing the removal finds no client to issue for.
    let late = token_hash(&new_token());
    let t = NewToken {
        token_hash: &late,
        client_id: &first.client_id,
        contact_id: &gone,
        customer_id: &home,
        roles: "Owner",
        scopes: "",
        issued_at: now,
        expires_at: now + 60,
    };
    assert!(!token::issue(db, &t).await.expect("issue"));

    for bad in ["", "x", &gone.to_uppercase()] {
        let e = remove(bad).await.expect_err("not an id");
        assert_eq!(e.code(), Code::InvalidArgument, "{bad:?}");
        let fields: Vec<String> = platform::status::field_violations(&e)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["contactID"]);
    }
}

#[tokio::test]
async fn deleting_a_client_revokes_its_tokens_at_once() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (me, home) = (platform::id::new_id(), platform::id::new_id());
    let (mine, _) = put_client(&api, &me, &home, "/root/home/").await;
    let (kept, _) = put_client(&api, &me, &home, "/root/home/").await;
    let token = put_token(&api, &mine, "").await;
    let other_token = put_token(&api, &kept, "").await;
    let cache_key = platform::cache::token_key(&token_hash(&token));
    api.state
        .cache
        .set(&cache_key, "cached", std::time::Duration::from_secs(60))
        .await;

    let own = principal(&me, &home, &[MANAGE_OWN]);
    let delete = || {
        api.delete_client(acting(
            &own,
            pb::DeleteClientRequest {
                client_id: mine.client_id.clone(),
            },
        ))
    };
    delete().await.expect("deleted");
    assert!(
        client::find(&api.state.db, &mine.client_id)
            .await
            .expect("find")
            .is_none()
    );
    assert_eq!(api.state.cache.get(&cache_key).await, None);
    let now = platform::id::unix_now();
    assert!(
        token::find_live(&api.state.db, &token_hash(&token), now)
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        token::find_live(&api.state.db, &token_hash(&other_token), now)
            .await
            .expect("find")
            .is_some(),
        "another client's token lives on"
    );
    assert_eq!(delete().await.expect_err("gone").code(), Code::NotFound);
}

#[tokio::test]
async fn a_rotated_out_secret_works_for_its_grace_period_only() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (client, first) = put_client(
        &api,
        &platform::id::new_id(),
        &platform::id::new_id(),
        "/root/",
    )
    .await;
    let rotate = |grace: i64| {
        api.rotate_secret(Request::new(pb::RotateSecretRequest {
            client_id: client.client_id.clone(),
            grace_period_seconds: grace,
        }))
    };

    let bad = rotate(604_801).await.expect_err("too long");
    assert_eq!(
        platform::status::field_violations(&bad)[0].0,
        "gracePeriodSeconds"
    );
    assert_eq!(
        rotate(-1).await.expect_err("negative").code(),
        Code::InvalidArgument
    );

    let rotated = rotate(3600).await.expect("rotated").into_inner();
    let second = rotated.client_secret;
    assert_ne!(second, first.expose());
    let until = rotated.client.expect("client").previous_secret_expires_at;
    assert_eq!(until.len(), "2026-11-23T01:02:03.000000Z".len(), "{until}");
    assert!(verify(&api, &client.client_id, &second).await);
    assert!(
        verify(&api, &client.client_id, first.expose()).await,
        "the old one, within grace"
    );

    let rotated = rotate(0).await.expect("rotated").into_inner();
    let third = rotated.client_secret;
    assert_eq!(
        rotated.client.expect("client").previous_secret_expires_at,
        ""
    );
    assert!(verify(&api, &client.client_id, &third).await);
    assert!(
        !verify(&api, &client.client_id, &second).await,
        "no grace asked"
    );
    assert!(!verify(&api, &client.client_id, first.expose()).await);

    // A grace period that has run out, as the clock would leave it.
    rotate(60).await.expect("rotated");
    sqlx::query("update client set previous_secret_expires_at = $1 where client_id = $2")
        .bind(platform::id::unix_now() - 1)
        .bind(&client.client_id)
        .execute(&api.state.db.pool)
        .await
        .expect("expire");
    assert!(!verify(&api, &client.client_id, &third).await, "grace over");
    let shown = api
        .get_client(Request::new(pb::GetClientRequest {
            client_id: client.client_id.clone(),
        }))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(
        shown.previous_secret_expires_at, "",
        "an expired grace is not shown"
    );

    let missing = api
        .rotate_secret(Request::new(pb::RotateSecretRequest {
            client_id: platform::id::new_id(),
            grace_period_seconds: 0,
        }))
        .await
        .expect_err("missing");
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test]
async fn clients_from_before_paths_keep_working_after_the_migration() {
    let dir = TempDir::new();
    let db = platform::db::Db::open(&storage(&dir), "auth", &crate::MIGRATIONS[..1])
        .await
        .expect("version 1");
    sqlx::query(
        "insert into client (client_id, contact_id, customer_id, name, secret_hmac, created_at, updated_at) \
         values ('old', 'k', 'c', 'n', 'h', 't', 't')",
    )
    .execute(&db.pool)
    .await
    .expect("insert");
    db.pool.close().await;
    let api = api(&dir).await;
    let old = client::find(&api.state.db, "old")
        .await
        .expect("find")
        .expect("row");
    assert_eq!(old.customer_path, "");
    assert_eq!(
        (old.previous_secret_hmac, old.previous_secret_expires_at),
        (None, None)
    );
}
