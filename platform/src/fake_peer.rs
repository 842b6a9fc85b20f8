//! A stand-in gRPC peer for unit tests: it serves one service (named by a
//! [`Name`]) on port 0 and answers each unary call with what a closure
//! makes of the method name and the encoded request, so a test gives this
//! service the peers its flow needs without running them.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use prost::bytes::{Buf as _, BufMut as _};
use tonic::body::Body;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// The gRPC service a fake stands in for.
pub trait Name: Send + Sync + 'static {
    const NAME: &'static str;
}

pub struct Accounts;

impl Name for Accounts {
    const NAME: &'static str = "partner.account.v1.AccountService";
}

pub struct Contacts;

impl Name for Contacts {
    const NAME: &'static str = "partner.contact.v1.ContactService";
}

pub struct Auth;

impl Name for Auth {
    const NAME: &'static str = "partner.auth.v1.AuthService";
}

/// Method name and encoded request → encoded answer, or a status.
type Answer = Arc<dyn Fn(&str, &[u8]) -> Result<Vec<u8>, Status> + Send + Sync>;

/// Serves a fake `N` and answers a channel to it.
pub async fn start<N: Name>(
    answer: impl Fn(&str, &[u8]) -> Result<Vec<u8>, Status> + Send + Sync + 'static,
) -> Channel {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let peer = Peer::<N> {
        answer: Arc::new(answer),
        name: PhantomData,
    };
    static ANY_METHOD: crate::identity::Policy = crate::identity::Policy {
        services: &[],
        products: &[],
    };
    let c = caller();
    // As the gateway: a unit test's calls carry principals with no
    // gateway in front to assert them, so the service under test does.
    let trust = crate::identity::Trust::new([(
        c.name().to_owned(),
        crate::identity::Role::Gateway,
        c.public_key(),
    )])
    .expect("trust");
    tokio::spawn(crate::grpc::serve(
        listener,
        peer,
        crate::grpc::Admission {
            trust,
            policy: &ANY_METHOD,
        },
        std::future::pending(),
        std::time::Duration::ZERO,
    ));
    crate::grpc::channel(&url).expect("channel")
}

/// The identity every fake admits: what a service under test calls its
/// fake peers as.
pub fn caller() -> crate::identity::Signer {
    static CALLER: std::sync::OnceLock<crate::identity::Signer> = std::sync::OnceLock::new();
    CALLER
        .get_or_init(|| {
            crate::identity::Signer::generate("service-under-test")
                .expect("key")
                .0
        })
        .clone()
}

struct Peer<N> {
    answer: Answer,
    name: PhantomData<fn() -> N>,
}

impl<N> Clone for Peer<N> {
    fn clone(&self) -> Self {
        Self {
            answer: Arc::clone(&self.answer),
            name: PhantomData,
        }
    }
}

impl<N: Name> NamedService for Peer<N> {
    const NAME: &'static str = N::NAME;
}

impl<N: Name> Service<http::Request<Body>> for Peer<N> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let call = Call {
            method: req.uri().path().rsplit('/').next().unwrap_or("").to_owned(),
            answer: Arc::clone(&self.answer),
        };
        Box::pin(async move { Ok(Grpc::new(Raw).unary(call, req).await) })
    }
}

struct Call {
    method: String,
    answer: Answer,
}

impl UnaryService<Vec<u8>> for Call {
    type Response = Vec<u8>;
    type Future = BoxFuture<Response<Vec<u8>>, Status>;

    fn call(&mut self, req: Request<Vec<u8>>) -> Self::Future {
        let answered = (self.answer)(&self.method, req.get_ref()).map(Response::new);
        Box::pin(async move { answered })
    }
}

/// Messages as bytes: the closure decodes and encodes them itself.
#[derive(Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut bytes = vec![0; src.remaining()];
        src.copy_to_slice(&mut bytes);
        Ok(Some(bytes))
    }
}
