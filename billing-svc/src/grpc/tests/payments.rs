//! SetupPayment (the card, the processor's verdict, what is stored, the
//! payment's billing contact), GetPaymentMethod and DeleteCustomerBilling.

use super::*;
use crate::store::payment_method;

#[tokio::test]
async fn approved_card_stores_only_brand_last4_expiry_and_token() {
    let t = api().await;
    let answer = t
        .api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4111 1111 1111 1111",
            "123",
        )))
        .await
        .expect("approved")
        .into_inner();
    assert_eq!(
        (
            answer.payment_type.as_str(),
            answer.brand.as_str(),
            answer.last4.as_str(),
            answer.holder_name.as_str()
        ),
        ("creditCard", "VISA", "1111", "Ann Lee")
    );
    assert_eq!(answer.expiration_date, future_expiry());

    let rows = stored_rows(&t).await;
    assert_eq!(rows.len(), 1);
    for value in rows[0].iter().flatten() {
        assert!(
            !value.contains("4111111111111111") && !value.contains("41111111"),
            "card number stored: {value}"
        );
    }
    let row = sqlx::query("select processor_token, brand, last4, expiration_date from payment_method where customer_id = $1")
        .bind(CUSTOMER)
        .fetch_one(&t.api.state.db.pool)
        .await
        .expect("row");
    assert!(
        row.try_get::<String, _>("processor_token")
            .expect("token")
            .starts_with("sbx_")
    );
    assert_eq!(row.try_get::<String, _>("brand").expect("brand"), "VISA");
    assert_eq!(row.try_get::<String, _>("last4").expect("last4"), "1111");

    let got = t
        .api
        .get_payment_method(Request::new(pb::GetPaymentMethodRequest {
            customer_id: CUSTOMER.into(),
        }))
        .await
        .expect("found");
    assert_eq!(got.into_inner(), answer);
}

/// A Maestro card request: a start date two years back, issue number 1.
fn maestro_request(start_date: &str) -> pb::SetupPaymentRequest {
    let mut req = card_request("MAESTRO", "6759649826438453", "123");
    if let Some(card) = req.card.as_mut() {
        card.start_date = start_date.into();
        card.issue_number = "1".into();
    }
    req
}

fn past_start_date() -> String {
    format!(
        "01/{:02}",
        (time::OffsetDateTime::now_utc().year() - 2) % 100
    )
}

#[tokio::test]
async fn approved_maestro_card_is_stored_without_its_start_date() {
    let t = api().await;
    let start_date = past_start_date();
    let answer = t
        .api
        .setup_payment(Request::new(maestro_request(&start_date)))
        .await
        .expect("approved")
        .into_inner();
    assert_eq!(
        (answer.brand.as_str(), answer.last4.as_str()),
        ("MAESTRO", "8453")
    );
    let row = payment_method::find(&t.api.state.db, CUSTOMER)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(
        (row.brand.as_deref(), row.last4.as_deref()),
        (Some("MAESTRO"), Some("8453"))
    );
    let rows = stored_rows(&t).await;
    assert_eq!(rows.len(), 1);
    for value in rows[0].iter().flatten() {
        assert!(
            !value.contains("6759649826438453") && !value.contains(&start_date),
            "card number or start date stored: {value}"
        );
    }
}

#[tokio::test]
async fn maestro_card_without_a_start_date_is_invalid() {
    let t = api().await;
    let status = t
        .api
        .setup_payment(Request::new(maestro_request("")))
        .await
        .expect_err("no start date");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        platform::status::field_violations(&status),
        [(
            "payment.creditCard.startDate".to_owned(),
            "is required for MAESTRO".to_owned()
        )]
    );
    assert!(stored_rows(&t).await.is_empty());
}

#[tokio::test]
async fn declined_card_is_failed_precondition_with_the_issuer_code() {
    let t = api().await;
    let status = t
        .api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4000000000000002",
            "123",
        )))
        .await
        .expect_err("declined");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        !status.message().contains("4000000000000002"),
        "{}",
        status.message()
    );
    let (reason, metadata) = platform::status::reason(&status).expect("ErrorInfo");
    assert_eq!(reason, "CARD_DECLINED");
    assert_eq!(metadata.get("code").map(String::as_str), Some("05"));
    assert_eq!(
        metadata.get("reason").map(String::as_str),
        Some("Do not honor")
    );
    assert!(
        stored_rows(&t).await.is_empty(),
        "a declined card is not stored"
    );
}

