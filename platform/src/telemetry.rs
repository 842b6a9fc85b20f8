//! Logs and traces.
//!
//! Logs: readable text by default, JSON lines with `LOG_FORMAT=json`;
//! `RUST_LOG` filters (default `info`). Every line inside a request carries
//! its `request_id`, and its `trace_id` while tracing is on.
//!
//! Traces: with `OTEL_EXPORTER_OTLP_ENDPOINT` set (e.g.
//! `http://otel-collector:4317`), spans go out over OTLP/gRPC in batches,
//! named by `OTEL_SERVICE_NAME` (default: the binary's name) and sampled by
//! `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (default: parent-based,
//! always on). Unset, no OpenTelemetry layer is installed at all: spans cost
//! what logging costs and nothing is exported. The W3C `traceparent` travels
//! in HTTP headers and gRPC metadata ([`extract`], [`inject`]).

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tonic::codegen::http::HeaderMap;
use tonic::codegen::http::header::{HeaderName, HeaderValue};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// Keeps the exporter alive; [`Telemetry::shutdown`] flushes what is queued.
#[must_use = "dropping it does not flush; call shutdown() before exiting"]
#[derive(Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends every finished span that is still queued.
    pub fn flush(&self) {
        if let Some(p) = &self.provider
            && let Err(e) = p.force_flush()
        {
            tracing::warn!(error = %e, "flushing spans failed");
        }
    }

    /// Flushes and stops the exporter; call it last, after the servers stop.
    pub fn shutdown(self) {
        if let Some(p) = self.provider
            && let Err(e) = p.shutdown()
        {
            tracing::warn!(error = %e, "stopping the span exporter failed");
        }
    }
}

/// Installs the global subscriber (once; later calls in the same process,
/// as in tests, install nothing and return an empty [`Telemetry`]). Must run
/// inside a Tokio runtime when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
pub fn init(service_name: &str) -> Telemetry {
    init_with(
        crate::config::var("OTEL_EXPORTER_OTLP_ENDPOINT").as_deref(),
        service_name,
    )
}

/// [`init`] with the OTLP endpoint given rather than read (tests).
pub fn init_with(otlp_endpoint: Option<&str>, service_name: &str) -> Telemetry {
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,h2=warn,tower=warn,hyper=warn"))
    };
    let json = crate::config::var("LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let fmt = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_filter(filter())
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_filter(filter())
            .boxed()
    };
    let provider = match otlp_endpoint.map(|e| exporter(e, service_name)) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            eprintln!("OTEL_EXPORTER_OTLP_ENDPOINT: {e:#}; traces are not exported");
            None
        }
        None => None,
    };
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("partner-platform"))
            // Only our own spans: the HTTP route, gRPC calls, SQL groups and
            // cache calls. Library internals (h2, hyper, sqlx) stay out.
            .with_filter(EnvFilter::new(
                "warn,gateway=info,platform=info,account_svc=info,contact_svc=info,billing_svc=info,auth_svc=info,stack=info",
            ))
    });
    let installed = tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()
        .is_ok();
    match provider {
        Some(p) if installed => {
            tracing::info!(service = service_name, "exporting traces over OTLP");
            Telemetry { provider: Some(p) }
        }
        Some(p) => {
            let _ = p.shutdown();
            Telemetry::default()
        }
        None => Telemetry::default(),
    }
}

fn exporter(endpoint: &str, service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig as _;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    // OTEL_SERVICE_NAME and a service.name in OTEL_RESOURCE_ATTRIBUTES win
    // over the default name (the builder's environment detector reads
    // them; with_service_name would override them); the sampler comes from
    // OTEL_TRACES_SAMPLER(_ARG).
    let named_by_env = crate::config::var("OTEL_SERVICE_NAME").is_some()
        || crate::config::var("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|a| {
            a.split(',')
                .any(|kv| kv.trim().starts_with("service.name="))
        });
    let resource = if named_by_env {
        opentelemetry_sdk::Resource::builder().build()
    } else {
        opentelemetry_sdk::Resource::builder()
            .with_service_name(service_name.to_owned())
            .build()
    };
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(k, v);
        }
    }
}

/// Makes `span` a child of the `traceparent` in `headers` (when there is
/// one) and records its trace id for the log lines inside it. The span must
/// declare an empty `trace_id` field.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    record_trace_id(span);
}

/// Starts a new trace at `span` (a root, sampled by our own sampler), and
/// links the `traceparent` in `headers` when there is one: for the public
/// edge, where a client's context is not trusted to choose trace ids or to
/// force sampling. The span must declare an empty `trace_id` field.
pub fn start_trace_linked(span: &tracing::Span, headers: &HeaderMap) {
    let client = TraceContextPropagator::new().extract(&Headers(headers));
    let client = client.span().span_context().clone();
    if client.is_valid() {
        span.add_link(client);
    }
    record_trace_id(span);
}

/// Puts the span's trace id in its `trace_id` field, for the log lines
/// inside it (nothing while tracing is off: there is no id).
fn record_trace_id(span: &tracing::Span) {
    let cx = span.context();
    let trace = cx.span();
    let sc = trace.span_context();
    if sc.is_valid() {
        span.record("trace_id", tracing::field::display(sc.trace_id()));
    }
}

/// Writes the `traceparent` of `span` into `headers` (nothing while tracing
/// is off).
pub fn inject(span: &tracing::Span, headers: &mut HeaderMap) {
    let cx = span.context();
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeadersMut(headers));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_layer_nothing_is_injected() {
        let span = tracing::info_span!("t", trace_id = tracing::field::Empty);
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        continue_trace(&span, &headers);
        let mut out = HeaderMap::new();
        inject(&span, &mut out);
        assert!(out.is_empty());
    }
}
