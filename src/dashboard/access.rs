//! Where the dashboard listens and who may ask it. On loopback it answers
//! requests whose `Host` is a loopback name (a page of another site that
//! resolves its own name to 127.0.0.1, DNS rebinding, is refused); beyond
//! loopback it needs an access token, and every request without it gets
//! 401. The token comes as `Authorization: Bearer TOKEN` (scrapers), as
//! `?token=TOKEN` (the URL printed at start), or as the cookie the first
//! page sets from it (the pages' own requests and event streams).

use anyhow::{Context, Result, anyhow, bail};
use axum::http::{HeaderMap, Uri, header};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, ToSocketAddrs};

/// Where `--dashboard` alone listens; a free port if it is taken.
pub const DEFAULT_PORT: u16 = 4040;
/// The shortest token accepted.
const MIN_TOKEN: usize = 16;

/// What `--dashboard` and `--dashboard-token` asked, checked.
#[derive(Debug)]
pub struct Plan {
    addr: SocketAddr,
    /// `--dashboard` alone: another port if the default one is taken.
    fallback: bool,
    token: Option<String>,
}

impl Plan {
    /// Checks `addr` (`""` for the default, `PORT`, `HOST:PORT`) and
    /// `token` (`Some("")` to generate one).
    pub fn new(addr: &str, token: Option<&str>) -> Result<Plan> {
        let (addr, fallback) = parse_addr(addr)?;
        let token = match token {
            None => None,
            Some("") => Some(generate_token()?),
            Some(token) => Some(check_token(token)?),
        };
        if !addr.ip().is_loopback() && token.is_none() {
            bail!(
                "--dashboard {addr} would serve the node beyond this machine: give it an access token with \
                 --dashboard-token TOKEN (or --dashboard-token alone, to have one generated), or listen on \
                 127.0.0.1"
            );
        }
        Ok(Plan { addr, fallback, token })
    }

    /// Listens; the listener and the access rules for its port.
    pub fn bind(self) -> Result<(TcpListener, Access)> {
        let listener = match TcpListener::bind(self.addr) {
            Ok(listener) => listener,
            Err(error) if self.fallback && error.kind() == std::io::ErrorKind::AddrInUse => {
                TcpListener::bind(SocketAddr::new(self.addr.ip(), 0))
                    .with_context(|| format!("cannot listen on {} for the dashboard", self.addr.ip()))?
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot listen on {} for the dashboard", self.addr));
            }
        };
        listener.set_nonblocking(true).context("cannot make the dashboard's listener non-blocking")?;
        let local = listener.local_addr().context("the dashboard's listener has no address")?;
        let cookie = format!("warren_token_{}", local.port());
        Ok((listener, Access { local, token: self.token, cookie }))
    }
}

/// `""`: the default; `PORT`: on loopback; `HOST:PORT`: as given (a host
/// name is resolved, its first address taken).
fn parse_addr(text: &str) -> Result<(SocketAddr, bool)> {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    if text.is_empty() {
        return Ok((SocketAddr::new(loopback, DEFAULT_PORT), true));
    }
    if let Ok(port) = text.parse::<u16>() {
        return Ok((SocketAddr::new(loopback, port), false));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok((addr, false));
    }
    let not_addr = || {
        anyhow!(
            "--dashboard `{text}` is not an address (HOST:PORT or PORT); to take the default address, \
             put --dashboard after the file to run"
        )
    };
    if !text.contains(':') {
        return Err(not_addr());
    }
    let mut addrs = text.to_socket_addrs().map_err(|_| not_addr())?;
    Ok((addrs.next().ok_or_else(not_addr)?, false))
}

fn check_token(token: &str) -> Result<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-');
    if token.len() < MIN_TOKEN || !token.chars().all(allowed) {
        bail!("--dashboard-token: a token is {MIN_TOKEN} or more of A-Z a-z 0-9 . _ ~ - (it goes in URLs and headers)");
    }
    Ok(token.to_string())
}

/// 128 random bits, hex.
fn generate_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("cannot read /dev/urandom to make a dashboard token")?;
    Ok(crate::control::protocol::hex(&bytes))
}

/// The access rules of a listening dashboard.
#[derive(Debug)]
pub struct Access {
    local: SocketAddr,
    token: Option<String>,
    /// The cookie the token is kept in (one per port: cookies do not tell
    /// ports apart).
    cookie: String,
}

