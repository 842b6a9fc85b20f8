//! One REST request is one trace across the gateway and every service it
//! reaches, exported over OTLP. An OTLP trace receiver runs in the test (a
//! tonic server on the collector's protocol), and this test binary installs
//! the process-wide subscriber exporting to it, which is why this is a file
//! of its own.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use reqwest::StatusCode;
use serde_json::json;
use tests::{TestApp, account_body};

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a Any> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn attr_str<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    match attr(span, key) {
        Some(Any::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn every_value(span: &Span) -> Vec<String> {
    let mut out = vec![span.name.clone()];
    for kv in &span.attributes {
        out.push(format!("{}={:?}", kv.key, kv.value));
    }
    for e in &span.events {
        out.push(e.name.clone());
        for kv in &e.attributes {
            out.push(format!("{}={:?}", kv.key, kv.value));
        }
    }
    out
}

/// The client's own trace context: linked by the gateway, never followed.
const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_creation_is_one_trace_across_the_services() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let telemetry = platform::telemetry::init_with(Some(&endpoint), "traces-test");
    assert!(telemetry.exporting(), "the subscriber was installed before");

    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let password = "Tr4cePassw0rdQz";
    let card = "4012888888881881";
    let mut body = account_body("traced", Some("enterprise"));
    body["general"]["owner"]["password"] = json!(password);
    body["payment"]["creditCard"]["cardNumber"] = json!(card);
    let res = app
        .http
        .post(app.at("/v1/api/accounts"))
        .bearer_auth(&token)
        .header("x-request-id", "trace-test-1")
        .header(
            "traceparent",
            format!("00-{CLIENT_TRACE}-00f067aa0ba902b7-01"),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Batches leave every few seconds; ask for them now, then wait for the
    // receiver to have the request's server span.
    let mut trace = Vec::new();
    let telemetry = std::sync::Arc::new(telemetry);
    for _ in 0..50 {
        // Flushing blocks while the exporter sends, on this runtime.
        let t = telemetry.clone();
        tokio::task::spawn_blocking(move || t.flush())
            .await
            .unwrap();
        let spans = receiver.0.lock().unwrap().clone();
        let root = spans.iter().find(|s| {
            attr_str(s, "http.route") == Some("/v1/api/accounts")
                && attr_str(s, "http.request.method") == Some("POST")
        });
        if let Some(root) = root {
            let id = root.trace_id.clone();
            trace = spans.into_iter().filter(|s| s.trace_id == id).collect();
            // Every service's server span is in, and every span's parent.
            let ids: HashSet<_> = trace.iter().map(|s| s.span_id.clone()).collect();
            let complete = trace
                .iter()
                .all(|s| s.parent_span_id.is_empty() || ids.contains(&s.parent_span_id));
            let services: HashSet<_> = trace
                .iter()
                .filter_map(|s| attr_str(s, "rpc.service"))
                .collect();
            if complete && services.len() >= 3 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !trace.is_empty(),
        "no span of the request reached the receiver"
    );
    let mut names: Vec<_> = trace.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    eprintln!("{} spans in the trace: {names:?}", trace.len());

    // One tree: one root (the gateway's HTTP span), every other span's
    // parent in the same trace.
    let ids: HashMap<_, _> = trace.iter().map(|s| (s.span_id.clone(), s)).collect();
    let roots: Vec<_> = trace
        .iter()
        .filter(|s| s.parent_span_id.is_empty())
        .collect();
    assert_eq!(
        roots.len(),
        1,
        "one root span: {:?}",
        roots.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    assert_eq!(attr_str(roots[0], "http.route"), Some("/v1/api/accounts"));
    assert_eq!(
        attr(roots[0], "http.response.status_code"),
        Some(&Any::IntValue(201))
    );
    for s in &trace {
        assert!(
            s.parent_span_id.is_empty() || ids.contains_key(&s.parent_span_id),
            "span {} has a parent outside the trace",
            s.name
        );
    }

    // Server spans of every service the create reaches, each the child of a
    // client span.
    let server_services: HashSet<&str> = trace
        .iter()
        .filter(|s| s.name.starts_with("partner.") && attr_str(s, "rpc.system") == Some("grpc"))
        .filter(|s| s.kind == 2) // SPAN_KIND_SERVER
        .filter_map(|s| attr_str(s, "rpc.service"))
        .collect();
    for svc in [
        "partner.account.v1.AccountService",
        "partner.contact.v1.ContactService",
        "partner.billing.v1.BillingService",
    ] {
        assert!(
            server_services.contains(svc),
            "no server span of {svc}: {server_services:?}"
        );
    }
    for s in trace
        .iter()
        .filter(|s| s.kind == 2 && attr_str(s, "rpc.system") == Some("grpc"))
    {
        let parent = ids[&s.parent_span_id];
        assert_eq!(parent.kind, 3, "{}'s parent is a client span", s.name); // SPAN_KIND_CLIENT
        assert_eq!(parent.name, s.name);
    }

    // SQL statement groups, with the database system named.
    let sql: Vec<_> = trace
        .iter()
        .filter(|s| attr(s, "db.system.name").is_some() && s.name.starts_with("db "))
        .collect();
    assert!(
        sql.iter().any(|s| s.name.starts_with("db account.")),
        "no SQL span of account-svc"
    );
    assert!(sql.iter().any(|s| s.name.starts_with("db contact.")));
    assert!(sql.iter().any(|s| s.name.starts_with("db billing.")));
    let system = attr_str(sql[0], "db.system.name").unwrap();
    assert!(["sqlite", "postgresql"].contains(&system), "{system}");

    // The token cache was asked; the request id is on the spans.
    assert!(trace.iter().any(|s| attr_str(s, "cache") == Some("token")));
    assert_eq!(attr_str(roots[0], "request_id"), Some("trace-test-1"));

    // Never a secret, in any span exported (the token request included).
    let secret = &app.root_client.1;
    let all = receiver.0.lock().unwrap().clone();
    assert!(
        all.iter()
            .any(|s| attr_str(s, "http.route") == Some("/oauth2/token")),
        "the token request was traced too"
    );
    for s in &all {
        for v in every_value(s) {
            for bad in [password, card, "4012 8888", secret.as_str(), token.as_str()] {
                assert!(!v.contains(bad), "span {} holds a secret: {v}", s.name);
            }
        }
    }
}
