//! Real browsers as the judge: Debian's headless `chromium` against the real
//! binary on loopback. Each test asserts what the browser stored (its whole
//! cookie store, attributes and partition included) and what it sent (what
//! the app, or a recorder on the app's site, received).
//!
//! The driver is WebDriver: Debian's `chromedriver` (package
//! `chromium-driver`, built from the same source as `chromium`, so the two
//! always match) with the `fantoccini` client. WebDriver is a W3C standard
//! that does not change with each Chromium release, and fantoccini is a
//! small client that needs no TLS here, chromedriver being on loopback. A
//! DevTools client (`chromiumoxide`) generates its types from the whole
//! protocol, a far longer build, for a protocol revision that Debian's
//! Chromium moves past. The one thing WebDriver cannot show, the whole
//! cookie store with each cookie's partition, is one DevTools command,
//! sent through chromedriver's `goog/cdp/execute`.
//!
//! Two sites on one machine: `localhost` and `127.0.0.1` are different sites
//! to a browser. The app is reached as `http://localhost:P`; the pages of
//! [`Pages`] are served as `http://127.0.0.1:Q` (another site: the attacker,
//! or a site that embeds the app) and record every request they get. Reached
//! as `http://localhost:Q`, the same recorder is on the app's own site (a
//! cookie belongs to a host, whatever its port), so it sees which of the
//! app's cookies a cross-site request carries, whether or not the app would
//! accept that request.
//!
//! Chromium counts both `http://localhost` and `http://127.0.0.1` as secure
//! (loopback is a potentially trustworthy origin): from either, over plain
//! HTTP, it stores `Secure` cookies, so `__Host-`, `SameSite=None` and
//! `Partitioned` cookies work here, with `sourceScheme` `Secure` in its
//! store. The tests rely on this only for `localhost`, where the app is.
//!
//! Needs `chromium` and `chromium-driver` (Debian's packages; `.ci/run`
//! installs them). Without them each test fails, saying what to install.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::server::Server;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long any one wait for the browser or a page server may take.
const WAIT: Duration = Duration::from_secs(10);

/// One browser at a time: two cores run one Chromium well, several badly.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The cookies the tests declare, by environment, on top of the
/// development profile (which has the playground, and no `Secure` by
/// default).
const POLICY: &[(&str, &str)] = &[
    ("APP_COOKIES__OVERRIDES__VISIBLE__HTTP_ONLY", "false"),
    ("APP_COOKIES__OVERRIDES__STRICTC__SAME_SITE", "strict"),
    ("APP_COOKIES__OVERRIDES__NONEC__SAME_SITE", "none"),
    ("APP_COOKIES__OVERRIDES__NONEC__SECURE", "true"),
    ("APP_COOKIES__OVERRIDES__HOSTC__PREFIX", "host"),
    ("APP_COOKIES__OVERRIDES__SECUREC__PREFIX", "secure"),
    ("APP_COOKIES__OVERRIDES__CHIP__PARTITIONED", "true"),
    ("APP_COOKIES__OVERRIDES__CHIP__SAME_SITE", "none"),
    ("APP_COOKIES__OVERRIDES__CHIP__SECURE", "true"),
];

