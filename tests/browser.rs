//! Real browsers as the judge: Debian's headless `chromium`, driven over
//! WebDriver (`chromedriver`, with the `fantoccini` client), against the real
//! binary on loopback. Each test asserts what the browser stored (its cookie
//! store, through WebDriver) or what it sent (what a server saw).
//!
//! Two sites for the price of one machine: `localhost` and `127.0.0.1` are
//! different sites to a browser. The app is reached as `http://localhost:P`;
//! the pages of [`Pages`] are served as `http://127.0.0.1:Q` (another site:
//! the attacker, or the embedder) and record every request they get. Reached
//! as `http://localhost:Q`, the same recorder is on the app's own site (a
//! cookie is scoped to a host, not a port), so it sees exactly which of the
//! app's cookies the browser sends with a cross-site request.
//!
//! Chromium treats `http://localhost` as a secure context and stores
//! `Secure` cookies from it, so `__Host-`, `SameSite=None` and `Partitioned`
//! cookies work over plain HTTP here.
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
use std::time::{Duration, Instant};

use common::server::Server;
use fantoccini::cookies::Cookie;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

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
    ("APP_COOKIES__OVERRIDES__CHIP__HTTP_ONLY", "false"),
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
                "{path} is missing: the browser tests need Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does) [{package}]"
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
        // The flags a closed network needs: no background fetches, no
        // component updates, no sync, no QUIC.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
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
                // so that SameSite alone decides what a cross-site request gets.
                "prefs": { "profile.cookie_controls_mode": 0, "profile.block_third_party_cookies": false },
            },
        });
        let caps = caps.as_object().expect("an object").clone();
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::rustls()
                .expect("a TLS configuration")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
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

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigates");
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

    /// The browser's cookies for the current page's URL, by name.
    async fn stored(&self) -> BTreeMap<String, Cookie<'static>> {
        let cookies = self.client.get_all_cookies().await.expect("the cookies");
        cookies
            .into_iter()
            .map(|c| (c.name().to_owned(), c))
            .collect()
    }

    /// The cookies the app received, as the playground page lists them.
    async fn app_received(&self, app: &Server) -> BTreeMap<String, String> {
        self.goto(&on_localhost(&app.url("/cookies"))).await;
        let rows = self
            .client
            .find_all(Locator::Css("#cookies tr"))
            .await
            .expect("the rows");
        let mut received = BTreeMap::new();
        for row in rows {
            let cells = row.find_all(Locator::Css("td")).await.expect("cells");
            if cells.len() == 4 {
                let name = cells[0].text().await.expect("a name");
                let value = cells[1].text().await.expect("a value");
                received.insert(name, value);
            }
        }
        received
    }

    /// Clicks the element `locator` finds.
    async fn click(&self, locator: Locator<'_>) {
        let element = self.client.find(locator).await.expect("the element");
        element.click().await.expect("clicks");
    }

    /// Waits until the top-level page is at `url`.
    async fn wait_for_url(&self, url: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.client.current_url().await.expect("a URL");
            if now.as_str() == url {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still at {now} after 10 s, not {url}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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

/// `url` with `127.0.0.1` written `localhost`: the app's own site.
fn on_localhost(url: &str) -> String {
    url.replacen("127.0.0.1", "localhost", 1)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// One request a page server got.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    method: String,
    cookie: String,
}

/// HTML pages on a loopback port, each request recorded: `/record/...`
/// answers a small page, any other path its page of `pages`.
struct Pages {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Pages {
    /// Serves the pages `pages` makes, given the port they are served on.
    fn serve(pages: impl FnOnce(u16) -> Vec<(&'static str, String)>) -> Pages {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("an address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let pages: BTreeMap<&'static str, String> = pages(port).into_iter().collect();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (record, pages) = (Arc::clone(&record), pages.clone());
                std::thread::spawn(move || answer(stream, &record, &pages));
            }
        });
        Pages { port, seen }
    }

    /// `path` as a page of the other site.
    fn cross_site(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `path` on the app's own site (a cookie's host, any port).
    fn app_site(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    /// The requests for `path` so far.
    fn requests(&self, path: &str) -> Vec<Seen> {
        let seen = self.seen.lock().expect("the record");
        seen.iter().filter(|s| s.path == path).cloned().collect()
    }

    /// Waits until `path` was requested, and returns its first request.
    async fn wait_for(&self, path: &str) -> Seen {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(seen) = self.requests(path).into_iter().next() {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "no request for {path} within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn answer(stream: TcpStream, record: &Mutex<Vec<Seen>>, pages: &BTreeMap<&'static str, String>) {
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
        None => format!("<!doctype html><title>recorded</title><p id=\"done\">{method} {path}</p>"),
    };
    record.lock().expect("the record").push(Seen {
        path,
        method,
        cookie,
    });
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
}

/// The names in a `Cookie` header.
fn names(cookie: &str) -> Vec<String> {
    let mut names: Vec<String> = cookie
        .split(';')
        .filter_map(|pair| pair.split_once('=').map(|(n, _)| n.trim().to_owned()))
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names
}

/// Runs one browser test: the app (development profile, the test's
/// cookies declared), a browser, and `pages` on the other site.
async fn with_browser<F, Fut>(
    extra_env: &[(&str, &str)],
    pages: impl FnOnce(u16) -> Vec<(&'static str, String)>,
    test: F,
) where
    F: FnOnce(Browser, Server, Pages) -> Fut,
    Fut: std::future::Future<Output = Browser>,
{
    let _one = ONE_AT_A_TIME.lock().await;
    let env: Vec<(&str, &str)> = POLICY.iter().chain(extra_env).copied().collect();
    let app = Server::start("development", &env);
    let pages = Pages::serve(pages);
    let browser = Browser::start().await;
    let browser = test(browser, app, pages).await;
    browser.stop().await;
}

/// Sets cookies on the app's site through the playground, as a top-level
/// navigation of the browser.
async fn set(browser: &Browser, app: &Server, query: &str) {
    browser
        .goto(&on_localhost(&app.url(&format!("/cookies/set?{query}"))))
        .await;
}

#[tokio::test]
async fn the_seed_flow_logs_in_greets_and_logs_out() {
    with_browser(
        &[],
        |_| Vec::new(),
        |browser, app, _pages| async move {
            browser.goto(&on_localhost(&app.url("/login"))).await;
            assert_eq!(
                browser.text().await,
                r#"{"message":"Logged in and cookie set"}"#
            );
            let stored = browser.stored().await;
            let username = stored.get("username").expect("username stored");
            assert_eq!(username.value(), "alice");
            assert_eq!(username.http_only(), Some(true));
            assert_eq!(format!("{:?}", username.same_site()), "Some(Lax)");
            assert_eq!(username.path(), Some("/"));
            browser.goto(&on_localhost(&app.url("/profile"))).await;
            assert_eq!(
                browser.text().await,
                r#"{"message":"Welcome back, alice!"}"#
            );
            browser.goto(&on_localhost(&app.url("/logout"))).await;
            assert_eq!(browser.text().await, r#"{"message":"Logged out"}"#);
            assert!(!browser.stored().await.contains_key("username"), "removed");
            browser.goto(&on_localhost(&app.url("/profile"))).await;
            assert_eq!(
                browser.text().await,
                r#"{"message":"No username cookie found"}"#
            );
            browser
        },
    )
    .await;
}

#[tokio::test]
async fn http_only_cookies_are_hidden_from_scripts_and_the_others_are_not() {
    with_browser(
        &[],
        |_| Vec::new(),
        |browser, app, _pages| async move {
            set(&browser, &app, "theme=dark&visible=yes").await;
            let script = browser
                .client
                .execute("return document.cookie", vec![])
                .await
                .expect("runs");
            assert_eq!(script, json!("visible=yes"));
            let stored = browser.stored().await;
            assert_eq!(stored["theme"].http_only(), Some(true));
            assert_eq!(stored["visible"].http_only(), Some(false));
            browser
        },
    )
    .await;
}

/// The other site's page: a link and a form to the app's site, and a
/// cross-site `fetch` with credentials.
fn attacker_page(pages_port: u16) -> String {
    let target = format!("http://localhost:{pages_port}");
    format!(
        r#"<!doctype html><title>another site</title>
<a id="link" href="{target}/record/navigation">a link</a>
<form id="form" method="post" action="{target}/record/post"><input name="x" value="1"><button id="submit">post</button></form>"#
    )
}

/// Sends the browser's cross-site requests from the other site's page: a
/// `fetch`, a form POST, then a link followed.
async fn cross_site_requests(browser: &Browser, pages: &Pages) -> (Seen, Seen, Seen) {
    browser.goto(&pages.cross_site("/attack")).await;
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0], {credentials: 'include', mode: 'no-cors'}).then(() => done(), () => done());",
            vec![json!(pages.app_site("/record/fetch"))],
        )
        .await
        .expect("the fetch runs");
    let fetched = pages.wait_for("/record/fetch").await;
    browser.goto(&pages.cross_site("/attack")).await;
    browser.click(Locator::Id("submit")).await;
    let posted = pages.wait_for("/record/post").await;
    browser.goto(&pages.cross_site("/attack")).await;
    browser.click(Locator::Id("link")).await;
    let navigated = pages.wait_for("/record/navigation").await;
    (fetched, posted, navigated)
}

#[tokio::test]
async fn a_lax_cookie_goes_with_a_cross_site_link_but_not_a_cross_site_post_or_fetch() {
    let attack = |port| vec![("/attack", attacker_page(port))];
    with_browser(&[], attack, |browser, app, pages| async move {
        set(&browser, &app, "theme=dark").await;
        assert_eq!(
            format!("{:?}", browser.stored().await["theme"].same_site()),
            "Some(Lax)"
        );
        let (fetched, posted, navigated) = cross_site_requests(&browser, &pages).await;
        assert_eq!(navigated.method, "GET");
        assert_eq!(names(&navigated.cookie), ["theme"], "a top-level GET");
        assert_eq!(posted.method, "POST");
        assert_eq!(names(&posted.cookie), Vec::<String>::new(), "a form POST");
        assert_eq!(names(&fetched.cookie), Vec::<String>::new(), "a fetch");
        browser
    })
    .await;
}

#[tokio::test]
async fn a_strict_cookie_stays_home_even_on_a_cross_site_link() {
    let attack = |port| vec![("/attack", attacker_page(port))];
    with_browser(&[], attack, |browser, app, pages| async move {
        set(&browser, &app, "theme=dark&strictc=1").await;
        assert_eq!(
            format!("{:?}", browser.stored().await["strictc"].same_site()),
            "Some(Strict)"
        );
        let (fetched, posted, navigated) = cross_site_requests(&browser, &pages).await;
        assert_eq!(names(&navigated.cookie), ["theme"], "Strict stays home");
        assert_eq!(names(&posted.cookie), Vec::<String>::new());
        assert_eq!(names(&fetched.cookie), Vec::<String>::new());
        // On its own site it goes.
        browser.goto(&pages.app_site("/record/home")).await;
        assert_eq!(
            names(&pages.wait_for("/record/home").await.cookie),
            ["strictc", "theme"]
        );
        browser
    })
    .await;
}

#[tokio::test]
async fn a_none_cookie_goes_with_every_cross_site_request() {
    let attack = |port| vec![("/attack", attacker_page(port))];
    with_browser(&[], attack, |browser, app, pages| async move {
        set(&browser, &app, "nonec=1").await;
        let stored = browser.stored().await;
        assert_eq!(format!("{:?}", stored["nonec"].same_site()), "Some(None)");
        assert_eq!(stored["nonec"].secure(), Some(true));
        let (fetched, posted, navigated) = cross_site_requests(&browser, &pages).await;
        assert_eq!(names(&posted.cookie), ["nonec"]);
        assert_eq!(names(&navigated.cookie), ["nonec"]);
        assert_eq!(names(&fetched.cookie), ["nonec"]);
        browser
    })
    .await;
}

#[tokio::test]
async fn host_and_secure_prefixed_cookies_are_stored_and_read_back_by_their_declared_names() {
    with_browser(
        &[],
        |_| Vec::new(),
        |browser, app, _| async move {
            set(&browser, &app, "hostc=1&securec=2").await;
            let stored = browser.stored().await;
            let host = stored.get("__Host-hostc").expect("__Host-hostc stored");
            assert_eq!(
                (host.value(), host.secure(), host.path(), host.domain()),
                ("1", Some(true), Some("/"), Some("localhost"))
            );
            let secure = stored
                .get("__Secure-securec")
                .expect("__Secure-securec stored");
            assert_eq!((secure.value(), secure.secure()), ("2", Some(true)));
            assert!(!stored.contains_key("hostc") && !stored.contains_key("securec"));
            let received = browser.app_received(&app).await;
            assert_eq!(received.get("hostc").map(String::as_str), Some("1"));
            assert_eq!(received.get("securec").map(String::as_str), Some("2"));
            browser
        },
    )
    .await;
}

#[tokio::test]
async fn a_protected_cookie_is_ciphertext_in_the_browser_and_plain_to_the_app() {
    with_browser(
        &[],
        |_| Vec::new(),
        |browser, app, _| async move {
            set(&browser, &app, "session=alice").await;
            let stored = browser.stored().await;
            let sealed = stored["session"].value().to_owned();
            assert!(sealed.len() > 40 && !sealed.contains("alice"), "{sealed}");
            assert_eq!(stored["session"].http_only(), Some(true));
            let received = browser.app_received(&app).await;
            assert_eq!(received.get("session").map(String::as_str), Some("alice"));
            browser
        },
    )
    .await;
}

#[tokio::test]
async fn the_pages_own_forms_set_and_remove_cookies_from_the_store() {
    with_browser(
        &[],
        |_| Vec::new(),
        |browser, app, _| async move {
            // Same origin: the forms of the playground's page are accepted.
            browser.goto(&on_localhost(&app.url("/cookies"))).await;
            let input = browser
                .client
                .find(Locator::Css("input[name=theme]"))
                .await
                .expect("the theme form");
            input.send_keys("dark").await.expect("types");
            browser
                .click(Locator::XPath(
                    "//input[@name='theme']/ancestor::form//button",
                ))
                .await;
            browser
                .wait_for_url(&on_localhost(&app.url("/cookies")))
                .await;
            assert_eq!(browser.stored().await["theme"].value(), "dark");
            assert_eq!(
                browser
                    .app_received(&app)
                    .await
                    .get("theme")
                    .map(String::as_str),
                Some("dark")
            );
            browser
                .click(Locator::XPath("//tr[td[1]='theme']//button"))
                .await;
            browser
                .wait_for_url(&on_localhost(&app.url("/cookies")))
                .await;
            assert!(
                !browser.stored().await.contains_key("theme"),
                "removed from the store"
            );
            browser
        },
    )
    .await;
}

#[tokio::test]
async fn a_partitioned_cookie_set_in_a_cross_site_frame_stays_in_that_frames_partition() {
    let embed = |port: u16| {
        let frame = |src: String| {
            format!(
                "<!doctype html><title>embedder</title><iframe id=\"f\" src=\"{src}\"></iframe>"
            )
        };
        vec![
            // The app in a frame of the other site: it sets `chip` there.
            ("/embed-app", frame("APP_SET".to_owned())),
            // The app's site in a frame of the other site: what it is sent there.
            (
                "/embed-record",
                frame(format!("http://localhost:{port}/record/framed")),
            ),
        ]
    };
    with_browser(&[], embed, |browser, app, pages| async move {
        // At top level, on the app's own site.
        set(&browser, &app, "chip=top").await;
        assert_eq!(browser.stored().await["chip"].value(), "top");
        // In a frame of the other site: a cookie of the same name, in that
        // site's partition.
        let framed_set = on_localhost(&app.url("/cookies/set?chip=framed"));
        browser.goto(&pages.cross_site("/embed-app")).await;
        browser
            .client
            .execute(
                "document.getElementById('f').src = arguments[0];",
                vec![json!(framed_set)],
            )
            .await
            .expect("loads the frame");
        browser.goto(&pages.cross_site("/embed-record")).await;
        let framed = pages.wait_for("/record/framed").await;
        assert_eq!(framed.cookie, "chip=framed", "the frame's partition");
        // Back at top level the app's site has its own cookie, unchanged.
        browser.goto(&pages.app_site("/record/top")).await;
        assert_eq!(pages.wait_for("/record/top").await.cookie, "chip=top");
        let stored = browser.stored().await;
        assert_eq!(stored["chip"].value(), "top");
        assert_eq!(format!("{:?}", stored["chip"].same_site()), "Some(None)");
        browser
    })
    .await;
}

#[tokio::test]
async fn a_request_over_the_cookie_limit_shows_the_431_and_nothing_else() {
    let small = [("APP_COOKIES__MAX_HEADER_BYTES", "200")];
    with_browser(&small, |_| Vec::new(), |browser, app, _| async move {
        browser.goto(&on_localhost(&app.url("/login"))).await;
        // Scripts may write cookies that are not HttpOnly: enough to pass
        // the limit of 200 bytes.
        browser
            .client
            .execute(
                "for (let i = 0; i < 4; i++) document.cookie = 'big' + i + '=' + 'x'.repeat(60) + '; path=/';",
                vec![],
            )
            .await
            .expect("runs");
        browser.goto(&on_localhost(&app.url("/profile"))).await;
        assert_eq!(
            browser.text().await,
            r#"{"detail":[{"type":"cookie_header_too_large","loc":["header","cookie"],"msg":"the Cookie header is 282 bytes, over the limit of 200; clear this site's cookies and try again"}]}"#
        );
        browser
    })
    .await;
}

#[tokio::test]
async fn a_cross_site_form_post_to_the_app_is_refused_and_changes_nothing() {
    let forged = |_| {
        vec![(
            "/forge",
            "<!doctype html><title>another site</title><form id=\"form\" method=\"post\" action=\"APP/cookies/set\"><input name=\"theme\" value=\"evil\"><button id=\"submit\">go</button></form>".to_owned(),
        )]
    };
    with_browser(&[], forged, |browser, app, pages| async move {
        set(&browser, &app, "theme=dark").await;
        browser.goto(&pages.cross_site("/forge")).await;
        browser
            .client
            .execute(
                "document.getElementById('form').action = arguments[0];",
                vec![json!(on_localhost(&app.url("/cookies/set")))],
            )
            .await
            .expect("points the form at the app");
        browser.click(Locator::Id("submit")).await;
        browser.wait_for_url(&on_localhost(&app.url("/cookies/set"))).await;
        assert_eq!(
            browser.text().await,
            r#"{"detail":[{"type":"cross_origin_request","loc":["header","sec-fetch-site"],"msg":"the browser sent this POST from another site (Sec-Fetch-Site: cross-site); this app accepts unsafe requests from its own origin only"}]}"#
        );
        assert_eq!(browser.stored().await["theme"].value(), "dark", "unchanged");
        browser
    })
    .await;
}

#[tokio::test]
async fn the_playground_page_as_a_browser_shows_it() {
    with_browser(
        &[],
        |_| Vec::new(),
        |browser, app, _| async move {
            set(
                &browser,
                &app,
                "theme=dark&lang=en&session=alice&visible=yes",
            )
            .await;
            let rows = browser
                .client
                .find_all(Locator::Css("#cookies tr"))
                .await
                .expect("rows");
            assert_eq!(rows.len(), 5, "a header and four cookies");
            let png = browser.client.screenshot().await.expect("a screenshot");
            assert_eq!(&png[1..4], b"PNG");
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            std::fs::write(dir.join("playground.png"), &png).expect("saved");
            browser
        },
    )
    .await;
}
