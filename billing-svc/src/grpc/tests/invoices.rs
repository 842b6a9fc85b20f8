//! Invoices: keyset paging, who a period's invoice is billed to, and the
//! paging parameters every list names when refused.

use super::*;
use platform::paging::MAX_SKIP;

#[tokio::test]
async fn invoices_walked_with_after_meet_each_period_once_newest_first() {
    let tree = Tree::new();
    let t = tree.api().await;
    let d = crate::domain::invoice::draft("starter", &[], &[]);
    let list = |after: String| pb::ListInvoicesRequest {
        customer_id: tree.partner.clone(),
        take: 2,
        after,
        ..Default::default()
    };
    let first = t.api.list_invoices(Request::new(list(String::new()))).await;
    assert_eq!(first.expect("invoices").into_inner().total, 0);
    for period in ["2026-01", "2026-03", "2026-02"] {
        let issued = crate::store::invoice::issue(
            &t.api.state.db,
            &tree.partner,
            &tree.partner,
            period,
            "starter",
            &d,
        )
        .await
        .expect("issued");
        assert!(matches!(
            issued,
            crate::store::invoice::Issued::Created { .. }
        ));
        crate::totals::invoice_issued(&t.api.state.cache, &tree.partner, false).await;
    }
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = t
            .api
            .list_invoices(Request::new(list(after)))
            .await
            .expect("invoices")
            .into_inner();
        assert_eq!(page.total, 3, "counted afresh after each issue");
        seen.extend(page.items.into_iter().map(|i| i.period));
        if page.next_cursor.is_empty() {
            break;
        }
        after = page.next_cursor;
    }
    assert_eq!(seen, ["2026-03", "2026-02", "2026-01"]);
}

/// A partner and two accounts below it, on the books since 2020, over a
/// stand-in account-svc that answers what closing and reading invoices
/// ask: the plans (none priced), the customers, and each customer.
async fn two_accounts_below(partner: &str, paper: &str, card: &str) -> TestApi {
    use prost::Message as _;
    let customer = |id: &str, kind: account_pb::CustomerKind, parent: &str| account_pb::Customer {
        customer_id: id.to_owned(),
        kind: kind as i32,
        parent_partner_id: parent.to_owned(),
        plan_name: "starter".into(),
        purchase_date: "2020-01-15T00:00:00Z".into(),
        ..Default::default()
    };
    let customers = vec![
        customer(partner, account_pb::CustomerKind::Partner, ""),
        customer(paper, account_pb::CustomerKind::Account, partner),
        customer(card, account_pb::CustomerKind::Account, partner),
    ];
    let accounts = platform::fake_peer::start::<platform::fake_peer::Accounts>(
        move |method, body| match method {
            "ListPlans" => Ok(account_pb::ListPlansResponse::default().encode_to_vec()),
            "ListCustomers" => Ok(account_pb::ListCustomersResponse {
                items: customers.clone(),
                total: customers.len() as i64,
                next_cursor: String::new(),
            }
            .encode_to_vec()),
            "GetCustomer" => {
                let r = account_pb::GetCustomerRequest::decode(body).expect("request");
                customers
                    .iter()
                    .find(|c| c.customer_id == r.customer_id)
                    .map(prost::Message::encode_to_vec)
                    .ok_or_else(|| Status::not_found("customer"))
            }
            other => panic!("unexpected account-svc call {other}"),
        },
    )
    .await;
    api_with(accounts).await
}

async fn close(t: &TestApi, period: &str) -> pb::ClosePeriodResponse {
    t.api
        .close_period(Request::new(pb::ClosePeriodRequest {
            period: period.into(),
        }))
        .await
        .unwrap_or_else(|s| panic!("closing {period}: {s:?}"))
        .into_inner()
}

