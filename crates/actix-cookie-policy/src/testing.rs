//! Helpers for tests of apps that use the layer, with `actix_web::test`.
//!
//! ```
//! use actix_web::{App, HttpResponse, cookie::Cookie, test, web};
//! use actix_cookie_policy::{CookiePolicy, CookiePolicyLayer, testing};
//!
//! # actix_web::rt::System::new().block_on(async {
//! let policy = CookiePolicy::default();
//! let app = test::init_service(
//!     App::new().wrap(CookiePolicyLayer::new(policy.clone())).route(
//!         "/",
//!         web::get().to(|| async { HttpResponse::Ok().cookie(Cookie::new("a", "1")).finish() }),
//!     ),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! testing::assert_complies(&res, &policy);
//! let cookie = testing::set_cookie(&res, "a").expect("a is set");
//! assert!(cookie.secure && cookie.http_only);
//! # });
//! ```

use std::time::SystemTime;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderMap, SET_COOKIE};

use crate::error::{CookieError, ViolationKind};
use crate::policy::CookiePolicy;
use crate::set_cookie::{OnePerName, SetCookie};

/// Parses every `Set-Cookie` header, strictly (see [`SetCookie::parse`]).
fn parse_set_cookies(headers: &HeaderMap) -> Result<Vec<SetCookie<'static>>, CookieError> {
    headers
        .get_all(SET_COOKIE)
        .map(|v| {
            let text = std::str::from_utf8(v.as_bytes()).map_err(|_| {
                CookieError::new(
                    "",
                    ViolationKind::InvalidValue,
                    "a Set-Cookie header is not UTF-8 text",
                )
            })?;
            SetCookie::parse(text).map(SetCookie::into_owned)
        })
        .collect()
}

/// Every `Set-Cookie` of a response, with all its attributes (Partitioned
/// and Priority included).
///
/// # Panics
/// When a header does not parse, with the reason: a test helper's failure.
pub fn set_cookies<B>(res: &ServiceResponse<B>) -> Vec<SetCookie<'static>> {
    parse_set_cookies(res.headers())
        .unwrap_or_else(|e| panic!("a Set-Cookie header does not parse: {e}"))
}

/// The `Set-Cookie` for the cookie `name` (as sent on the wire), if any.
///
/// # Panics
/// As [`set_cookies`].
pub fn set_cookie<B>(res: &ServiceResponse<B>, name: &str) -> Option<SetCookie<'static>> {
    set_cookies(res).into_iter().find(|c| c.name == name)
}

/// Checks that every `Set-Cookie` in `headers` is what `policy` writes: it
/// parses, carries every attribute the policy would fill in, keeps every
/// rule, and no name is set twice. The error names the cookie and the rule
/// or attribute.
pub fn check_compliance(headers: &HeaderMap, policy: &CookiePolicy) -> Result<(), String> {
    let cookies = parse_set_cookies(headers).map_err(|e| e.to_string())?;
    let now = SystemTime::now();
    let mut sent = OnePerName::default();
    for c in &cookies {
        if !sent.admit(c, now) {
            return Err(format!(
                "cookie `{}`: set twice in one response (R13)",
                c.name
            ));
        }
        c.check(now).map_err(|e| e.to_string())?;
        let mut want: SetCookie<'_> = c.clone();
        want.fill(policy.attributes(&c.name));
        let missing = [
            (want.name != c.name, format!("is sent as `{}`", c.name)),
            (
                want.path != c.path,
                format!("lacks Path={}", want.path.as_deref().unwrap_or_default()),
            ),
            (
                want.domain != c.domain,
                format!(
                    "lacks Domain={}",
                    want.domain.as_deref().unwrap_or_default()
                ),
            ),
            (
                want.max_age != c.max_age,
                format!("lacks Max-Age={}", want.max_age.unwrap_or_default()),
            ),
            (want.secure != c.secure, "lacks Secure".to_owned()),
            (want.http_only != c.http_only, "lacks HttpOnly".to_owned()),
            (
                want.same_site != c.same_site,
                "lacks SameSite (R14)".to_owned(),
            ),
            (
                want.partitioned != c.partitioned,
                "lacks Partitioned".to_owned(),
            ),
            (want.priority != c.priority, "lacks Priority".to_owned()),
        ];
        if let Some((_, what)) = missing.into_iter().find(|(differs, _)| *differs) {
            return Err(format!(
                "cookie `{}` {what}, which the policy writes",
                want.name
            ));
        }
    }
    Ok(())
}

/// Asserts [`check_compliance`] for a response.
///
/// # Panics
/// When the response does not comply, naming the cookie and the rule.
pub fn assert_complies<B>(res: &ServiceResponse<B>, policy: &CookiePolicy) {
    if let Err(e) = check_compliance(res.headers(), policy) {
        panic!("the response's cookies do not comply with the policy: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn compliance_names_the_cookie_and_what_it_lacks() {
        let p = CookiePolicy::default();
        assert_eq!(
            check_compliance(
                &headers(&["a=1; HttpOnly; SameSite=Lax; Secure; Path=/"]),
                &p
            ),
            Ok(())
        );
        assert_eq!(
            check_compliance(&headers(&["a=1; HttpOnly; SameSite=Lax; Path=/"]), &p),
            Err("cookie `a` lacks Secure, which the policy writes".to_owned())
        );
        assert_eq!(
            check_compliance(&headers(&["a=1; HttpOnly; Secure; Path=/"]), &p),
            Err("cookie `a` lacks SameSite (R14), which the policy writes".to_owned())
        );
        assert_eq!(
            check_compliance(&headers(&["a=1; SameSite=None; Path=/"]), &p),
            Err("cookie `a`: SameSite=None without Secure is ignored by browsers; set secure = true (R10)".to_owned())
        );
        assert_eq!(
            check_compliance(
                &headers(&["a=1; HttpOnly; SameSite=Lax; Secure; Path=/", "a=2"]),
                &p
            ),
            Err("cookie `a`: set twice in one response (R13)".to_owned())
        );
        assert_eq!(
            check_compliance(&headers(&["a=1; Bogus"]), &p),
            Err("cookie `a`: unknown attribute \"Bogus\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority (R4)".to_owned())
        );
    }
}
