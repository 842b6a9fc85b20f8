//! CIDR blocks (RFC 4632; IPv6 by RFC 4291 §2.3), for network allow-lists.

use std::net::IpAddr;

/// A network in canonical form: the address has no bits set past the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x:y::z/n`; a bare address is a /32 (/128).
    /// Bits past the prefix must be zero, so `10.1.2.3/8` is refused rather
    /// than silently widened or narrowed.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP network in CIDR notation"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        let cidr = Self { network, prefix };
        if cidr.masked(network) != network {
            return Err(format!(
                "{s:?} has host bits set; did you mean {}?",
                Self {
                    network: cidr.masked(network),
                    prefix
                }
            ));
        }
        Ok(cidr)
    }

    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        }
    }

    /// Whether `ip` lies in this network. An IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`, as dual-stack sockets report IPv4 peers) counts as
    /// its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        ip.is_ipv4() == self.network.is_ipv4() && self.masked(ip) == self.network
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_blocks_contain_their_addresses() {
        let c = Cidr::parse("10.0.0.0/8").expect("valid");
        assert!(c.contains("10.200.1.1".parse().expect("ip")));
        assert!(!c.contains("11.0.0.1".parse().expect("ip")));
        assert!(!c.contains("::1".parse().expect("ip")));
    }

    #[test]
    fn ipv4_mapped_ipv6_peers_count_as_ipv4() {
        let c = Cidr::parse("127.0.0.0/8").expect("valid");
        assert!(c.contains("::ffff:127.0.0.1".parse().expect("ip")));
    }

    #[test]
    fn host_bits_are_refused() {
        let e = Cidr::parse("10.1.2.3/8").expect_err("host bits");
        assert!(e.contains("10.0.0.0/8"), "{e}");
    }

    #[test]
    fn malformed_blocks_are_refused() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "banana",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "::/129",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_and_bare_addresses() {
        assert!(
            Cidr::parse("2001:db8::/32")
                .expect("valid")
                .contains("2001:db8::1".parse().expect("ip"))
        );
        assert_eq!(
            Cidr::parse("192.0.2.7").expect("valid").to_string(),
            "192.0.2.7/32"
        );
        assert!(
            Cidr::parse("0.0.0.0/0")
                .expect("valid")
                .contains("8.8.8.8".parse().expect("ip"))
        );
    }
}