/// Each invoice of `customer_id`, newest first: (period, billed to).
async fn billed_to(t: &TestApi, customer_id: &str) -> Vec<(String, String)> {
    let page = t
        .api
        .list_invoices(Request::new(pb::ListInvoicesRequest {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        }))
        .await
        .expect("invoices")
        .into_inner();
    for i in &page.items {
        let one = t
            .api
            .get_invoice(Request::new(pb::GetInvoiceRequest {
                customer_id: customer_id.to_owned(),
                invoice_id: i.invoice_id.clone(),
            }))
            .await
            .expect("invoice")
            .into_inner();
        assert_eq!(&one, i, "GetInvoice answers what the list does");
    }
    page.items
        .into_iter()
        .map(|i| (i.period, i.billed_to_customer_id))
        .collect()
}

#[tokio::test]
async fn a_paper_check_accounts_invoice_is_billed_to_its_parent_and_a_card_accounts_to_itself() {
    let id = platform::id::new_id;
    let (partner, paper, card) = (id(), id(), id());
    let t = two_accounts_below(&partner, &paper, &card).await;
    let by_check = pb::SetupPaymentRequest {
        customer_id: paper.clone(),
        payment_type: "paperCheck".into(),
        ..billed()
    };
    t.api
        .setup_payment(Request::new(by_check))
        .await
        .expect("paperCheck");
    let by_card = pb::SetupPaymentRequest {
        customer_id: card.clone(),
        ..card_request("VISA", "4111111111111111", "123")
    };
    t.api
        .setup_payment(Request::new(by_card.clone()))
        .await
        .expect("card");

    let closed = close(&t, "2026-01").await;
    assert_eq!((closed.invoices_created, closed.invoices_existing), (2, 0));
    assert_eq!(
        billed_to(&t, &paper).await,
        [("2026-01".to_owned(), partner.clone())],
        "paperCheck bills the parent partner"
    );
    assert_eq!(
        billed_to(&t, &card).await,
        [("2026-01".to_owned(), card.clone())],
        "a card account pays itself"
    );

    // The payment method at closing time decides; an invoice issued
    // keeps who it was billed to.
    t.api
        .setup_payment(Request::new(pb::SetupPaymentRequest {
            customer_id: paper.clone(),
            ..by_card
        }))
        .await
        .expect("card now");
    close(&t, "2026-02").await;
    assert_eq!(
        billed_to(&t, &paper).await,
        [
            ("2026-02".to_owned(), paper.clone()),
            ("2026-01".to_owned(), partner.clone())
        ]
    );

    // An invoice issued before the column existed reads as the
    // customer's own.
    let done = sqlx::query("update invoice set billed_to = '' where customer_id = $1")
        .bind(&paper)
        .execute(&t.api.state.db.pool)
        .await
        .expect("update");
    assert_eq!(done.rows_affected(), 2);
    assert_eq!(
        billed_to(&t, &paper).await,
        [
            ("2026-02".to_owned(), paper.clone()),
            ("2026-01".to_owned(), paper.clone())
        ]
    );
}

#[tokio::test]
async fn paging_out_of_range_or_a_cursor_not_issued_names_the_parameter() {
    let tree = Tree::new();
    let t = tree.api().await;
    let id = platform::id::new_id();
    for (after, skip, field) in [
        ("nope".to_owned(), 0, "after"),
        (id.to_uppercase(), 0, "after"),
        (String::new(), MAX_SKIP + 1, "skip"),
    ] {
        let status = t
            .api
            .get_credits(Request::new(pb::GetCreditsRequest {
                customer_id: tree.partner.clone(),
                skip,
                after: after.clone(),
                ..Default::default()
            }))
            .await
            .expect_err("refused");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "credits {after:?} {skip}"
        );
        let named: Vec<String> = platform::status::field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(named, [field], "credits {after:?} {skip}");
    }
    for (after, skip, field) in [
        (id.clone(), 0, "after"),
        (format!("2026-13.{id}"), 0, "after"),
        (String::new(), MAX_SKIP + 1, "skip"),
    ] {
        let status = t
            .api
            .list_invoices(Request::new(pb::ListInvoicesRequest {
                customer_id: tree.partner.clone(),
                skip,
                after: after.clone(),
                ..Default::default()
            }))
            .await
            .expect_err("refused");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "invoices {after:?} {skip}"
        );
        let named: Vec<String> = platform::status::field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(named, [field], "invoices {after:?} {skip}");
    }
}