/// A headless Chromium with its own empty profile, through chromedriver;
/// both stopped when dropped.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                std::path::Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's {package} (apt-get install -y chromium chromium-driver; .ci/run does)"
            );
        }
        let port = free_port();
        // Its own process group, which the browser joins, so that a test
        // that fails midway leaves no browser behind (see `Drop`).
        let driver = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile folder");
        // A closed network: no background fetches, component updates, sync
        // or QUIC, each of which would try the internet and wait on it; no
        // crash reporter, a process outside chromedriver's group.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-breakpad",
            "--disable-dev-shm-usage",
            "--window-size=1000,800",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": args,
                // Third-party cookies allowed, as in a default Chrome profile,
                // so that SameSite and Partitioned alone decide what a
                // cross-site request or frame gets.
                "prefs": { "profile.cookie_controls_mode": 0, "profile.block_third_party_cookies": false },
            },
        });
        let caps = caps.as_object().expect("an object").clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + WAIT;
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                // chromedriver is not listening yet.
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("chromedriver on port {port} does not start a session: {e}"),
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Loads `url` as a top-level navigation and waits for its load event
    /// (which waits for the page's frames too).
    async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigates");
    }

    /// Runs `script` in the current page; its value.
    async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.expect("runs")
    }

    /// The text of the page's body.
    async fn text(&self) -> String {
        let body = self
            .client
            .find(Locator::Css("body"))
            .await
            .expect("a body");
        body.text().await.expect("its text")
    }

    /// The HTTP status of the response the current page came from.
    async fn status(&self) -> Value {
        self.script(
            "return performance.getEntriesByType('navigation')[0].responseStatus",
            vec![],
        )
        .await
    }

    /// Clicks what `locator` finds, which submits a form or follows a link,
    /// and waits until the next page has loaded.
    async fn click_to_next_page(&self, locator: Locator<'_>) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        let target = self.client.find(locator).await.expect("the element");
        target.click().await.expect("clicks");
        let deadline = Instant::now() + WAIT;
        loop {
            // The old page's root is gone once the next page replaced it.
            if old.tag_name().await.is_err() {
                let state = self.client.execute("return document.readyState", vec![]);
                if matches!(state.await, Ok(s) if s == "complete") {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "no next page within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a DevTools command to the browser through chromedriver.
    async fn devtools(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(DevTools { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Every cookie in the browser's store, whatever its site or partition,
    /// one line each, sorted: see [`cookie_line`].
    async fn stored(&self) -> Vec<String> {
        let answer = self.devtools("Storage.getCookies", json!({})).await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        let cookies = answer["cookies"].as_array().expect("a list of cookies");
        let mut lines: Vec<String> = cookies.iter().map(|c| cookie_line(c, now)).collect();
        lines.sort();
        lines
    }

    /// The stored cookie `name`'s value (the first, if several partitions
    /// hold one).
    async fn stored_value(&self, name: &str) -> String {
        let answer = self.devtools("Storage.getCookies", json!({})).await;
        let cookies = answer["cookies"].as_array().expect("a list of cookies");
        let cookie = cookies
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no cookie {name} in {cookies:?}"));
        cookie["value"].as_str().expect("a value").to_owned()
    }

    /// What the app received from this browser, as the playground's
    /// `GET /cookies` answers it in JSON (private values decrypted): asked
    /// by a same-origin `fetch`, which carries every cookie of the site.
    async fn app_received(&self, sites: &Sites) -> String {
        // A page of the app without a Content-Security-Policy, so that its
        // script may fetch.
        self.goto(&sites.app("/healthz")).await;
        let body = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch('/cookies', {headers: {accept: 'application/json'}})
                   .then(r => r.text()).then(done, e => done('failed: ' + e));",
                vec![],
            )
            .await
            .expect("the fetch runs");
        body.as_str().expect("a text").to_owned()
    }

    async fn stop(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver and every browser process it started.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// A DevTools command, through chromedriver's endpoint for them.
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.expect("a session");
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// One stored cookie as a `Set-Cookie`-like line of what the browser kept:
/// `name=value; Domain=...; Path=...`, then `Max-Age` (the seconds left,
/// to the nearest 10, for a cookie that is not a session cookie),
/// `Secure`, `HttpOnly`, `SameSite` (as stored; absent when the cookie
/// named none), and `Partitioned` with the top-level site of its
/// partition, marked `cross-site` when set in a frame of another site.
fn cookie_line(c: &Value, now: f64) -> String {
    let text = |key: &str| c[key].as_str().unwrap_or_default().to_owned();
    let mut line = format!(
        "{}={}; Domain={}; Path={}",
        text("name"),
        text("value"),
        text("domain"),
        text("path")
    );
    if c["session"] == false {
        let left = c["expires"].as_f64().expect("an expiry") - now;
        line.push_str(&format!("; Max-Age={}", (left / 10.0).round() * 10.0));
    }
    if c["secure"] == true {
        line.push_str("; Secure");
    }
    if c["httpOnly"] == true {
        line.push_str("; HttpOnly");
    }
    if let Some(same_site) = c["sameSite"].as_str() {
        line.push_str(&format!("; SameSite={same_site}"));
    }
    if let Some(key) = c.get("partitionKey") {
        let site = key["topLevelSite"].as_str().expect("a top-level site");
        let within = if key["hasCrossSiteAncestor"] == true {
            ", cross-site"
        } else {
            ""
        };
        line.push_str(&format!("; Partitioned({site}{within})"));
    }
    line
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The addresses of one test: the app's port and the page server's.
#[derive(Debug, Clone, Copy)]
struct Sites {
    app: u16,
    pages: u16,
}

impl Sites {
    /// `path` on the app, on its own site.
    fn app(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.app)
    }

    /// `path` on the page server, as another site.
    fn cross_site(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.pages)
    }

    /// `path` on the page server, on the app's site (another origin).
    fn app_site(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.pages)
    }
}

/// One request a page server got.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Its `Cookie` header, empty without one.
    cookie: String,
}

/// HTML pages on a loopback port, each request recorded: a path of
/// `pages` answers its page, any other path a small page naming it.
struct Pages {
    seen: Arc<Mutex<Vec<(String, Seen)>>>,
}

/// The pages a test serves, by path.
type PageList = Vec<(&'static str, String)>;

impl Pages {
    /// Serves `pages` on `listener`.
    fn serve(listener: TcpListener, pages: PageList) -> Pages {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let pages: BTreeMap<&'static str, String> = pages.into_iter().collect();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (record, pages) = (Arc::clone(&record), pages.clone());
                std::thread::spawn(move || answer(stream, &record, &pages));
            }
        });
        Pages { seen }
    }

    /// Waits until `path` was requested, and returns its first request.
    async fn wait_for(&self, path: &str) -> Seen {
        let deadline = Instant::now() + WAIT;
        loop {
            let first = {
                let seen = self.seen.lock().expect("the record");
                seen.iter().find(|(p, _)| p == path).map(|(_, s)| s.clone())
            };
            if let Some(seen) = first {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "no request for {path} within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Answers one connection's request (the browser's, so a plain HTTP/1.1
/// request with at most a form body) and records it.
fn answer(
    stream: TcpStream,
    record: &Mutex<Vec<(String, Seen)>>,
    pages: &BTreeMap<&'static str, String>,
) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let (mut cookie, mut length) = (String::new(), 0usize);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "cookie" => cookie = value.trim().to_owned(),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length.min(65536)];
    let _ = reader.read_exact(&mut body);
    let page = match pages.get(path.as_str()) {
        Some(page) => page.clone(),
        None => format!("<!doctype html><title>recorded</title><p>{method} {path}</p>"),
    };
    record
        .lock()
        .expect("the record")
        .push((path, Seen { method, cookie }));
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
}

/// What one test has: the app, a browser, the page server and their
/// addresses.
struct Case {
    app: Server,
    browser: Browser,
    pages: Pages,
    sites: Sites,
}

/// Runs one browser test: the app (development profile, with `env`, such
/// as [`POLICY`]), the pages `pages` makes for the test's addresses, and a
/// browser.
async fn with_browser(
    env: &[(&str, &str)],
    pages: impl FnOnce(Sites) -> PageList,
    test: impl AsyncFnOnce(&Case),
) {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = Server::start("development", env);
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let sites = Sites {
        app: port_of(&app.base),
        pages: listener.local_addr().expect("an address").port(),
    };
    let pages = Pages::serve(listener, pages(sites));
    let browser = Browser::start().await;
    let case = Case {
        app,
        browser,
        pages,
        sites,
    };
    test(&case).await;
    case.browser.stop().await;
}

/// The port of `http://host:port`.
fn port_of(base: &str) -> u16 {
    let port = base.rsplit(':').next().expect("a port");
    port.parse().expect("a port number")
}

/// No pages of another site.
fn no_pages(_: Sites) -> PageList {
    Vec::new()
}

/// Sets cookies on the app's site through the playground, as a top-level
/// navigation of the browser (`query` is `name=value&...`).
async fn set(case: &Case, query: &str) {
    let url = case.sites.app(&format!("/cookies/set?{query}"));
    case.browser.goto(&url).await;
}

#[tokio::test]
async fn the_seed_flow_logs_in_greets_and_logs_out() {
    with_browser(POLICY, no_pages, async |c| {
        c.browser.goto(&c.sites.app("/login")).await;
        assert_eq!(
            c.browser.text().await,
            r#"{"message":"Logged in and cookie set"}"#
        );
        assert_eq!(
            c.browser.stored().await,
            ["username=alice; Domain=localhost; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"]
        );
        c.browser.goto(&c.sites.app("/profile")).await;
        assert_eq!(
            c.browser.text().await,
            r#"{"message":"Welcome back, alice!"}"#
        );
        c.browser.goto(&c.sites.app("/logout")).await;
        assert_eq!(c.browser.text().await, r#"{"message":"Logged out"}"#);
        assert_eq!(c.browser.stored().await, Vec::<String>::new());
        c.browser.goto(&c.sites.app("/profile")).await;
        assert_eq!(
            c.browser.text().await,
            r#"{"message":"No username cookie found"}"#
        );
    })
    .await;
}

#[tokio::test]
async fn http_only_cookies_are_hidden_from_scripts_and_the_others_are_not() {
    with_browser(POLICY, no_pages, async |c| {
        // `theme` takes the policy's HttpOnly; `visible` is declared without.
        set(c, "theme=dark&visible=yes").await;
        assert_eq!(
            c.browser.stored().await,
            [
                "theme=dark; Domain=localhost; Path=/; HttpOnly; SameSite=Lax",
                "visible=yes; Domain=localhost; Path=/; SameSite=Lax",
            ]
        );
        let script = c.browser.script("return document.cookie", vec![]).await;
        assert_eq!(script, json!("visible=yes"));
        // Both go to the app.
        assert_eq!(
            c.browser.app_received(&c.sites).await,
            r#"{"cookies":{"theme":"dark","visible":"yes"}}"#
        );
    })
    .await;
}

/// The other site's page: a link and a form to the recorder on the app's
/// site.
fn attacker_page(sites: Sites) -> PageList {
    let page = format!(
        r#"<!doctype html><title>another site</title>
<a id="link" href="{link}">a link</a>
<form method="post" action="{post}"><input name="x" value="1"><button id="submit">post</button></form>"#,
        link = sites.app_site("/record/navigation"),
        post = sites.app_site("/record/post"),
    );
    vec![("/attack", page)]
}

/// What the app's site received from three cross-site requests, sent from
/// the other site's page: a `fetch` with credentials, a form POST, and a
/// link followed (a top-level GET).
struct CrossSite {
    fetched: Seen,
    posted: Seen,
    navigated: Seen,
}

async fn cross_site_requests(c: &Case) -> CrossSite {
    let attack = c.sites.cross_site("/attack");
    c.browser.goto(&attack).await;
    c.browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'include', mode: 'no-cors'}).then(() => done(), () => done());",
            vec![json!(c.sites.app_site("/record/fetch"))],
        )
        .await
        .expect("the fetch runs");
    let fetched = c.pages.wait_for("/record/fetch").await;
    c.browser.click_to_next_page(Locator::Id("submit")).await;
    let posted = c.pages.wait_for("/record/post").await;
    c.browser.goto(&attack).await;
    c.browser.click_to_next_page(Locator::Id("link")).await;
    let navigated = c.pages.wait_for("/record/navigation").await;
    assert_eq!(
        (
            fetched.method.as_str(),
            posted.method.as_str(),
            navigated.method.as_str()
        ),
        ("GET", "POST", "GET")
    );
    CrossSite {
        fetched,
        posted,
        navigated,
    }
}

#[tokio::test]
async fn a_lax_cookie_goes_with_a_cross_site_link_but_not_a_cross_site_post_or_fetch() {
    with_browser(POLICY, attacker_page, async |c| {
        set(c, "theme=dark").await;
        assert_eq!(
            c.browser.stored().await,
            ["theme=dark; Domain=localhost; Path=/; HttpOnly; SameSite=Lax"]
        );
        let sent = cross_site_requests(c).await;
        assert_eq!(sent.navigated.cookie, "theme=dark", "a top-level GET");
        assert_eq!(sent.posted.cookie, "", "a form POST");
        assert_eq!(sent.fetched.cookie, "", "a fetch");
    })
    .await;
}

#[tokio::test]
async fn a_strict_cookie_stays_home_even_on_a_cross_site_link() {
    with_browser(POLICY, attacker_page, async |c| {
        set(c, "theme=dark&strictc=1").await;
        assert_eq!(
            c.browser.stored().await,
            [
                "strictc=1; Domain=localhost; Path=/; HttpOnly; SameSite=Strict",
                "theme=dark; Domain=localhost; Path=/; HttpOnly; SameSite=Lax",
            ]
        );
        let sent = cross_site_requests(c).await;
        assert_eq!(sent.navigated.cookie, "theme=dark", "Strict stays home");
        assert_eq!(sent.posted.cookie, "");
        assert_eq!(sent.fetched.cookie, "");
        // From its own site it goes.
        c.browser.goto(&c.sites.app_site("/record/home")).await;
        let home = c.pages.wait_for("/record/home").await;
        assert_eq!(home.cookie, "theme=dark; strictc=1");
    })
    .await;
}

#[tokio::test]
async fn a_none_cookie_goes_with_every_cross_site_request() {
    with_browser(POLICY, attacker_page, async |c| {
        set(c, "nonec=1").await;
        assert_eq!(
            c.browser.stored().await,
            ["nonec=1; Domain=localhost; Path=/; Secure; HttpOnly; SameSite=None"]
        );
        let sent = cross_site_requests(c).await;
        assert_eq!(sent.navigated.cookie, "nonec=1");
        assert_eq!(sent.posted.cookie, "nonec=1");
        assert_eq!(sent.fetched.cookie, "nonec=1");
    })
    .await;
}

#[tokio::test]
async fn host_and_secure_prefixed_cookies_are_stored_and_read_back_by_their_declared_names() {
    with_browser(POLICY, no_pages, async |c| {
        set(c, "hostc=1&securec=2").await;
        assert_eq!(
            c.browser.stored().await,
            [
                "__Host-hostc=1; Domain=localhost; Path=/; Secure; HttpOnly; SameSite=Lax",
                "__Secure-securec=2; Domain=localhost; Path=/; Secure; HttpOnly; SameSite=Lax",
            ]
        );
        assert_eq!(
            c.browser.app_received(&c.sites).await,
            r#"{"cookies":{"hostc":"1","securec":"2"}}"#
        );
    })
    .await;
}

#[tokio::test]
async fn a_protected_cookie_is_ciphertext_in_the_browser_and_plain_to_the_app() {
    with_browser(POLICY, no_pages, async |c| {
        set(c, "session=alice").await;
        // base64url of a 12-byte nonce, the 8-byte issue time, the 5 bytes
        // of `alice` and the 16-byte tag: 41 bytes, 55 characters.
        let sealed = c.browser.stored_value("session").await;
        assert_eq!(sealed.len(), 55, "{sealed}");
        assert!(
            (sealed.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{sealed}"
        );
        assert_eq!(
            c.browser.stored().await,
            [format!(
                "session={sealed}; Domain=localhost; Path=/; HttpOnly; SameSite=Lax"
            )]
        );
        assert_eq!(
            c.browser.app_received(&c.sites).await,
            r#"{"cookies":{"session":"alice"}}"#
        );
    })
    .await;
}

#[tokio::test]
async fn a_removal_removes_the_cookie_from_the_store() {
    with_browser(POLICY, no_pages, async |c| {
        set(c, "theme=dark&lang=en").await;
        assert_eq!(c.browser.stored().await.len(), 2);
        c.browser.goto(&c.sites.app("/cookies/delete?theme")).await;
        assert_eq!(
            c.browser.stored().await,
            ["lang=en; Domain=localhost; Path=/; HttpOnly; SameSite=Lax"]
        );
        assert_eq!(
            c.browser.app_received(&c.sites).await,
            r#"{"cookies":{"lang":"en"}}"#
        );
    })
    .await;
}

#[tokio::test]
async fn the_pages_own_forms_post_from_the_same_origin_and_are_accepted() {
    with_browser(POLICY, no_pages, async |c| {
        c.browser.goto(&c.sites.app("/cookies")).await;
        let input = c
            .browser
            .client
            .find(Locator::Css("input[name=theme]"))
            .await
            .expect("the theme form");
        input.send_keys("dark").await.expect("types");
        let set_theme = "//input[@name='theme']/ancestor::form//button";
        c.browser
            .click_to_next_page(Locator::XPath(set_theme))
            .await;
        assert_eq!(c.browser.status().await, json!(200));
        assert_eq!(
            c.browser
                .client
                .current_url()
                .await
                .expect("a URL")
                .as_str(),
            c.sites.app("/cookies")
        );
        assert_eq!(
            c.browser.stored().await,
            ["theme=dark; Domain=localhost; Path=/; HttpOnly; SameSite=Lax"]
        );
        // The page now lists it, with a form that removes it.
        let remove_theme = "//tr[td[1]='theme']//button";
        c.browser
            .click_to_next_page(Locator::XPath(remove_theme))
            .await;
        assert_eq!(c.browser.status().await, json!(200));
        assert_eq!(c.browser.stored().await, Vec::<String>::new());
    })
    .await;
}

#[tokio::test]
async fn a_partitioned_cookie_set_in_a_cross_site_frame_stays_in_that_frames_partition() {
    let embed = |sites: Sites| {
        let frame = |src: String| {
            format!("<!doctype html><title>embedder</title><iframe src=\"{src}\"></iframe>")
        };
        vec![
            // The app in a frame of the other site: it sets `chip` there.
            ("/embed-app", frame(sites.app("/cookies/set?chip=framed"))),
            // The app's site in a frame of the other site: what it is sent there.
            ("/embed-record", frame(sites.app_site("/record/framed"))),
        ]
    };
    with_browser(POLICY, embed, async |c| {
        // At top level, on the app's own site: partitioned by that site.
        set(c, "chip=top").await;
        // In a frame of the other site (the load event waits for the frame):
        // a cookie of the same name, in that site's partition.
        c.browser.goto(&c.sites.cross_site("/embed-app")).await;
        assert_eq!(
            c.browser.stored().await,
            [
                "chip=framed; Domain=localhost; Path=/; Secure; HttpOnly; SameSite=None; Partitioned(http://127.0.0.1, cross-site)",
                "chip=top; Domain=localhost; Path=/; Secure; HttpOnly; SameSite=None; Partitioned(http://localhost)",
            ]
        );
        // Each context is sent its own.
        c.browser.goto(&c.sites.cross_site("/embed-record")).await;
        let framed = c.pages.wait_for("/record/framed").await;
        assert_eq!(framed.cookie, "chip=framed", "in the other site's frame");
        c.browser.goto(&c.sites.app_site("/record/top")).await;
        let top = c.pages.wait_for("/record/top").await;
        assert_eq!(top.cookie, "chip=top", "at top level");
    })
    .await;
}

#[tokio::test]
async fn a_request_over_the_cookie_limit_shows_the_431_and_its_reason() {
    let small = [POLICY, &[("APP_COOKIES__MAX_HEADER_BYTES", "200")]].concat();
    with_browser(&small, no_pages, async |c| {
        c.browser.goto(&c.sites.app("/login")).await;
        // Scripts may write cookies that are not HttpOnly: enough to pass
        // the limit of 200 bytes with `username=alice`.
        c.browser
            .script(
                "for (let i = 0; i < 4; i++) document.cookie = 'big' + i + '=' + 'x'.repeat(60) + '; path=/';",
                vec![],
            )
            .await;
        c.browser.goto(&c.sites.app("/profile")).await;
        assert_eq!(c.browser.status().await, json!(431));
        assert_eq!(
            c.browser.text().await,
            r#"{"detail":[{"type":"cookie_header_too_large","loc":["header","cookie"],"msg":"the Cookie header is 282 bytes, over the limit of 200; clear this site's cookies and try again"}]}"#
        );
    })
    .await;
}

/// A form like the playground's own `theme` form, on a page of the
/// page server, posting to the app.
fn forged_form(sites: Sites) -> String {
    format!(
        r#"<!doctype html><title>a form</title><form method="post" action="{}"><input name="theme" value="evil"><button id="submit">Set theme</button></form>"#,
        sites.app("/cookies/set")
    )
}

#[tokio::test]
async fn a_cross_site_form_post_to_the_app_is_refused_and_changes_nothing() {
    let forge = |sites| vec![("/forge", forged_form(sites))];
    with_browser(POLICY, forge, async |c| {
        set(c, "theme=dark").await;
        c.browser.goto(&c.sites.cross_site("/forge")).await;
        c.browser.click_to_next_page(Locator::Id("submit")).await;
        assert_eq!(c.browser.status().await, json!(403));
        assert_eq!(
            c.browser.text().await,
            r#"{"detail":[{"type":"cross_origin_request","loc":["header","sec-fetch-site"],"msg":"the browser sent this POST from another site (Sec-Fetch-Site: cross-site); this app accepts unsafe requests from its own origin only"}]}"#
        );
        assert_eq!(
            c.browser.stored().await,
            ["theme=dark; Domain=localhost; Path=/; HttpOnly; SameSite=Lax"]
        );
        let origin = c.sites.cross_site("");
        c.app
            .wait_for_log(&format!("refused POST /cookies/set from {origin} (R23)"));
    })
    .await;
}

#[tokio::test]
async fn a_form_post_from_another_origin_of_the_same_site_is_refused() {
    // SameSite=Lax lets the cookie go with this POST (same site), so only
    // the origin check stops it.
    let forge = |sites| vec![("/forge", forged_form(sites))];
    with_browser(POLICY, forge, async |c| {
        set(c, "theme=dark").await;
        c.browser.goto(&c.sites.app_site("/forge")).await;
        c.browser.click_to_next_page(Locator::Id("submit")).await;
        assert_eq!(c.browser.status().await, json!(403));
        assert_eq!(
            c.browser.text().await,
            r#"{"detail":[{"type":"cross_origin_request","loc":["header","sec-fetch-site"],"msg":"the browser sent this POST from another origin of this site (Sec-Fetch-Site: same-site); this app accepts unsafe requests from its own origin only"}]}"#
        );
        assert_eq!(c.browser.stored_value("theme").await, "dark");
    })
    .await;
}

#[tokio::test]
async fn the_playground_page_lists_what_the_app_received_as_a_browser_shows_it() {
    // The shipped configuration with the reference's example override, as
    // the README's picture shows it.
    let theme_readable = [("APP_COOKIES__OVERRIDES__THEME__HTTP_ONLY", "false")];
    with_browser(&theme_readable, no_pages, async |c| {
        set(c, "theme=dark&lang=en&session=alice").await;
        let mut rows = Vec::new();
        let trs = c.browser.client.find_all(Locator::Css("#cookies tr")).await;
        for tr in trs.expect("the rows").into_iter().skip(1) {
            let mut cells = Vec::new();
            for td in tr.find_all(Locator::Css("td")).await.expect("cells") {
                cells.push(td.text().await.expect("a cell's text"));
            }
            rows.push(cells);
        }
        // A private value is sealed anew for the page: its Set-Cookie shows
        // ciphertext (55 characters for `alice`), never the value.
        let sealed = rows.get(2).map(|row| row[2].clone()).unwrap_or_default();
        let ciphertext = sealed
            .strip_prefix("session=")
            .and_then(|s| s.strip_suffix("; HttpOnly; SameSite=Lax; Path=/"))
            .unwrap_or_else(|| panic!("{sealed}"));
        assert_eq!(ciphertext.len(), 55, "{sealed}");
        assert_eq!(
            rows,
            [
                [
                    "theme",
                    "dark",
                    "theme=dark; SameSite=Lax; Path=/",
                    "Remove"
                ],
                [
                    "lang",
                    "en",
                    "lang=en; HttpOnly; SameSite=Lax; Path=/",
                    "Remove"
                ],
                ["session", "alice", sealed.as_str(), "Remove"],
            ]
        );
        // The page's height, for a picture without a blank half.
        let (width, height) = (1000, 660);
        let resized = c.browser.client.set_window_size(width, height).await;
        resized.expect("the window resizes");
        let png = c.browser.client.screenshot().await.expect("a screenshot");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // The README's picture is refreshed on request only, since the
        // sealed value, and so the picture, differs on every run.
        let path = if std::env::var_os("UPDATE_README_SCREENSHOT").is_some() {
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/images/playground.png")
        } else {
            concat!(env!("CARGO_TARGET_TMPDIR"), "/playground.png")
        };
        std::fs::write(path, &png).expect("the screenshot is saved");
    })
    .await;
}
