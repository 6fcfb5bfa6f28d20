//! Cross-origin protection (R23): the request forgery that cookies make
//! possible, refused where the browser says it happens.
//!
//! A browser attaches a site's cookies to requests that other pages start:
//! a form on another site that posts here carries the user's session.
//! `SameSite=Lax` stops that for cross-site POSTs, but not for pages of the
//! same site on another origin (a sibling subdomain, another port), nor for
//! `SameSite=None` cookies. So an unsafe request (any method but GET, HEAD,
//! OPTIONS and TRACE) is accepted only from the app's own origin, as the
//! browser reports it: `Sec-Fetch-Site`, which every current browser sends,
//! and `Origin` where it is absent. A request with neither comes from no
//! browser page (curl, a server), which cookies give nothing to forge.
//! This is the check of Go's `http.CrossOriginProtection`, and the Fetch
//! Metadata defence of OWASP's CSRF cheat sheet.

use actix_web::HttpRequest;
use actix_web::http::Method;
use actix_web::http::header::{HOST, ORIGIN};

use crate::config::CrossOriginConfig;
use crate::error::PolicyConfigError;
use crate::report::Reported;
use crate::rules::printable;

/// A validated [`CrossOriginConfig`], with its memory of the origins
/// already logged.
#[derive(Debug)]
pub(crate) struct CrossOrigin {
    enabled: bool,
    /// Origins in lower case, `scheme://host[:port]`.
    trusted: Vec<String>,
    exempt_paths: Vec<String>,
    /// The origins whose refusal was logged.
    logged: Reported,
}

/// Why an unsafe request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The header that told: `sec-fetch-site` or `origin`.
    pub header: &'static str,
    /// Who sent it, as the log names it once: the `Origin`, or the
    /// `Sec-Fetch-Site` value when there is no `Origin`.
    pub source: String,
    /// The sentence for the error body and the log.
    pub message: String,
}

impl CrossOrigin {
    /// Checks `config`: trusted origins are `scheme://host[:port]` with
    /// nothing after, exempt paths start with `/`.
    pub(crate) fn new(config: &CrossOriginConfig) -> Result<Self, PolicyConfigError> {
        let mut trusted = Vec::with_capacity(config.trusted_origins.len());
        for (i, origin) in config.trusted_origins.iter().enumerate() {
            let key = format!("cookies.cross_origin.trusted_origins[{i}]");
            trusted.push(origin_of(origin).map_err(|message| PolicyConfigError { key, message })?);
        }
        for (i, path) in config.exempt_paths.iter().enumerate() {
            if !path.starts_with('/') {
                return Err(PolicyConfigError {
                    key: format!("cookies.cross_origin.exempt_paths[{i}]"),
                    message: format!(
                        "{:?} is not a path: write it from its first `/`, such as \"/webhooks/\"",
                        printable(path)
                    ),
                });
            }
        }
        Ok(Self {
            enabled: config.enabled,
            trusted,
            exempt_paths: config.exempt_paths.clone(),
            logged: Reported::default(),
        })
    }

