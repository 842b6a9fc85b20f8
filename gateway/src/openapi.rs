//! The OpenAPI documents, generated from the handlers' annotations, and the
//! Swagger UI, served from the binary (no CDN).

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_swagger_ui::{SwaggerUi, Url};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Partner platform API",
        description = "Create and run your customers' accounts headlessly. Get a token at `POST /oauth2/token` \
                       (client credentials), then call `/v1/api/…` or `/v2/api/…` with `Authorization: Bearer <token>`. \
                       Errors are RFC 9457 problem documents.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "oauth2", description = "Tokens (RFC 6749 §4.4, RFC 7009, RFC 7662)"),
        (name = "accounts", description = "Partners and accounts"),
        (name = "plans", description = "The plan catalogue"),
        (name = "me", description = "Who the token acts for"),
        (name = "roles", description = "Roles and their permissions"),
        (name = "clients", description = "API clients and their secrets"),
        (name = "partners", description = "API access requests and partner settings"),
        (name = "contacts", description = "Contacts of partners and accounts, their roles and passwords"),
        (name = "company", description = "A customer's company and address validation"),
        (name = "billing", description = "Billing information, payment method, usage, invoices and prepaid credit"),
        (name = "health", description = "Probes")
    )
)]
struct Base;

/// One API version's document: the base, the parts merged in, the security
/// schemes the operations name.
pub fn document(
    version: &str,
    parts: impl IntoIterator<Item = utoipa::openapi::OpenApi>,
) -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    doc.info.version = version.to_owned();
    for part in parts {
        doc.merge(part);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "basic",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
    );
    document_common_problems(&mut doc);
    document_oauth2(&mut doc);
    document_rate_limit(&mut doc);
    document_idempotency(&mut doc);
    document_xml(&mut doc);
    doc
}

/// The OAuth2 client-credentials flow (RFC 6749 §4.4) as a security scheme,
/// so Swagger UI's Authorize dialog and generated clients fetch tokens
/// themselves: every operation that takes a bearer token with permissions
/// takes an `oauth2` token with the same scopes as an alternative, and the
/// flow lists every scope an operation names.
fn document_oauth2(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::BTreeSet;
    use utoipa::openapi::security::{ClientCredentials, Flow, OAuth2, Scopes, SecurityRequirement};
    let mut all = BTreeSet::new();
    for op in operations(doc, &["/v1/", "/v2/"]) {
        let Some(requirements) = op.security.as_mut() else {
            continue;
        };
        // The requirement's map is private; its JSON form is the map.
        let scopes: Vec<Vec<String>> = requirements
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .filter_map(|v| {
                serde_json::from_value::<std::collections::BTreeMap<String, Vec<String>>>(v).ok()
            })
            .filter_map(|mut m| m.remove("bearer"))
            .collect();
        for s in scopes {
            all.extend(s.iter().cloned());
            requirements.push(SecurityRequirement::new("oauth2", s));
        }
    }
    let scopes: Scopes = all
        .iter()
        .map(|s| (s.clone(), format!("The {s} permission")))
        .collect();
    let flow = ClientCredentials::new("/oauth2/token", scopes);
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(flow)],
                "Client credentials (RFC 6749 §4.4): your API client's id and secret at /oauth2/token. \
                 Ask for fewer scopes to narrow a token; by default it gets what its roles allow.",
            )),
        );
}

/// The problems (almost) every operation may answer, added here rather
/// than written on each: 401 on every operation that takes a bearer token,
/// 503 on every one but the liveness probe (which answers without asking a
/// service). An operation that says more (a 503 "nothing changed") keeps
/// its own.
fn document_common_problems(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    // Every path but the liveness probe's, through the one walk over
    // operations the other passes use.
    for op in operations(doc, &["/v1/", "/v2/", "/oauth2/", "/health/ready"]) {
        let bearer = op.security.as_ref().is_some_and(|requirements| {
            requirements
                .iter()
                .filter_map(|r| serde_json::to_value(r).ok())
                .any(|v| v.get("bearer").is_some())
        });
        let r = &mut op.responses.responses;
        if bearer {
            r.entry("401".to_owned())
                .or_insert_with(|| problem("No or bad token").into());
        }
        r.entry("503".to_owned())
            .or_insert_with(|| problem("A service is down").into());
    }
}

/// Every POST that creates (answers 201) takes an `Idempotency-Key`
/// (`crate::idempotency`): the header, and its 409 and 422, in one place.
fn document_idempotency(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::Type;
    use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, Required, ResponseBuilder};
    let header = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: the same key with the same request within 24 hours answers the first \
             answer again (Idempotent-Replayed: true) instead of creating again. Scoped to the API client.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(crate::idempotency::MAX_LEN))
                .pattern(Some("^[!-~]+$")),
        ))
        .build();
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        if !(path.starts_with("/v1/") || path.starts_with("/v2/")) {
            continue;
        }
        let Some(op) = item.post.as_mut() else {
            continue;
        };
        if !op.responses.responses.contains_key("201") {
            continue;
        }
        op.parameters
            .get_or_insert_with(Vec::new)
            .push(utoipa::openapi::RefOr::T(header.clone()));
        let r = &mut op.responses.responses;
        r.entry("409".to_owned()).or_insert_with(|| {
            problem("A request with this Idempotency-Key is still running, or the state forbids the change").into()
        });
        r.entry("422".to_owned()).or_insert_with(|| {
            problem("This Idempotency-Key was used with another request").into()
        });
    }
}

/// Every JSON answer of the API also comes as XML to a client that prefers
/// it (`crate::formats`): list both media types, with the same schema.
fn document_xml(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for op in operations(doc, &["/v1/", "/v2/"]) {
        for response in op.responses.responses.values_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            for (json, xml) in [
                ("application/json", "application/xml"),
                ("application/problem+json", "application/problem+xml"),
            ] {
                if let Some(content) = response.content.get(json).cloned() {
                    response.content.entry(xml.to_owned()).or_insert(content);
                }
            }
        }
    }
}

/// Every operation of every path under one of `prefixes`.
fn operations<'a>(
    doc: &'a mut utoipa::openapi::OpenApi,
    prefixes: &'a [&str],
) -> impl Iterator<Item = &'a mut utoipa::openapi::path::Operation> {
    doc.paths
        .paths
        .iter_mut()
        .filter(move |(path, _)| prefixes.iter().any(|p| path.starts_with(p)))
        .flat_map(|(_, item)| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.head,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
        })
}

/// Every API route runs under its client's rate limit: each may answer 429
/// (with `Retry-After`), which one place adds to every operation.
fn document_rate_limit(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, header::HeaderBuilder};
    let too_many = ResponseBuilder::new()
        .description("The API client's rate limit is used up (RateLimit headers); retry after Retry-After seconds")
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Integer)))
                .description(Some("Seconds until a request is admitted again"))
                .build(),
        )
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    for op in operations(doc, &["/v1/api/", "/v2/api/"]) {
        op.responses
            .responses
            .entry("429".to_owned())
            .or_insert_with(|| too_many.clone().into());
    }
}

/// `/swagger` (UI), `/swagger/v1/swagger.json`, `/swagger/v2/swagger.json`.
pub fn swagger(v1: utoipa::openapi::OpenApi, v2: utoipa::openapi::OpenApi) -> Router<AppState> {
    SwaggerUi::new("/swagger")
        .urls(vec![
            (Url::new("v1", "/swagger/v1/swagger.json"), v1),
            (Url::new("v2", "/swagger/v2/swagger.json"), v2),
        ])
        .into()
}