/// What a request may do.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Served; with the token in its query, the response sets the cookie.
    Allowed { set_cookie: bool },
    /// No token or a wrong one (401).
    Unauthorized,
    /// A loopback dashboard asked under another host name (403).
    ForeignHost,
}

impl Access {
    /// The dashboard's URL (with the token, if any).
    pub fn url(&self) -> String {
        match &self.token {
            Some(token) => format!("http://{}/?token={token}", self.local),
            None => format!("http://{}/", self.local),
        }
    }

    /// The `Set-Cookie` value that keeps the token in the browser.
    pub fn cookie_header(&self) -> Option<String> {
        let token = self.token.as_ref()?;
        Some(format!("{}={token}; Path=/; HttpOnly; SameSite=Strict", self.cookie))
    }

    /// Whether a request with these headers and URI may be served.
    pub fn check(&self, headers: &HeaderMap, uri: &Uri) -> Verdict {
        let Some(token) = &self.token else {
            return if host_is_loopback(headers) {
                Verdict::Allowed { set_cookie: false }
            } else {
                Verdict::ForeignHost
            };
        };
        let from_query = uri
            .query()
            .into_iter()
            .flat_map(|query| query.split('&'))
            .filter_map(|pair| pair.strip_prefix("token="))
            .any(|given| same(given, token));
        if from_query {
            return Verdict::Allowed { set_cookie: true };
        }
        let from_header = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|value| value.to_str().ok()?.strip_prefix("Bearer "))
            .any(|given| same(given.trim(), token));
        let from_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|cookies| cookies.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, given)| name == self.cookie && same(given, token));
        if from_header || from_cookie { Verdict::Allowed { set_cookie: false } } else { Verdict::Unauthorized }
    }
}

/// Whether the `Host` header (if any) names loopback.
fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else { return true };
    let Ok(host) = host.to_str() else { return false };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(name, _)| name),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Equality whose time does not depend on where the strings differ.
fn same(given: &str, token: &str) -> bool {
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_beyond_loopback_needs_a_token() {
        assert_eq!(Plan::new("", None).map(|p| (p.addr.port(), p.fallback)).ok(), Some((DEFAULT_PORT, true)));
        assert_eq!(Plan::new("4041", None).map(|p| p.addr.to_string()).ok().as_deref(), Some("127.0.0.1:4041"));
        assert!(Plan::new("0.0.0.0:4041", None).is_err());
        assert!(Plan::new("0.0.0.0:4041", Some("short")).is_err());
        assert!(Plan::new("0.0.0.0:4041", Some("0123456789abcdef")).is_ok());
        assert_eq!(Plan::new("0.0.0.0:4041", Some("")).ok().and_then(|p| p.token).map(|t| t.len()), Some(32));
        assert!(Plan::new("app.wasm", None).is_err());
    }

    #[test]
    fn tokens_come_in_the_query_a_bearer_header_or_the_cookie() {
        let access = Access {
            local: "127.0.0.1:9".parse().expect("an address"),
            token: Some("0123456789abcdef".into()),
            cookie: "warren_token_9".into(),
        };
        let uri = |text: &str| text.parse::<Uri>().expect("a URI");
        let mut headers = HeaderMap::new();
        assert_eq!(access.check(&headers, &uri("/")), Verdict::Unauthorized);
        assert_eq!(access.check(&headers, &uri("/?token=0123456789abcdef")), Verdict::Allowed { set_cookie: true });
        assert_eq!(access.check(&headers, &uri("/?token=0123456789abcdeX")), Verdict::Unauthorized);
        headers.insert(header::AUTHORIZATION, "Bearer 0123456789abcdef".parse().expect("a header"));
        assert_eq!(access.check(&headers, &uri("/metrics")), Verdict::Allowed { set_cookie: false });
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=b; warren_token_9=0123456789abcdef".parse().expect("a header"));
        assert_eq!(access.check(&headers, &uri("/api/ps")), Verdict::Allowed { set_cookie: false });
    }

    #[test]
    fn a_loopback_dashboard_refuses_foreign_host_names() {
        let access = Access { local: "127.0.0.1:9".parse().expect("an address"), token: None, cookie: String::new() };
        let mut headers = HeaderMap::new();
        for (host, allowed) in
            [("127.0.0.1:9", true), ("localhost:9", true), ("[::1]:9", true), ("evil.example:9", false)]
        {
            headers.insert(header::HOST, host.parse().expect("a header"));
            let verdict = access.check(&headers, &"/".parse().expect("a URI"));
            assert_eq!(verdict == Verdict::Allowed { set_cookie: false }, allowed, "{host}");
        }
    }
}