    /// Whether `req` may go on: always for a safe method, a request from
    /// this origin or from no page, a trusted origin and an exempt path.
    pub(crate) fn check(&self, req: &HttpRequest) -> Result<(), Refusal> {
        if !self.enabled || is_safe(req.method()) {
            return Ok(());
        }
        let headers = req.headers();
        let origin = headers
            .get(ORIGIN)
            .map(|v| String::from_utf8_lossy(v.as_bytes()));
        let refusal = match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
            Some(b"same-origin" | b"none") => return Ok(()),
            Some(site) => {
                let site = printable(&String::from_utf8_lossy(site));
                let from = match site.as_str() {
                    "same-site" => "another origin of this site",
                    "cross-site" => "another site",
                    _ => "a page the browser does not call this origin",
                };
                Refusal {
                    header: "sec-fetch-site",
                    source: origin
                        .as_deref()
                        .map_or_else(|| format!("Sec-Fetch-Site: {site}"), printable),
                    message: format!(
                        "the browser sent this {} from {from} (Sec-Fetch-Site: {site}); this app accepts unsafe requests from its own origin only",
                        req.method()
                    ),
                }
            }
            None => {
                let Some(origin) = origin else {
                    return Ok(()); // no browser page sent it
                };
                let host = request_authority(req);
                if host.is_some_and(|host| same_authority(&origin, host)) {
                    return Ok(());
                }
                let origin = printable(&origin);
                Refusal {
                    header: "origin",
                    message: format!(
                        "the request's Origin {origin} is not this server's ({}); this app accepts unsafe requests from its own origin only",
                        host.map_or_else(|| "no Host".to_owned(), printable)
                    ),
                    source: origin,
                }
            }
        };
        if self.is_exempt(req) {
            return Ok(());
        }
        Err(refusal)
    }

    /// Whether the refusal of requests from `source` is logged now: once
    /// per origin, so that a page that keeps posting fills no log.
    pub(crate) fn first_refusal(&self, source: &str) -> bool {
        self.logged.first_time(source, "R23")
    }

    /// A trusted origin, or an exempt path (exactly, or under one that
    /// ends with `/`).
    fn is_exempt(&self, req: &HttpRequest) -> bool {
        let trusted = req.headers().get(ORIGIN).is_some_and(|origin| {
            let origin = origin.as_bytes();
            self.trusted
                .iter()
                .any(|t| t.as_bytes().eq_ignore_ascii_case(origin))
        });
        let path = req.path();
        trusted
            || self.exempt_paths.iter().any(|exempt| {
                path == exempt || (exempt.ends_with('/') && path.starts_with(exempt.as_str()))
            })
    }
}

/// GET, HEAD, OPTIONS and TRACE: the methods RFC 9110 calls safe, which
/// an app must not use to change anything.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The authority the client addressed: the request target's own (HTTP/2,
/// or an absolute URI), else the `Host` header. Never `Forwarded` or
/// `X-Forwarded-Host`, which any client can send.
fn request_authority(req: &HttpRequest) -> Option<&str> {
    match req.uri().authority() {
        Some(authority) => Some(authority.as_str()),
        None => req.headers().get(HOST)?.to_str().ok(),
    }
}

/// Whether the origin `scheme://authority` names `authority`. The scheme
/// is not compared: the server cannot tell it behind a proxy, and a
/// browser that omits `Sec-Fetch-Site` is all this check is for.
fn same_authority(origin: &str, authority: &str) -> bool {
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(authority))
}