#[tokio::test]
async fn blacklisted_card_is_refused_with_its_own_reason() {
    let t = api().await;
    let status = t
        .api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4100000000000019",
            "123",
        )))
        .await
        .expect_err("blacklisted");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let (reason, metadata) = platform::status::reason(&status).expect("ErrorInfo");
    assert_eq!(
        (reason.as_str(), metadata.get("code").map(String::as_str)),
        ("CARD_BLACKLISTED", Some("BL"))
    );
}

#[tokio::test]
async fn unavailable_processor_is_unavailable_and_stores_nothing() {
    let t = api().await;
    let status = t
        .api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4000000000000119",
            "123",
        )))
        .await
        .expect_err("unavailable");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(stored_rows(&t).await.is_empty());
}

#[tokio::test]
async fn invalid_card_names_every_field_under_the_prefix() {
    let t = api().await;
    let mut req = card_request("VISA", "4111111111111112", "12");
    if let Some(card) = req.card.as_mut() {
        card.expiration_date = "13/40".into();
    }
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        !status.message().contains("4111111111111112"),
        "{}",
        status.message()
    );
    let fields: Vec<String> = platform::status::field_violations(&status)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(
        fields,
        [
            "payment.creditCard.cardNumber",
            "payment.creditCard.expirationDate",
            "payment.creditCard.securityCode"
        ]
    );
    assert!(stored_rows(&t).await.is_empty());
}

#[tokio::test]
async fn card_type_must_agree_with_the_number_under_a_given_prefix() {
    let t = api().await;
    let mut req = card_request("AMEX", "4111111111111111", "1234");
    req.field_prefix = "billing".into();
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("mismatch");
    assert_eq!(
        platform::status::field_violations(&status),
        [(
            "billing.creditCard.cardNumber".to_owned(),
            "does not match card type AMEX".to_owned()
        )]
    );
}

#[tokio::test]
async fn credit_card_without_a_card_or_customer_id_is_invalid() {
    let t = api().await;
    let req = pb::SetupPaymentRequest {
        customer_id: "nope".into(),
        payment_type: "creditCard".into(),
        card: None,
        field_prefix: String::new(),
        validate_only: false,
        ..billed()
    };
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("invalid");
    let fields: Vec<String> = platform::status::field_violations(&status)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["customerID", "payment.creditCard"]);
    let req = pb::SetupPaymentRequest {
        customer_id: CUSTOMER.into(),
        payment_type: "cash".into(),
        card: None,
        field_prefix: String::new(),
        validate_only: false,
        ..billed()
    };
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("invalid");
    assert_eq!(
        platform::status::field_violations(&status)[0].0,
        "payment.type"
    );
}

#[tokio::test]
async fn validate_only_checks_the_rules_without_the_processor_or_storage() {
    let t = api().await;
    // A card the processor would decline passes: only the rules are judged.
    let mut req = card_request("VISA", "4000000000000002", "123");
    req.validate_only = true;
    let answer = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect("valid")
        .into_inner();
    assert_eq!(
        (answer.brand.as_str(), answer.last4.as_str()),
        ("VISA", "0002")
    );
    assert!(stored_rows(&t).await.is_empty());
    let mut req = card_request("VISA", "4111111111111112", "123");
    req.validate_only = true;
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn paper_check_is_stored_without_a_card() {
    let t = api().await;
    t.api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4111111111111111",
            "123",
        )))
        .await
        .expect("card first");
    let req = pb::SetupPaymentRequest {
        customer_id: CUSTOMER.into(),
        payment_type: "paperCheck".into(),
        card: None,
        field_prefix: String::new(),
        validate_only: false,
        ..billed()
    };
    let answer = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect("stored")
        .into_inner();
    assert_eq!(
        (answer.payment_type.as_str(), answer.brand.as_str()),
        ("paperCheck", "")
    );
    let rows = stored_rows(&t).await;
    assert_eq!(rows.len(), 1);
    let row = payment_method::find(&t.api.state.db, CUSTOMER)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(row.payment_type, "paperCheck");
    assert_eq!(
        (row.brand, row.last4, row.expiration_date),
        (None, None, None),
        "switching to paperCheck clears the card"
    );
}

