//! Properties over generated input, through the production app factory:
//! every value `policy.cookie` accepts round-trips through Set-Cookie and
//! Cookie unchanged, and no input to the playground yields a Set-Cookie with
//! an attribute the policy did not intend.

mod common;

use actix_cookie_policy::SetCookie;
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use common::{app_for, policy_for, settings_with};
use cookie_policy::settings::Profile;
use proptest::prelude::*;

const TCHAR: &str = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn token() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(TCHAR.chars().collect::<Vec<_>>()),
        1..24,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn cookie_octets() -> impl Strategy<Value = String> {
    let octets: Vec<char> = (0x21u8..=0x7E)
        .filter(|b| !matches!(b, b'"' | b',' | b';' | b'\\'))
        .map(char::from)
        .collect();
    // A '%' must start an escape (R2, R18): write each one as %25.
    proptest::collection::vec(proptest::sample::select(octets), 0..64)
        .prop_map(|cs| cs.into_iter().collect::<String>().replace('%', "%25"))
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// One GET through the production app factory in `profile`, with the
/// playground on: status, Set-Cookie headers, body.
fn get(profile: Profile, uri: &str, cookie: Option<&str>) -> (StatusCode, Vec<String>, String) {
    actix_web::rt::System::new().block_on(async {
        let app = app_for(settings_with(profile, ("playground.enabled", true))).await;
        let mut req = TestRequest::get().uri(uri);
        if let Some(c) = cookie {
            req = req.insert_header(("cookie", c));
        }
        let res = call_service(&app, req.to_request()).await;
        let status = res.status();
        let cookies = res
            .headers()
            .get_all("set-cookie")
            .map(|v| v.to_str().expect("ASCII").to_owned())
            .collect();
        let body = String::from_utf8(read_body(res).await.to_vec()).expect("UTF-8");
        (status, cookies, body)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn accepted_values_round_trip_unchanged(name in token(), value in cookie_octets()) {
        // A name starting `__` may carry a prefix, whose rules the policy adds.
        prop_assume!(!name.starts_with("__"));
        let policy = policy_for(Profile::Development);
        prop_assert!(policy.cookie(name.as_str(), value.as_str()).is_ok());

        let uri = format!("/cookies/set?{}={}", percent(&name), percent(&value));
        let (status, cookies, _) = get(Profile::Development, &uri, None);
        prop_assert_eq!(status, StatusCode::FOUND);
        prop_assert_eq!(cookies.len(), 1);
        let sent = SetCookie::parse(&cookies[0]).expect("the layer writes parsable headers");
        prop_assert_eq!(&sent.name, &name);
        prop_assert_eq!(&sent.value, &value);

        let (status, _, body) = get(Profile::Development, "/cookies", Some(&format!("{name}={value}")));
        prop_assert_eq!(status, StatusCode::OK);
        let want = serde_json::json!({ "cookies": { name: value } }).to_string();
        prop_assert_eq!(body, want);
    }

    #[test]
    fn no_playground_input_writes_an_unintended_attribute(
        name in "\\PC{0,12}|[a-z;=, \\r\\n%]{1,8}",
        value in "\\PC{0,24}|[a-z; =,\\r\\n\"\\\\%]{0,24}",
        production in any::<bool>(),
    ) {
        let profile = if production { Profile::Production } else { Profile::Development };
        let policy = policy_for(profile);
        let uri = format!("/cookies/set?{}={}", percent(&name), percent(&value));
        let (status, cookies, body) = get(profile, &uri, None);
        match status {
            StatusCode::FOUND => {
                prop_assert_eq!(cookies.len(), 1);
                let c = SetCookie::parse(&cookies[0]).expect("parsable");
                let attrs = policy.attributes(&name);
                // The shipped configuration declares no prefix: the name is sent as given.
                prop_assert_eq!(&c.name, &name);
                prop_assert_eq!(&c.value, &value);
                prop_assert_eq!(c.path.as_deref(), Some(attrs.path.as_str()));
                prop_assert_eq!(c.domain.as_deref(), attrs.domain.as_deref());
                prop_assert_eq!(c.max_age, attrs.max_age.seconds().map(i64::from));
                prop_assert_eq!(c.expires, None);
                prop_assert_eq!(
                    (c.secure, c.http_only, c.same_site, c.partitioned, c.priority),
                    (attrs.secure, attrs.http_only, Some(attrs.same_site), attrs.partitioned, attrs.priority)
                );
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                prop_assert!(cookies.is_empty(), "a refusal sets nothing");
                prop_assert!(body.starts_with(r#"{"detail":[{"type":""#), "{}", body);
            }
            other => prop_assert!(false, "unexpected status {} for {:?}={:?}: {}", other, name, value, body),
        }
    }
}