/// A configured origin in the form browsers send it, in lower case.
fn origin_of(text: &str) -> Result<String, String> {
    let shown = printable(text);
    let explain = |what: &str| {
        format!(
            "{shown:?} {what}; write an origin as scheme://host[:port], such as \"https://app.example.com\""
        )
    };
    let Some((scheme, authority)) = text.split_once("://") else {
        return Err(explain("has no scheme"));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Err(explain("has no valid scheme"));
    }
    if authority.is_empty() {
        return Err(explain("has no host"));
    }
    if let Some(c) = authority
        .chars()
        .find(|c| "/?#@ ".contains(*c) || c.is_control())
    {
        let what = if c == '/' {
            "has a path, which an origin never has".to_owned()
        } else {
            format!("has {c:?}, which an origin never has")
        };
        return Err(explain(&what));
    }
    Ok(text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn config(trusted: &[&str], exempt: &[&str]) -> CrossOriginConfig {
        let c = trusted
            .iter()
            .fold(CrossOriginConfig::default(), |c, origin| {
                c.trusted_origin(*origin)
            });
        exempt.iter().fold(c, |c, path| c.exempt_path(*path))
    }

    fn check(c: &CrossOrigin, method: Method, path: &str, headers: &[(&str, &str)]) -> bool {
        let mut req = TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header(("host", "app.example:8080"));
        for h in headers {
            req = req.insert_header(*h);
        }
        c.check(&req.to_http_request()).is_ok()
    }

    #[test]
    fn only_unsafe_requests_from_another_origin_are_refused() {
        let c = CrossOrigin::new(&config(&[], &[])).unwrap();
        let cross = [("sec-fetch-site", "cross-site")];
        for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
            assert!(check(&c, method, "/", &cross));
        }
        for method in ["POST", "PUT", "PATCH", "DELETE", "PURGE"] {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            assert!(!check(&c, method, "/", &cross));
        }
        let post = |headers: &[(&str, &str)]| check(&c, Method::POST, "/", headers);
        assert!(!post(&[("sec-fetch-site", "same-site")]));
        assert!(!post(&[("sec-fetch-site", "something-new")]));
        assert!(post(&[("sec-fetch-site", "same-origin")]));
        assert!(post(&[("sec-fetch-site", "none")]));
        // Sec-Fetch-Site decides over Origin when both are there.
        assert!(!post(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://app.example:8080")
        ]));
        // Without it, Origin against the Host, scheme aside.
        assert!(post(&[("origin", "http://app.example:8080")]));
        assert!(post(&[("origin", "https://APP.example:8080")]));
        assert!(!post(&[("origin", "http://app.example:8081")]));
        assert!(!post(&[("origin", "http://app.example")]));
        assert!(!post(&[("origin", "null")]));
        // Neither header: no browser page sent it.
        assert!(post(&[]));
    }

    #[test]
    fn trusted_origins_and_exempt_paths_pass_and_a_disabled_check_passes_all() {
        let c = CrossOrigin::new(&config(
            &["https://Admin.Example"],
            &["/webhooks/", "/callback"],
        ))
        .unwrap();
        let from = |origin: &str, path: &str| {
            check(
                &c,
                Method::POST,
                path,
                &[("sec-fetch-site", "cross-site"), ("origin", origin)],
            )
        };
        assert!(from("https://admin.example", "/"));
        assert!(!from("https://admin.example.evil", "/"));
        assert!(!from("http://admin.example", "/"));
        assert!(from("https://evil.example", "/webhooks/stripe"));
        assert!(from("https://evil.example", "/callback"));
        assert!(!from("https://evil.example", "/callback/more"));
        assert!(!from("https://evil.example", "/webhooks"));
        let off = CrossOrigin::new(&config(&[], &[]).enabled(false)).unwrap();
        assert!(check(
            &off,
            Method::POST,
            "/",
            &[("sec-fetch-site", "cross-site")]
        ));
    }

    #[test]
    fn a_refusal_says_which_header_told_and_is_logged_once_per_origin() {
        let c = CrossOrigin::new(&config(&[], &[])).unwrap();
        let req = TestRequest::post()
            .uri("/")
            .insert_header(("host", "app.example"))
            .insert_header(("origin", "https://evil.example"))
            .to_http_request();
        let refusal = c.check(&req).unwrap_err();
        assert_eq!(
            refusal,
            Refusal {
                header: "origin",
                source: "https://evil.example".to_owned(),
                message: "the request's Origin https://evil.example is not this server's (app.example); this app accepts unsafe requests from its own origin only".to_owned(),
            }
        );
        assert!(c.first_refusal(&refusal.source));
        assert!(!c.first_refusal(&refusal.source));
        assert!(c.first_refusal("https://other.example"));
    }

    #[test]
    fn configured_origins_and_paths_are_checked() {
        let err = |trusted: &[&str], exempt: &[&str]| {
            let e = CrossOrigin::new(&config(trusted, exempt)).unwrap_err();
            format!("{}: {}", e.key, e.message)
        };
        assert_eq!(
            err(&["https://app.example/"], &[]),
            "cookies.cross_origin.trusted_origins[0]: \"https://app.example/\" has a path, which an origin never has; write an origin as scheme://host[:port], such as \"https://app.example.com\""
        );
        assert_eq!(
            err(&["https://ok.example", "app.example"], &[]),
            "cookies.cross_origin.trusted_origins[1]: \"app.example\" has no scheme; write an origin as scheme://host[:port], such as \"https://app.example.com\""
        );
        assert_eq!(
            err(&[], &["webhooks/"]),
            "cookies.cross_origin.exempt_paths[0]: \"webhooks/\" is not a path: write it from its first `/`, such as \"/webhooks/\""
        );
        assert!(CrossOrigin::new(&config(&["http://127.0.0.1:8081"], &["/"])).is_ok());
    }
}