#[tokio::test]
async fn missing_payment_method_is_not_found_and_delete_is_idempotent() {
    let t = api().await;
    let get = || {
        t.api
            .get_payment_method(Request::new(pb::GetPaymentMethodRequest {
                customer_id: CUSTOMER.into(),
            }))
    };
    assert_eq!(get().await.expect_err("none").code(), Code::NotFound);
    t.api
        .setup_payment(Request::new(card_request("MC", "5555555555554444", "123")))
        .await
        .expect("approved");
    for _ in 0..2 {
        t.api
            .delete_customer_billing(Request::new(pb::DeleteCustomerBillingRequest {
                customer_id: CUSTOMER.into(),
            }))
            .await
            .expect("deleted");
    }
    assert_eq!(get().await.expect_err("gone").code(), Code::NotFound);
}

// ---- The payment's billing contact (PaymentV2 `name`, `phone`, `address`)

async fn info(t: &TestApi) -> pb::BillingInfo {
    t.api.info_of(CUSTOMER).await.expect("billing info")
}

fn violated(status: &Status) -> Vec<String> {
    platform::status::field_violations(status)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

#[tokio::test]
async fn a_card_setup_keeps_the_payments_name_phone_and_address_as_billing_information() {
    let t = api().await;
    t.api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4111111111111111",
            "123",
        )))
        .await
        .expect("approved");
    let info = info(&t).await;
    assert_eq!(
        info.name, "Company name",
        "trimmed as the reference sends it"
    );
    assert_eq!(info.phone, "12365458789");
    assert_eq!(info.address, Some(anaheim()));
    assert_eq!(info.payment_type, "creditCard");
    assert_eq!(
        info.payment_method.map(|m| m.last4).as_deref(),
        Some("1111")
    );
    assert!(!info.updated_at.is_empty());
}

#[tokio::test]
async fn a_paper_check_setup_keeps_the_billing_contact_too() {
    let t = api().await;
    let req = pb::SetupPaymentRequest {
        customer_id: CUSTOMER.into(),
        payment_type: "paperCheck".into(),
        field_prefix: "payment".into(),
        ..billed()
    };
    t.api
        .setup_payment(Request::new(req))
        .await
        .expect("stored");
    let info = info(&t).await;
    assert_eq!(
        (info.name.as_str(), info.phone.as_str()),
        ("Company name", "12365458789")
    );
    assert_eq!(info.address, Some(anaheim()));
    assert_eq!(info.payment_type, "paperCheck");
    assert_eq!(info.payment_method, None);
}

#[tokio::test]
async fn a_setup_keeps_an_email_set_earlier() {
    let t = api().await;
    crate::store::info::save(
        &t.api.state.db,
        CUSTOMER,
        &crate::store::info::InfoRow {
            name: "Before".into(),
            email: "ap@example.com".into(),
            updated_at: platform::id::now_rfc3339(),
            ..Default::default()
        },
        false,
    )
    .await
    .expect("saved");
    t.api
        .setup_payment(Request::new(card_request("MC", "5555555555554444", "123")))
        .await
        .expect("approved");
    let info = info(&t).await;
    assert_eq!(
        (info.name.as_str(), info.email.as_str()),
        ("Company name", "ap@example.com")
    );
}

#[tokio::test]
async fn validate_only_stores_no_billing_contact() {
    let t = api().await;
    let mut req = card_request("VISA", "4111111111111111", "123");
    req.validate_only = true;
    t.api.setup_payment(Request::new(req)).await.expect("valid");
    assert_eq!(
        crate::store::info::find(&t.api.state.db, CUSTOMER)
            .await
            .expect("find"),
        None
    );
}

#[tokio::test]
async fn a_declined_card_stores_no_billing_contact() {
    let t = api().await;
    t.api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4000000000000002",
            "123",
        )))
        .await
        .expect_err("declined");
    assert_eq!(
        crate::store::info::find(&t.api.state.db, CUSTOMER)
            .await
            .expect("find"),
        None
    );
    assert_eq!(info(&t).await.address, None);
}

