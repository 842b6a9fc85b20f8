//! The gRPC server kit every service runs on, and client channels to peers.
//!
//! [`serve`] adds the gRPC health protocol and server reflection beside the
//! service, serves on an already-bound listener (tests bind port 0), and on
//! shutdown reports NOT_SERVING first, then finishes in-flight calls.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::transport::{Channel, Endpoint, Server};
use tonic_health::ServingStatus;

pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()>
where
    S: tonic::codegen::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = Infallible,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(S::NAME, ServingStatus::Serving)
        .await;
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let addr = listener.local_addr()?;
    tracing::info!(service = S::NAME, %addr, "gRPC server listening");
    let stopping = async move {
        shutdown.await;
        // Load balancers and the gateway's readiness stop sending new work.
        reporter
            .set_service_status(S::NAME, ServingStatus::NotServing)
            .await;
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        tracing::info!(service = S::NAME, "gRPC server draining");
    };
    Server::builder()
        // A peer that stops answering is noticed instead of hanging calls.
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .add_service(health)
        .add_service(reflection)
        .add_service(service)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopping)
        .await?;
    tracing::info!(service = S::NAME, "gRPC server stopped");
    Ok(())
}

/// A lazily connecting channel to a peer service (`http://host:port`). A peer
/// that is down makes calls fail with UNAVAILABLE, which callers map to 503.
pub fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(2))
        .tcp_nodelay(true)
        .connect_lazy())
}
