//! Company and address validation.

use super::*;

async fn company(api: &AccountApi, customer_id: &str) -> pb::Company {
    api.get_company(Request::new(pb::GetCompanyRequest {
        customer_id: customer_id.into(),
    }))
    .await
    .expect("company")
    .into_inner()
}

async fn validate(
    address: Option<proto::common::v1::Address>,
    prefix: &str,
) -> pb::AddressValidation {
    let (api, _dir) = api().await;
    api.validate_address(Request::new(pb::ValidateAddressRequest {
        address,
        field_prefix: prefix.into(),
    }))
    .await
    .expect("validation never fails for a bad address")
    .into_inner()
}

#[tokio::test]
async fn company_update_merges_the_patch_and_keeps_what_is_absent() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    let id = account.customer_id.as_str();

    let updated = api
        .update_company(Request::new(pb::UpdateCompanyRequest {
            customer_id: id.into(),
            address: Some(pb::AddressPatch {
                country: Some("germany".into()),
                state: Some("bavaria".into()),
                zip: Some("80331".into()),
                ..Default::default()
            }),
            culture: Some("de-de".into()),
            vat_number: Some("de 123.456.789".into()),
            ..Default::default()
        }))
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.name, "Acme");
    assert_eq!(updated.culture, "DE-DE");
    assert_eq!(updated.vat_number, "DE123456789");
    let a = updated.address.clone().expect("address");
    assert_eq!(
        (
            a.line1.as_str(),
            a.city.as_str(),
            a.state.as_str(),
            a.zip.as_str(),
            a.country.as_str()
        ),
        ("1 Main St", "Paris", "BY", "80331", "DE")
    );
    assert_eq!(company(&api, id).await, updated);

    // Only the name: the v2 fields and the address stay as they are.
    let renamed = api
        .update_company(Request::new(pb::UpdateCompanyRequest {
            customer_id: id.into(),
            name: Some("Acme GmbH".into()),
            ..Default::default()
        }))
        .await
        .expect("rename")
        .into_inner();
    assert_eq!(renamed.name, "Acme GmbH");
    assert_eq!(
        (renamed.culture.as_str(), renamed.address),
        ("DE-DE", updated.address)
    );
}

#[tokio::test]
async fn company_update_names_every_violation_and_stores_nothing() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let id = partner.customer_id.as_str();
    let before = company(&api, id).await;

    let refused = api
        .update_company(Request::new(pb::UpdateCompanyRequest {
            customer_id: id.into(),
            name: Some(String::new()),
            phone: Some("1".repeat(51)),
            culture: Some("xx-xx".into()),
            vat_number: Some("NL123".into()),
            // A valid city beside a move to Germany without a state or a
            // valid zip: the merged address answers as a whole.
            address: Some(pb::AddressPatch {
                city: Some("Berlin".into()),
                country: Some("DE".into()),
                zip: Some("1011".into()),
                ..Default::default()
            }),
        }))
        .await
        .expect_err("bad input");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        fields(&refused),
        [
            "name",
            "phone",
            "culture",
            "vatNumber",
            "address.zip",
            "address.state"
        ]
    );
    assert_eq!(company(&api, id).await, before);
}

#[tokio::test]
async fn company_outside_the_callers_subtree_is_not_found() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let mine = insert_active(&api, "partner", Some(&root)).await;
    let other = insert_active(&api, "partner", Some(&root)).await;
    let theirs = insert_active(&api, "account", Some(&other)).await;
    let request = pb::GetCompanyRequest {
        customer_id: theirs.customer_id.clone(),
    };
    let e = api
        .get_company(as_caller(&mine, request.clone()))
        .await
        .expect_err("outside");
    assert_eq!(e.code(), Code::NotFound);
    assert!(api.get_company(as_caller(&other, request)).await.is_ok());
    let patch = pb::UpdateCompanyRequest {
        customer_id: theirs.customer_id.clone(),
        name: Some("Mine now".into()),
        ..Default::default()
    };
    let e = api
        .update_company(as_caller(&mine, patch))
        .await
        .expect_err("outside");
    assert_eq!(e.code(), Code::NotFound);
    assert_eq!(company(&api, &theirs.customer_id).await.name, "Acme");
}

fn address(country: &str, state: &str, zip: &str) -> proto::common::v1::Address {
    proto::common::v1::Address {
        line1: "1 Main St".into(),
        city: "San Francisco".into(),
        state: state.into(),
        zip: zip.into(),
        country: country.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn validate_address_answers_0_for_an_address_valid_as_given() {
    let given = address("US", "CA", "94105");
    let answer = validate(Some(given.clone()), "address").await;
    assert_eq!(answer.status, 0);
    assert_eq!(answer.address, Some(given));
    assert!(answer.changes.is_empty() && answer.errors.is_empty());
}

#[tokio::test]
async fn validate_address_answers_1_with_the_refined_address_and_changes() {
    let answer = validate(Some(address("united states", "california", "94105")), "").await;
    assert_eq!(answer.status, 1);
    assert_eq!(answer.changes, ["country", "state"]);
    let a = answer.address.expect("address");
    assert_eq!((a.country.as_str(), a.state.as_str()), ("US", "CA"));
    assert!(answer.errors.is_empty());
}

#[tokio::test]
async fn validate_address_answers_2_with_prefixed_errors_and_the_input() {
    let given = address("US", "", "9410");
    let answer = validate(Some(given.clone()), "company.address").await;
    assert_eq!(answer.status, 2);
    assert_eq!(answer.address, Some(given));
    let fields: Vec<&str> = answer.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["company.address.zip", "company.address.state"]);

    let missing = validate(None, "").await;
    assert_eq!(missing.status, 2);
    let fields: Vec<&str> = missing.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["addressLine1", "city", "country", "zip"]);
}
