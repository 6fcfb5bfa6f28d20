//! What the layer costs, against a baseline measured in the same run: an
//! app behind `CookiePolicyLayer` against the same app without it, on the
//! way in (`GET /profile`, `Cookie: username=alice`) and out (`GET /login`
//! sets a cookie); and sealing and opening a private cookie, to set against
//! those requests. Run with `cargo bench -p actix-cookie-policy`.

use std::hint::black_box;
use std::time::SystemTime;

use actix_cookie_policy::{CookiePolicy, CookiePolicyLayer, KeyRing, Protection};
use actix_rt::{System, SystemRunner};
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, time::Duration};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, web};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};

async fn profile(req: HttpRequest) -> HttpResponse {
    match req.cookie("username") {
        Some(c) => HttpResponse::Ok().body(format!("Welcome back, {}!", c.value())),
        None => HttpResponse::Ok().body("No username cookie found"),
    }
}

async fn login() -> HttpResponse {
    let cookie = Cookie::build("username", "alice")
        .max_age(Duration::hours(1))
        .http_only(true)
        .finish();
    HttpResponse::Ok().cookie(cookie).body("Logged in")
}

/// The app's two routes on `$app`.
macro_rules! routes {
    ($app:expr) => {
        $app.route("/profile", web::get().to(profile))
            .route("/login", web::get().to(login))
    };
}

/// A GET of `uri`, with `cookie` as its `Cookie` header if given.
macro_rules! request {
    ($uri:expr, $cookie:expr) => {{
        let req = TestRequest::get().uri($uri);
        match $cookie {
            Some(c) => req.insert_header(("cookie", c)),
            None => req,
        }
        .to_request()
    }};
}

/// Measures one request through `app`, after checking its answer once.
fn call<S, R, B>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    sys: &SystemRunner,
    app: &S,
    req: impl Fn() -> R,
) where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = sys.block_on(test::call_service(app, req()));
    assert!(res.status().is_success(), "{id}: {}", res.status());
    g.bench_function(id, |b| {
        b.iter(|| black_box(sys.block_on(test::call_service(app, req())).status()))
    });
}

fn both_directions(c: &mut Criterion) {
    let sys = System::new();
    let plain = sys.block_on(test::init_service(routes!(App::new())));
    let layered = sys.block_on(test::init_service(routes!(
        App::new().wrap(CookiePolicyLayer::new(CookiePolicy::default()))
    )));
    for (uri, cookie) in [("/profile", Some("username=alice")), ("/login", None)] {
        let mut g = c.benchmark_group(uri);
        call(&mut g, "without the layer", &sys, &plain, || {
            request!(uri, cookie)
        });
        call(&mut g, "with the layer", &sys, &layered, || {
            request!(uri, cookie)
        });
        g.finish();
    }
}

fn private_cookie(c: &mut Criterion) {
    let keys = KeyRing::ephemeral().expect("randomness for a key");
    let issued_at = 1_700_000_000;
    let sealed = keys
        .protect(Protection::Private, "__Host-sid", "alice", issued_at)
        .expect("sealed");
    let mut g = c.benchmark_group("private cookie");
    g.bench_function("seal", |b| {
        b.iter(|| {
            keys.protect(
                Protection::Private,
                "__Host-sid",
                black_box("alice"),
                issued_at,
            )
            .expect("sealed")
        })
    });
    g.bench_function("open", |b| {
        b.iter(|| {
            keys.unprotect(
                Protection::Private,
                "__Host-sid",
                black_box(&sealed),
                SystemTime::now(),
                None,
            )
            .expect("opens")
        })
    });
    g.finish();
}

criterion_group!(benches, both_directions, private_cookie);
criterion_main!(benches);
