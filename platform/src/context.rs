//! What travels with every gRPC call besides its message: the principal the
//! call acts for (binary metadata `x-principal-bin`, with the gateway's
//! signed assertion, [`crate::identity`]), the request id
//! (`x-request-id`) and the caller's deadline (`grpc-timeout`).
//!
//! A service reads the incoming [`CallContext`] once and builds outgoing
//! requests from it, so the request id follows the call and no service waits
//! longer than its caller will.

use std::time::{Duration, Instant};

use prost::Message as _;
use proto::common::v1::Principal;
use tonic::metadata::{AsciiMetadataValue, BinaryMetadataValue};
use tonic::{Request, Status};

pub const PRINCIPAL_KEY: &str = "x-principal-bin";
pub const REQUEST_ID_KEY: &str = "x-request-id";

#[derive(Clone, Debug, Default)]
pub struct CallContext {
    /// `None`: another service is calling as itself.
    pub principal: Option<Principal>,
    /// The gateway's assertion for `principal` as it arrived, forwarded
    /// unchanged when this call continues for the same principal (a new
    /// one is signed on the way out when there is none).
    pub assertion: Option<String>,
    pub request_id: Option<String>,
    pub deadline: Option<Instant>,
    /// The client's `Idempotency-Key`, set by the gateway on a creating
    /// request and kept by [`CallContext::internal`] (the gateway makes some
    /// creates as itself). Never read from an incoming call, so a service's
    /// own calls to its peers never carry it.
    pub idempotency: Option<crate::idempotency::Key>,
}

impl CallContext {
    pub fn new(
        principal: Option<Principal>,
        request_id: Option<String>,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            principal,
            assertion: None,
            request_id,
            deadline: timeout.map(|t| Instant::now() + t),
            idempotency: None,
        }
    }

    /// Reads the context a caller sent. A principal that does not decode is
    /// refused rather than ignored: ignoring it would grant internal rights.
    pub fn from_request<T>(req: &Request<T>) -> Result<Self, Status> {
        let md = req.metadata();
        let principal = match md.get_bin(PRINCIPAL_KEY) {
            Some(v) => {
                let bytes = v
                    .to_bytes()
                    .map_err(|_| Status::invalid_argument("x-principal-bin is not base64"))?;
                Some(
                    Principal::decode(bytes)
                        .map_err(|_| Status::invalid_argument("x-principal-bin does not decode"))?,
                )
            }
            None => None,
        };
        let assertion = md
            .get(crate::identity::ASSERTION_KEY)
            .filter(|_| principal.is_some())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let request_id = md
            .get(REQUEST_ID_KEY)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let deadline = md
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map(|t| Instant::now() + t);
        Ok(Self {
            principal,
            assertion,
            request_id,
            deadline,
            idempotency: None,
        })
    }

    /// The same call continued by a service acting as itself: request id and
    /// deadline stay, the principal does not.
    pub fn internal(&self) -> Self {
        Self {
            principal: None,
            assertion: None,
            request_id: self.request_id.clone(),
            deadline: self.deadline,
            idempotency: self.idempotency.clone(),
        }
    }

    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// An outgoing request carrying this context.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut req = Request::new(message);
        if let Some(p) = &self.principal {
            req.metadata_mut().insert_bin(
                PRINCIPAL_KEY,
                BinaryMetadataValue::from_bytes(&p.encode_to_vec()),
            );
            if let Some(a) = self
                .assertion
                .as_deref()
                .and_then(|a| AsciiMetadataValue::try_from(a).ok())
            {
                req.metadata_mut().insert(crate::identity::ASSERTION_KEY, a);
            }
        }
        if let Some(id) = self
            .request_id
            .as_deref()
            .and_then(|id| AsciiMetadataValue::try_from(id).ok())
        {
            req.metadata_mut().insert(REQUEST_ID_KEY, id);
        }
        if let Some(key) = &self.idempotency {
            key.attach(&mut req);
        }
        if let Some(left) = self.remaining() {
            // A deadline already passed still goes out as 1 ms so the callee
            // answers DEADLINE_EXCEEDED at once instead of working for nobody.
            req.set_timeout(left.max(Duration::from_millis(1)));
        }
        req
    }
}

/// `grpc-timeout` per the gRPC HTTP/2 protocol: up to 8 digits and a unit.
pub(crate) fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_request_id_and_deadline_survive_the_round_trip() {
        let p = Principal {
            client_id: "c".into(),
            contact_id: "k".into(),
            customer_id: "p".into(),
            roles: vec!["r".into()],
            scopes: vec![],
        };
        let ctx = CallContext::new(
            Some(p.clone()),
            Some("req-1".into()),
            Some(Duration::from_secs(5)),
        );
        let mut req = ctx.request(());
        // set_timeout stores the header the transport sends.
        req.metadata_mut()
            .insert("grpc-timeout", AsciiMetadataValue::from_static("4000m"));
        let back = CallContext::from_request(&req).expect("decodes");
        assert_eq!(back.principal, Some(p));
        assert_eq!(back.request_id.as_deref(), Some("req-1"));
        assert!(back.remaining().expect("deadline") <= Duration::from_secs(4));
        assert!(back.internal().principal.is_none());
    }

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("150m"), Some(Duration::from_millis(150)));
        assert_eq!(parse_grpc_timeout("x"), None);
        assert_eq!(parse_grpc_timeout("12Q"), None);
    }
}
