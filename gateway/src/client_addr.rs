//! The client's address: the TCP peer, unless the peer is a proxy the
//! operator trusts (`TRUSTED_PROXIES`, CIDR blocks: the Ingress), in which
//! case the address that proxy saw, from `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`. Failure budgets and network allow-lists both judge
//! this address, so behind an Ingress each client is itself, and a client
//! cannot pick its address by sending a header: a header from anyone else
//! is ignored.

use std::net::IpAddr;

use axum::http::HeaderMap;
use platform::net::Cidr;

/// The client's address as the trusted proxies in front of us report it.
/// The chain is read from the right (the hop nearest to us) past every
/// trusted proxy; the first address that is not one is the client. A chain
/// of trusted proxies only, or one that does not parse, leaves the peer.
pub fn client_addr(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    let peer_ip = peer?;
    if !is_trusted(peer_ip) {
        return Some(peer_ip);
    }
    let chain = forwarded_for(headers);
    match chain {
        Some(chain) => Some(
            chain
                .into_iter()
                .rev()
                .find(|ip| !is_trusted(*ip))
                .unwrap_or(peer_ip),
        ),
        None => Some(peer_ip),
    }
}

/// The `for=` addresses of `Forwarded`, or else the addresses of
/// `X-Forwarded-For`, in order (the client first); `None` when a present
/// header holds something that is not an address (obfuscated identifiers,
/// `unknown`, garbage): then no part of it is believed.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let joined = |name: &str| {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    };
    if let Some(forwarded) = joined("forwarded") {
        return forwarded
            .split(',')
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (k, v) = pair.trim().split_once('=')?;
                        k.eq_ignore_ascii_case("for").then_some(v)
                    })
                    .and_then(parse_node)
            })
            .collect();
    }
    joined("x-forwarded-for").and_then(|list| list.split(',').map(parse_node).collect())
}

/// One node: `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    // An IPv4 address with a port.
    node.rsplit_once(':')
        .and_then(|(host, _)| host.parse::<std::net::Ipv4Addr>().ok())
        .map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap_or_else(|_| unreachable!()));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn ingress() -> Vec<Cidr> {
        vec![Cidr::parse("10.0.0.0/8").unwrap_or_else(|_| unreachable!())]
    }

    #[test]
    fn an_untrusted_peers_headers_are_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_addr(Some(ip("198.51.100.7")), &h, &ingress()),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &[]),
            Some(ip("10.1.2.3"))
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_address_it_saw_counts() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &ingress()),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn the_chain_is_read_from_the_nearest_hop_past_trusted_proxies_only() {
        // The client made up the first entry; the Ingress appended what it saw.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.9.9.9")]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &ingress()),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn forwarded_takes_precedence_and_may_carry_ports_and_ipv6() {
        let h = headers(&[
            (
                "forwarded",
                r#"for="[2001:db8::1]:4711";proto=https, for=10.9.9.9"#,
            ),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &ingress()),
            Some(ip("2001:db8::1"))
        );
        let h = headers(&[("forwarded", "for=192.0.2.60:8080")]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &ingress()),
            Some(ip("192.0.2.60"))
        );
    }

    #[test]
    fn a_chain_that_does_not_parse_leaves_the_peer() {
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &ingress()),
            Some(ip("10.1.2.3"))
        );
        let h = headers(&[("x-forwarded-for", "not-an-address")]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &ingress()),
            Some(ip("10.1.2.3"))
        );
    }
}
