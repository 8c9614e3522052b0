//! Who is asking, when the app runs behind reverse proxies.
//!
//! The TCP peer of a request that came through a proxy is the proxy. The proxy says who it
//! forwarded for in `X-Forwarded-For` / `X-Forwarded-Proto` (or RFC 7239's `Forwarded`), but
//! anyone can send those headers, so they are believed only when the peer is one of
//! `APP_TRUSTED_PROXIES`. The client is then the right-most address in the chain that is not a
//! trusted proxy: each proxy appends the address it saw, so everything left of the first
//! untrusted hop was written by the client and proves nothing.
//!
//! The outermost layer (`finish`) works this out once per request and stores a [`ClientAddr`] in
//! the request's extensions: rate limits and logs key on its address, the CSRF origin check
//! compares its scheme.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// The scheme the client used to reach the first proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        let s = s.trim().trim_matches('"');
        if s.eq_ignore_ascii_case("https") {
            Some(Self::Https)
        } else if s.eq_ignore_ascii_case("http") {
            Some(Self::Http)
        } else {
            None
        }
    }
}

/// The client behind the request, as far as it can be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address: the TCP peer, or what trusted proxies forwarded for.
    pub ip: Option<IpAddr>,
    /// The scheme a trusted proxy says the client used; `None` when no trusted proxy said.
    pub scheme: Option<Scheme>,
}

/// The client of a request whose TCP peer is `peer`, believing forwarded headers only from
/// `trusted` proxies.
pub fn resolve(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> ClientAddr {
    let peer = peer.map(|p| canonical(p.ip()));
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let Some(peer_ip) = peer.filter(is_trusted) else {
        return ClientAddr {
            ip: peer,
            scheme: None,
        };
    };
    let (chain, proto) = if headers.contains_key(X_FORWARDED_FOR) {
        (
            x_forwarded_for(headers),
            first_value(headers, &X_FORWARDED_PROTO),
        )
    } else {
        forwarded(headers)
    };
    // Right to left: the first hop that is not a trusted proxy is the client. An entry that is
    // not an address (`unknown`, junk) ends the walk at the last address believed.
    let mut client = peer_ip;
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => client = *ip,
            Some(ip) => {
                client = *ip;
                break;
            }
            None => break,
        }
    }
    ClientAddr {
        ip: Some(client),
        scheme: proto.as_deref().and_then(Scheme::parse),
    }
}

/// Every address in every `X-Forwarded-For` header, left to right (`None`: not an address).
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(parse_node)
        .collect()
}

/// The first comma-separated value of the first such header: what the outermost proxy set.
fn first_value(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    value.split(',').next().map(|v| v.trim().to_owned())
}

/// RFC 7239: `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"`: the `for`
/// chain and the first element's `proto`.
fn forwarded(headers: &HeaderMap) -> (Vec<Option<IpAddr>>, Option<String>) {
    let mut chain = Vec::new();
    let mut proto = None;
    let elements = headers
        .get_all(FORWARDED)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','));
    for (index, element) in elements.enumerate() {
        let mut hop = None;
        for pair in element.split(';') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if key.eq_ignore_ascii_case("for") {
                hop = Some(parse_node(value));
            } else if key.eq_ignore_ascii_case("proto") && index == 0 {
                proto = Some(value.trim().to_owned());
            }
        }
        // An element without `for` says nothing about who sent it: it breaks the chain.
        chain.push(hop.flatten());
    }
    (chain, proto)
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, optionally quoted.
fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    let ip = s
        .parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })?;
    Some(canonical(ip))
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`, what a dual-stack listener reports)
/// is the IPv4 address, so `10.0.0.0/8` matches it.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// `APP_TRUSTED_PROXIES`: addresses and networks, `10.0.0.5, 172.16.0.0/12, ::1`.
pub fn parse_trusted(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    format!("`{item}` is not an address or a network like 10.0.0.0/8 or ::1")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 40000))
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
        ]);
        let client = resolve(peer("203.0.113.9"), &h, &trusted);
        assert_eq!(client.ip, ip("203.0.113.9"));
        assert_eq!(client.scheme, None);
        // Nothing trusted at all: the same.
        assert_eq!(resolve(peer("10.0.0.2"), &h, &[]).ip, ip("10.0.0.2"));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let trusted = parse_trusted("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client forged the first entry; the edge proxy appended the real address, an inner
        // proxy appended the edge's.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-for", "192.168.1.1"),
            ("x-forwarded-proto", "https, http"),
        ]);
        let client = resolve(peer("10.1.2.3"), &h, &trusted);
        assert_eq!(client.ip, ip("198.51.100.7"));
        assert_eq!(client.scheme, Some(Scheme::Https));
    }

    #[test]
    fn an_all_trusted_chain_gives_its_leftmost_and_junk_stops_the_walk() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.7")]);
        assert_eq!(resolve(peer("10.0.0.1"), &h, &trusted).ip, ip("10.9.9.9"));
        let h = headers(&[("x-forwarded-for", "1.1.1.1, unknown, 10.0.0.7")]);
        assert_eq!(resolve(peer("10.0.0.1"), &h, &trusted).ip, ip("10.0.0.7"));
        // A trusted peer that forwarded nothing is the client itself (a health check).
        assert_eq!(
            resolve(peer("10.0.0.1"), &HeaderMap::new(), &trusted).ip,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_rfc_7239_is_read_when_there_is_no_x_forwarded_for() {
        let trusted = parse_trusted("::1, 127.0.0.1").unwrap();
        let h = headers(&[(
            "forwarded",
            r#"for="[2001:db8:cafe::17]:4711";proto=https, for=127.0.0.1"#,
        )]);
        let client = resolve(peer("::1"), &h, &trusted);
        assert_eq!(client.ip, ip("2001:db8:cafe::17"));
        assert_eq!(client.scheme, Some(Scheme::Https));
        let h = headers(&[("forwarded", "for=_hidden;proto=http")]);
        let client = resolve(peer("127.0.0.1"), &h, &trusted);
        assert_eq!(client.ip, ip("127.0.0.1"));
        assert_eq!(client.scheme, Some(Scheme::Http));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_networks() {
        let trusted = parse_trusted("127.0.0.1").unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.1:5000")]);
        let client = resolve(peer("::ffff:127.0.0.1"), &h, &trusted);
        assert_eq!(client.ip, ip("198.51.100.1"));
    }

    #[test]
    fn trusted_lists_parse_addresses_and_networks_and_name_what_is_wrong() {
        let nets = parse_trusted(" 10.0.0.5 , 172.16.0.0/12,::1,").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[0].contains(&"10.0.0.5".parse::<IpAddr>().unwrap()));
        assert!(!nets[0].contains(&"10.0.0.6".parse::<IpAddr>().unwrap()));
        let err = parse_trusted("10.0.0.0/8, proxy.internal").unwrap_err();
        assert!(err.contains("`proxy.internal`"), "{err}");
        assert!(parse_trusted("10.0.0.0/33").is_err());
    }
}
