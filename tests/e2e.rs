//! End to end: the compiled binary on an ephemeral loopback port, driven by an
//! HTTP client that keeps a cookie jar, as a browser or `curl -c/-b` would.

use std::time::{Duration, Instant};

use ureq::Agent;

mod common;

use common::redis::Redis;
use common::server::{Server, run_once};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A second key, for a ring of two.
const OTHER_KEY: &str = "8PHy8/T19vf4+fr7/P3+/+Dh4uPk5ebn6Onq6+zt7u8=";

fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn get(agent: &Agent, url: &str) -> (u16, Vec<String>, String) {
    answer(agent.get(url).call())
}

/// A response's status, `Set-Cookie` headers and body.
fn answer(
    res: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> (u16, Vec<String>, String) {
    let mut res = res.expect("the request completes");
    let status = res.status().as_u16();
    let cookies = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .collect();
    let body = res.body_mut().read_to_string().expect("a text body");
    (status, cookies, body)
}

fn jar_has(agent: &Agent, name: &str) -> Option<String> {
    agent
        .cookie_jar_lock()
        .iter()
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

#[test]
fn login_profile_logout_with_a_cookie_jar_then_graceful_sigterm() {
    let mut server = Server::start("development", &[]);
    assert!(
        server
            .startup
            .iter()
            .any(|l| l.contains("starting 1 workers")),
        "server.workers is honoured: {:#?}",
        server.startup
    );
    let agent = agent();

    let (status, _, body) = get(&agent, &server.url("/profile"));
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"No username cookie found"}"#)
    );

    let (status, cookies, body) = get(&agent, &server.url("/login"));
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Logged in and cookie set"}"#)
    );
    assert_eq!(
        cookies,
        ["username=alice; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"]
    );
    assert_eq!(jar_has(&agent, "username").as_deref(), Some("alice"));

    let (_, _, body) = get(&agent, &server.url("/profile"));
    assert_eq!(body, r#"{"message":"Welcome back, alice!"}"#);

    let (_, cookies, body) = get(&agent, &server.url("/logout"));
    assert_eq!(body, r#"{"message":"Logged out"}"#);
    assert_eq!(
        cookies,
        [
            "username=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        ]
    );
    assert_eq!(
        jar_has(&agent, "username"),
        None,
        "the removal cookie matched and removed it"
    );

    let (_, _, body) = get(&agent, &server.url("/profile"));
    assert_eq!(body, r#"{"message":"No username cookie found"}"#);

    let status = server.terminate(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
    let rest: Vec<String> = server.log.try_iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("cookie-policy stopped")),
        "{rest:#?}"
    );
}

#[test]
fn ctrl_c_stops_gracefully_like_sigterm() {
    let mut server = Server::start("development", &[]);
    let (status, _, _) = get(&agent(), &server.url("/healthz"));
    assert_eq!(status, 200);
    server.signal("INT");
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
    let rest: Vec<String> = server.log.try_iter().collect();
    assert!(
        rest.iter().any(|l| l
            .ends_with("SIGINT received; stopping gracefully (up to 5 s for requests in flight)")),
        "{rest:#?}"
    );
    // actix-server's own handling of SIGINT is a forced shutdown.
    assert!(!rest.iter().any(|l| l.contains("force")), "{rest:#?}");
    assert!(
        rest.iter().any(|l| l.contains("cookie-policy stopped")),
        "{rest:#?}"
    );
}

#[test]
fn production_profile_sends_secure_cookies() {
    let server = Server::start("production", &[("APP_KEYS__CURRENT", KEY)]);
    let (status, cookies, body) = get(&agent(), &server.url("/set-cookie"));
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Cookie set"}"#)
    );
    assert_eq!(
        cookies,
        ["mycookie=cookievalue; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=1800"]
    );
    // The playground is off: nobody can have a protected value sealed.
    let (status, cookies, body) = get(&agent(), &server.url("/cookies/set?session=admin"));
    assert_eq!(
        (status, cookies.len(), body.as_str()),
        (404, 0, r#"{"detail":"Not Found"}"#)
    );
    assert!(
        !server.startup.iter().any(|l| l.contains("playground")),
        "{:#?}",
        server.startup
    );
}

#[test]
fn bad_configuration_fails_at_start_up_with_a_clear_message_and_no_panic() {
    let out = run_once(
        &[],
        &[
            ("APP_ENV", "production"),
            ("APP_COOKIES__SAME_SITE", "sideways"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "error: invalid configuration:\n  cookies.same_site: unknown value \"sideways\"; expected one of \"strict\", \"lax\", \"none\" (from APP_COOKIES__SAME_SITE)\n"
    );

    let out = run_once(
        &[],
        &[("APP_ENV", "production"), ("APP_COOKIES__SECURE", "false")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the production profile refuses cookies without Secure (cookies.secure = false from APP_COOKIES__SECURE); set cookies.secure = true, or opt out with cookies.allow_insecure_in_production = true\n"
    );
}

#[test]
fn a_port_in_use_is_reported_with_what_to_do() {
    let server = Server::start("development", &[]);
    let port = server.base.rsplit(':').next().expect("a port").to_owned();
    let out = run_once(&[], &[("APP_SERVER__PORT", &port)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "choose another with APP_SERVER__HOST and APP_SERVER__PORT (port 0 picks a free one)\n"
        ),
        "{stderr}"
    );
}

#[test]
fn production_without_a_key_refuses_to_start_in_one_line() {
    let out = run_once(&[], &[("APP_ENV", "production")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the production profile needs a key for protected cookies (prefs, session, sid): set APP_KEYS__CURRENT (or keys.current) to the output of `cookie-policy keygen`\n"
    );
}

#[test]
fn keygen_prints_a_fresh_32_byte_key_without_any_configuration() {
    let run = || {
        let out = run_once(&["keygen"], &[("APP_CONFIG_DIR", "/nonexistent")]);
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("ASCII")
    };
    let (a, b) = (run(), run());
    assert_eq!(a.len(), 45, "44 base64 characters and a newline: {a:?}");
    assert!(
        a.trim_end()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
    );
    assert_ne!(a, b);
}

#[test]
fn the_private_session_cookie_is_ciphertext_in_the_jar_and_plain_to_the_app() {
    let server = Server::start(
        "production",
        &[
            ("APP_KEYS__CURRENT", KEY),
            ("APP_PLAYGROUND__ENABLED", "true"),
        ],
    );
    // Production serves the playground only when told to, and says what it exposes.
    assert!(
        server.startup.iter().any(|line| line.contains("WARN")
            && line.contains("the playground is on in the production profile")
            && line.contains("protected ones (prefs, session, sid)")),
        "{:#?}",
        server.startup
    );
    // A jar that keeps Secure cookies over plain HTTP needs TLS here, so this
    // drives the jar by hand with the header the server sent.
    let mut res = agent()
        .get(server.url("/cookies/set?session=alice"))
        .config()
        .max_redirects(0)
        .build()
        .call()
        .expect("the request completes");
    assert_eq!(res.status().as_u16(), 302);
    let set = res
        .headers()
        .get("set-cookie")
        .expect("a cookie")
        .to_str()
        .expect("ASCII")
        .to_owned();
    let _ = res.body_mut().read_to_string();
    assert!(set.starts_with("session="), "{set}");
    assert!(
        set.ends_with("; HttpOnly; SameSite=Lax; Secure; Path=/"),
        "{set}"
    );
    assert_eq!(
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    let pair = set.split(';').next().expect("a pair");
    assert!(!pair.contains("alice"), "the jar holds ciphertext: {pair}");

    // ureq's jar replaces a hand-set Cookie header, so send this one raw.
    let response = raw_get(&server.base, "/cookies", pair);
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.ends_with("\r\n\r\n{\"cookies\":{\"session\":\"alice\"}}"),
        "{response}"
    );
}

/// One GET with a given Cookie header over a plain TCP connection; the whole
/// response as text.
fn raw_get(base: &str, path: &str, cookie: &str) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    response
}

#[test]
fn healthcheck_reports_a_running_server_and_a_missing_one() {
    let server = Server::start("development", &[]);
    let port = server.base.rsplit(':').next().expect("a port").to_owned();
    let run = |port: &str| {
        run_once(
            &["healthcheck"],
            &[("APP_SERVER__HOST", "0.0.0.0"), ("APP_SERVER__PORT", port)],
        )
    };
    let out = run(&port);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
    let out = run(&port);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("unhealthy: "));
}

/// How a connection answered a request written one byte at a time.
#[derive(Debug, PartialEq)]
enum Trickled {
    /// The server closed the connection after this long.
    Closed(Duration),
    /// The server answered (the text read) after this long.
    Answered(String, Duration),
}

/// Writes `request` one byte every `gap` on `stream`, watching between bytes
/// for the server's answer or its closing the connection.
fn trickle(stream: &mut std::net::TcpStream, request: &[u8], gap: Duration) -> Trickled {
    use std::io::{ErrorKind, Read, Write};
    let started = Instant::now();
    stream.set_read_timeout(Some(gap)).expect("timeout");
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let mut bytes = request.iter();
    loop {
        if let Some(byte) = bytes.next()
            && stream.write_all(&[*byte]).is_err()
        {
            return Trickled::Closed(started.elapsed());
        }
        match stream.read(&mut buf) {
            Ok(0) if answer.is_empty() => return Trickled::Closed(started.elapsed()),
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if !answer.is_empty() {
                    break;
                }
            }
            Err(_) => return Trickled::Closed(started.elapsed()),
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "neither answered nor closed within 30 s"
        );
    }
    Trickled::Answered(
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// Sends `GET /healthz` whole on `stream` and reads its response.
fn healthz_on(stream: &mut std::net::TcpStream, host: &str) -> String {
    use std::io::{Read, Write};
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n").expect("writes");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    while !response.ends_with(br#"{"status":"ok"}"#) {
        let n = stream.read(&mut buf).expect("a response");
        assert_ne!(n, 0, "closed before the whole response");
        response.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&response).into_owned()
}

#[test]
fn a_request_head_trickled_on_a_kept_alive_connection_is_cut_off() {
    // A bound of 1 + 1 s for a later request's head, 1 s for a first one.
    let server = Server::start(
        "development",
        &[
            ("APP_SERVER__KEEP_ALIVE", "1"),
            ("APP_SERVER__CLIENT_REQUEST_TIMEOUT", "1"),
        ],
    );
    let host = server.base.trim_start_matches("http://").to_owned();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let gap = Duration::from_millis(200);

    // Kept alive: a second whole request on the connection is served.
    let mut stream = std::net::TcpStream::connect(&host).expect("connects");
    assert!(healthz_on(&mut stream, &host).starts_with("HTTP/1.1 200 OK\r\n"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(healthz_on(&mut stream, &host).starts_with("HTTP/1.1 200 OK\r\n"));

    // Trickled, the next one (about 9 s at this pace) is cut off at the
    // bound, unanswered.
    match trickle(&mut stream, request.as_bytes(), gap) {
        Trickled::Closed(after) => assert!(
            after >= Duration::from_millis(1500) && after < Duration::from_secs(4),
            "closed after {after:?}, expected about 2 s"
        ),
        answered => panic!("the trickled request was served: {answered:?}"),
    }

    // A first request trickled gets 408 at client_request_timeout.
    let mut stream = std::net::TcpStream::connect(&host).expect("connects");
    match trickle(&mut stream, request.as_bytes(), gap) {
        Trickled::Answered(text, after) => {
            assert!(
                text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
                "{text}"
            );
            assert!(
                after >= Duration::from_millis(800) && after < Duration::from_secs(3),
                "answered after {after:?}, expected about 1 s"
            );
        }
        closed => panic!("expected 408, got {closed:?}"),
    }
}

#[test]
fn a_key_in_the_wrong_shape_is_named_and_never_printed() {
    // One retired key written alone, mid-rotation: a list of one.
    let server = Server::start(
        "production",
        &[
            ("APP_KEYS__CURRENT", OTHER_KEY),
            ("APP_KEYS__PREVIOUS", KEY),
        ],
    );
    let (status, _, _) = get(&agent(), &server.url("/healthz"));
    assert_eq!(status, 200);
    drop(server);

    let listed = format!("[\"{KEY}\"]");
    let out = run_once(
        &[],
        &[("APP_ENV", "production"), ("APP_KEYS__CURRENT", &listed)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid configuration:\n  keys.current: expected a key, found a list (the value is not printed); set it to a key from `cookie-policy keygen` (from APP_KEYS__CURRENT)\n"
    );

    // A syntax error on a key's line: the file and the line, not its text.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let default = dir.path().join("default.toml");
    std::fs::write(&default, format!("[keys]\ncurrent = \"{KEY}\n")).expect("writes");
    let folder = dir.path().to_str().expect("a UTF-8 path");
    let out = run_once(&[], &[("APP_CONFIG_DIR", folder)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: invalid configuration:\n  {}: TOML parse error at line 2, column 56: invalid basic string (the line is not printed, as it may hold a key)\n",
            default.display()
        )
    );
}

#[test]
fn the_access_log_has_no_query_and_no_captured_path_segment() {
    let server = Server::start("development", &[]);
    let agent: Agent = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    for path in [
        "/cookies/set?session=s3cret-value",
        "/cookies/set/session/s3cret-value",
        "/no/such/page?token=s3cret-value",
    ] {
        get(&agent, &server.url(path));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    while lines.len() < 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = server.log.recv_timeout(left).expect("an access log line");
        assert!(
            !line.contains("s3cret"),
            "a cookie value in the log: {line}"
        );
        if let Some((_, entry)) = line.split_once(" actix_web::middleware::logger] ") {
            lines.push(entry.to_owned());
        }
    }
    let expected = [
        r#"127.0.0.1 "GET /cookies/set HTTP/1.1" 302 0 "#,
        r#"127.0.0.1 "GET /cookies/set/{name}/{value} HTTP/1.1" 302 0 "#,
        r#"127.0.0.1 "GET /no/such/page HTTP/1.1" 404 22 "#,
    ];
    for (line, start) in lines.iter().zip(expected) {
        let time = line.strip_prefix(start).unwrap_or_else(|| panic!("{line}"));
        let millis = time.strip_suffix("ms").unwrap_or_else(|| panic!("{line}"));
        assert!(millis.parse::<f64>().is_ok(), "{line}");
    }
}

/// A Redis URL on a loopback port nothing listens on: bound, then released.
fn redis_nobody_answers() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    format!("redis://127.0.0.1:{port}")
}

#[test]
fn the_binary_starts_while_redis_is_down_and_answers_503_on_sessions_only() {
    let url = redis_nobody_answers();
    let server = Server::start(
        "development",
        &[
            ("APP_SESSIONS__STORE", "redis"),
            ("APP_SESSIONS__REDIS_URL", &url),
        ],
    );
    let agent = agent();
    let (status, cookies, body) = get(&agent, &server.url("/session/login?user=alice"));
    assert_eq!(
        (status, cookies.len(), body.as_str()),
        (
            503,
            0,
            r#"{"detail":[{"type":"session_store_unavailable","loc":["cookie","__Host-sid"],"msg":"the session store is unavailable; try again later"}]}"#
        )
    );
    let (status, _, body) = get(&agent, &server.url("/healthz"));
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
}

/// The `Set-Cookie` headers of a GET, with redirects not followed.
fn set_cookies_of(agent: &Agent, url: &str) -> (u16, Vec<String>, String) {
    answer(agent.get(url).config().max_redirects(0).build().call())
}

/// The body of a raw response.
fn body_of(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

#[test]
fn two_binaries_share_one_redis_and_a_logout_on_one_revokes_on_the_other() {
    let redis = Redis::start();
    let env = [
        ("APP_KEYS__CURRENT", KEY),
        ("APP_SESSIONS__STORE", "redis"),
        ("APP_SESSIONS__REDIS_URL", &redis.url()),
    ];
    let one = Server::start("development", &env);
    let two = Server::start("development", &env);
    let agent = agent();

    let (status, cookies, body) = set_cookies_of(&agent, &one.url("/session/login?user=alice"));
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Logged in as alice"}"#)
    );
    let [sid] = cookies.as_slice() else {
        panic!("one session cookie: {cookies:?}")
    };
    assert!(
        sid.starts_with("__Host-sid=")
            && sid.ends_with("; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=86400"),
        "{sid}"
    );
    // A jar keeps a Secure cookie over plain HTTP only with TLS, so the
    // client here sends the pair by hand, as a browser would over HTTPS.
    let pair = sid.split(';').next().expect("a pair");

    let me = raw_get(&two.base, "/session/me", pair);
    assert!(me.starts_with("HTTP/1.1 200 OK\r\n"), "{me}");
    assert_eq!(body_of(&me), r#"{"user":"alice"}"#);

    let logout = raw_get(&two.base, "/session/logout", pair);
    assert_eq!(body_of(&logout), r#"{"message":"Logged out"}"#);
    assert!(
        logout.contains("\r\nset-cookie: __Host-sid=; "),
        "the logout removes the cookie: {logout}"
    );

    // The cookie as it was before the logout, replayed on the instance that
    // issued it: revoked there too, since the session is gone from Redis.
    let not_logged_in = r#"{"detail":[{"type":"not_logged_in","loc":["cookie","__Host-sid"],"msg":"no session is signed in; sign in at /session/login?user=NAME"}]}"#;
    for server in [&one, &two] {
        let replayed = raw_get(&server.base, "/session/me", pair);
        assert!(replayed.starts_with("HTTP/1.1 401 "), "{replayed}");
        assert_eq!(body_of(&replayed), not_logged_in);
    }
}

/// The value of the `session` cookie a raw response sets, if it sets one.
fn session_set_by(response: &str) -> Option<String> {
    response
        .split("\r\n")
        .find_map(|line| line.strip_prefix("set-cookie: session="))
        .and_then(|rest| rest.split(';').next())
        .map(|value| format!("session={value}"))
}

#[test]
fn sighup_rotates_keys_from_the_key_file_in_stages_with_requests_in_flight() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let dir = std::env::temp_dir().join(format!("cookie-policy-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join("keys");
    // Replaced whole, as a secret store or `mv` does, never half-written.
    let write_keys = |contents: &str| {
        let next = dir.join("keys.next");
        std::fs::write(&next, contents).expect("writes");
        std::fs::rename(&next, &file).expect("renames");
    };
    let (old, new) = (KEY, OTHER_KEY);
    write_keys(&format!("# the current key first\n{old}\n"));
    let server = Server::start(
        "development",
        &[("APP_KEYS__FILE", file.to_str().expect("a UTF-8 path"))],
    );

    // A private cookie sealed under the old key.
    let mut res = agent()
        .get(server.url("/cookies/set?session=alice"))
        .config()
        .max_redirects(0)
        .build()
        .call()
        .expect("the request completes");
    let set = res
        .headers()
        .get("set-cookie")
        .expect("a cookie")
        .to_str()
        .expect("ASCII");
    let sealed_old = set.split(';').next().expect("a pair").to_owned();
    let _ = res.body_mut().read_to_string();
    let reads = |cookie: &str| raw_get(&server.base, "/cookies", cookie);
    let alice = "\r\n\r\n{\"cookies\":{\"session\":\"alice\"}}";
    assert!(reads(&sealed_old).ends_with(alice));

    // Requests in flight through every reload: kept-alive connections,
    // each answer checked.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load: Vec<_> = (0..2)
        .map(|_| {
            let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
            let url = server.url("/profile");
            std::thread::spawn(move || {
                let agent = agent();
                while !stop.load(Ordering::Relaxed) {
                    sent.fetch_add(1, Ordering::Relaxed);
                    let answer = agent.get(&url).header("cookie", "username=alice").call();
                    let ok = answer.is_ok_and(|mut r| {
                        r.status() == 200
                            && r.body_mut()
                                .read_to_string()
                                .is_ok_and(|body| body == r#"{"message":"Welcome back, alice!"}"#)
                    });
                    if !ok {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    while sent.load(Ordering::Relaxed) < 10 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let reload = |contents: &str, expected: &str| {
        write_keys(contents);
        server.signal("HUP");
        server.wait_for_log(expected)
    };

    // 1. The new key joins as a previous one: it verifies, the old one protects.
    reload(
        &format!("{old}\n{new}\n"),
        "SIGHUP: keys reloaded: a current key and 1 previous",
    );
    let answer = reads(&sealed_old);
    assert!(answer.ends_with(alice), "{answer}");
    assert_eq!(session_set_by(&answer), None, "still under the current key");

    // 2. The new key is promoted: the old cookie still reads, and is
    //    re-issued under the new key on that same response.
    reload(
        &format!("{new}\n{old}\n"),
        "SIGHUP: keys reloaded: a current key and 1 previous",
    );
    let answer = reads(&sealed_old);
    assert!(answer.ends_with(alice), "{answer}");
    let sealed_new = session_set_by(&answer).expect("re-issued under the new key");
    assert_ne!(sealed_new, sealed_old);

    // 3. The old key is dropped: only what the new key sealed reads.
    reload(
        &format!("{new}\n"),
        "SIGHUP: keys reloaded: a current key and 0 previous",
    );
    assert!(reads(&sealed_old).ends_with("\r\n\r\n{\"cookies\":{}}"));
    assert!(reads(&sealed_new).ends_with(alice));

    // A file that fails the checks leaves the running ring, with one error
    // naming the file and line, never a key.
    let error = reload(&format!("{new}\nnot a key\n"), "SIGHUP: keys not reloaded");
    assert!(
        error.contains(&format!(
            "ERROR cookie_policy::startup] SIGHUP: keys not reloaded, the running ones stay: invalid configuration: keys.file: {} line 2: is not base64; generate one with `cookie-policy keygen` (from APP_KEYS__FILE)",
            file.display()
        )),
        "{error}"
    );
    assert!(!error.contains(new) && !error.contains(old));
    assert!(reads(&sealed_new).ends_with(alice));

    stop.store(true, Ordering::Relaxed);
    for thread in load {
        thread.join().expect("the load thread ends");
    }
    let (sent, failed) = (sent.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(sent > 20, "requests were in flight throughout: {sent}");
    assert_eq!(failed, 0, "of {sent} requests");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_forged_cross_site_post_is_refused_and_a_client_without_browser_headers_is_not() {
    let server = Server::start("development", &[]);
    let post = |headers: &[(&str, &str)]| {
        let mut req = agent()
            .post(server.url("/cookies/set"))
            .config()
            .max_redirects(0)
            .build()
            .header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        answer(req.send("theme=dark"))
    };
    // curl and other clients send neither Sec-Fetch-Site nor Origin.
    let (status, cookies, _) = post(&[]);
    assert_eq!(
        (status, cookies.as_slice()),
        (
            302,
            ["theme=dark; HttpOnly; SameSite=Lax; Path=/".to_owned()].as_slice()
        )
    );
    // What a browser sends for a form on another site.
    let (status, cookies, body) = post(&[
        ("sec-fetch-site", "cross-site"),
        ("origin", "http://evil.localhost:9999"),
    ]);
    assert_eq!((status, cookies.len()), (403, 0));
    assert_eq!(
        body,
        r#"{"detail":[{"type":"cross_origin_request","loc":["header","sec-fetch-site"],"msg":"the browser sent this POST from another site (Sec-Fetch-Site: cross-site); this app accepts unsafe requests from its own origin only"}]}"#
    );
    let line =
        server.wait_for_log("refused POST /cookies/set from http://evil.localhost:9999 (R23)");
    assert!(line.contains(" WARN "), "{line}");
}

#[test]
fn metrics_count_what_the_layer_decided_on_their_own_listener() {
    // Sessions in a Redis that is down, so that /session/* answers 503.
    let redis_url = redis_nobody_answers();
    let server = Server::start(
        "development",
        &[
            ("APP_METRICS__ENABLED", "true"),
            ("APP_METRICS__PORT", "0"),
            ("APP_SESSIONS__STORE", "redis"),
            ("APP_SESSIONS__REDIS_URL", &redis_url),
        ],
    );
    let line = server.wait_for_log("metrics on http://");
    let metrics_url = line
        .split("metrics on ")
        .nth(1)
        .expect("an address")
        .trim()
        .to_owned();
    assert!(
        metrics_url.starts_with("http://127.0.0.1:") && metrics_url.ends_with("/metrics"),
        "{metrics_url}"
    );
    let agent = agent();
    let scrape = || {
        let mut res = agent.get(&metrics_url).call().expect("metrics answer");
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()
                .get("content-type")
                .map(|v| v.to_str().expect("ASCII")),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        res.body_mut().read_to_string().expect("text")
    };
    // The `name{labels} value` lines of the layer's and the server's counters.
    let counters = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("cookie_policy_"))
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    // Nothing decided yet, nothing counted; the public port does not serve them.
    assert_eq!(counters(&scrape()), Vec::<String>::new());
    let (status, _, _) = get(&agent, &server.url("/metrics"));
    assert_eq!(status, 404);

    // A cookie filled in, a pair skipped (twice), a 431, a 403 and a 503.
    let (_, cookies, _) = get(&agent, &server.url("/right-set"));
    assert_eq!(cookies, ["token=abc123; HttpOnly; SameSite=Lax; Path=/"]);
    for _ in 0..2 {
        let response = raw_get(&server.base, "/profile", "a b=1; username=alice");
        assert_eq!(body_of(&response), r#"{"message":"Welcome back, alice!"}"#);
    }
    let many: Vec<String> = (0..101).map(|i| format!("c{i}=1")).collect();
    assert!(raw_get(&server.base, "/profile", &many.join("; ")).starts_with("HTTP/1.1 431 "));
    let forged = agent
        .post(server.url("/cookies/set"))
        .header("sec-fetch-site", "cross-site")
        .send("")
        .expect("the request completes");
    assert_eq!(forged.status().as_u16(), 403);
    let (status, _, _) = get(&agent, &server.url("/session/login?user=alice"));
    assert_eq!(status, 503);

    let text = scrape();
    assert_eq!(
        counters(&text),
        [
            "cookie_policy_request_cookies_skipped_total{kind=\"invalid_name\"} 2",
            "cookie_policy_requests_refused_total{reason=\"cross_origin_request\"} 1",
            "cookie_policy_requests_refused_total{reason=\"too_many_cookies\"} 1",
            "cookie_policy_session_store_unavailable_total 1",
            "cookie_policy_set_cookies_filled_total 1",
        ]
    );
    // Each with what it counts.
    for name in [
        "cookie_policy_request_cookies_skipped_total",
        "cookie_policy_requests_refused_total",
        "cookie_policy_session_store_unavailable_total",
        "cookie_policy_set_cookies_filled_total",
    ] {
        let help = format!("# HELP {name} ");
        assert!(
            text.lines().any(|l| l.starts_with(&help)),
            "{help:?} in:\n{text}"
        );
    }
}