#[tokio::test]
async fn payment_name_and_phone_are_required_under_the_prefix() {
    let t = api().await;
    let mut req = card_request("VISA", "4111111111111111", "123");
    req.name = "  ".into();
    req.phone = String::new();
    req.field_prefix = "payment".into();
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("no contact");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        platform::status::field_violations(&status),
        [
            ("payment.name".to_owned(), "is required".to_owned()),
            ("payment.phone".to_owned(), "is required".to_owned())
        ]
    );
    assert!(stored_rows(&t).await.is_empty());
}

#[tokio::test]
async fn payment_name_over_50_and_phone_over_100_characters_are_refused() {
    let t = api().await;
    let mut req = card_request("VISA", "4111111111111111", "123");
    req.name = "n".repeat(51);
    req.phone = "1".repeat(101);
    req.field_prefix = "billing".into();
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("too long");
    assert_eq!(violated(&status), ["billing.name", "billing.phone"]);
    assert!(stored_rows(&t).await.is_empty());
}

#[tokio::test]
async fn payment_contact_is_judged_under_validate_only_too() {
    let t = api().await;
    let mut req = card_request("VISA", "4111111111111111", "123");
    req.name = String::new();
    req.validate_only = true;
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("no name");
    assert_eq!(violated(&status), ["payment.name"]);
}

#[tokio::test]
async fn a_bad_type_and_a_missing_name_are_named_together() {
    let t = api().await;
    let req = pb::SetupPaymentRequest {
        customer_id: CUSTOMER.into(),
        payment_type: "cash".into(),
        name: String::new(),
        ..billed()
    };
    let status = t
        .api
        .setup_payment(Request::new(req))
        .await
        .expect_err("invalid");
    assert_eq!(violated(&status), ["payment.name", "payment.type"]);
}

#[tokio::test]
async fn card_type_in_any_case_is_answered_and_stored_in_upper_case() {
    let t = api().await;
    let answer = t
        .api
        .setup_payment(Request::new(card_request(
            "visa",
            "4111111111111111",
            "123",
        )))
        .await
        .expect("approved")
        .into_inner();
    assert_eq!(answer.brand, "VISA");
    let row = payment_method::find(&t.api.state.db, CUSTOMER)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(row.brand.as_deref(), Some("VISA"));
    let answer = t
        .api
        .setup_payment(Request::new(maestro_request(&past_start_date())))
        .await
        .expect("approved");
    assert_eq!(answer.into_inner().brand, "MAESTRO");
}

#[tokio::test]
async fn a_bad_card_field_is_named_once_under_the_prefix() {
    let t = api().await;
    for (card_type, number, code, field) in [
        (
            "VISACARDXYZ",
            "4111111111111111",
            "123",
            "payment.creditCard.type",
        ),
        ("", "4111111111111111", "123", "payment.creditCard.type"),
        ("VISA", "", "123", "payment.creditCard.cardNumber"),
        (
            "VISA",
            "4111111111111111",
            "",
            "payment.creditCard.securityCode",
        ),
        (
            "AMEX",
            "378282246310005",
            "123",
            "payment.creditCard.securityCode",
        ),
    ] {
        let status = t
            .api
            .setup_payment(Request::new(card_request(card_type, number, code)))
            .await
            .expect_err("invalid");
        assert_eq!(violated(&status), [field], "{card_type:?} {code:?}");
    }
    assert!(stored_rows(&t).await.is_empty());
}

#[tokio::test]
async fn deleting_customer_billing_removes_the_billing_contact() {
    let t = api().await;
    t.api
        .setup_payment(Request::new(card_request(
            "VISA",
            "4111111111111111",
            "123",
        )))
        .await
        .expect("approved");
    t.api
        .delete_customer_billing(Request::new(pb::DeleteCustomerBillingRequest {
            customer_id: CUSTOMER.into(),
        }))
        .await
        .expect("deleted");
    assert_eq!(
        crate::store::info::find(&t.api.state.db, CUSTOMER)
            .await
            .expect("find"),
        None
    );
    let info = info(&t).await;
    assert_eq!(
        (info.name.as_str(), info.phone.as_str(), info.address),
        ("", "", None)
    );
}
