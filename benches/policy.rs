//! What the policy layer costs, in process: one request through the app
//! factory with the layer and through the hand-written baseline without it,
//! inbound parsing by header size, one cookie read in place
//! (`req.cookie_value`) and by actix-web (`req.cookie`), the outbound check
//! of one Set-Cookie, and sign, verify, encrypt and decrypt of one cookie.
//!
//! `cargo bench --bench policy`; compare `request/*/policy` with
//! `request/*/baseline` from the same run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::SystemTime;

use actix_web::HttpRequest;
use actix_web::http::header::{COOKIE, HeaderMap, HeaderValue};
use actix_web::test::{TestRequest, call_service, init_service};
use cookie_policy::policy::protect::unix_seconds;
use cookie_policy::policy::{Protection, RequestCookieExt, SetCookie, inbound};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "../examples/baseline.rs"]
#[allow(dead_code)]
mod baseline;
mod common;

use common::{dev_policy, keys};

fn twenty_cookies() -> String {
    (0..20)
        .map(|i| format!("cookie{i}=value{i}abcdef"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn requests(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    let policy = Arc::new(dev_policy());
    let session = keys().protect(
        Protection::Private,
        "session",
        "alice",
        unix_seconds(SystemTime::now()),
    );
    let with_layer = rt.block_on(init_service(cookie_policy::startup::app(policy)));
    let without = rt.block_on(init_service(baseline::baseline_app(Arc::new(keys()))));
    let session_cookie = format!("session={session}");
    let twenty = twenty_cookies();
    let cases: [(&str, &str, Option<&str>); 4] = [
        ("profile", "/profile", Some("username=alice")),
        ("login", "/login", None),
        ("cookies20", "/cookies", Some(&twenty)),
        ("private", "/cookies", Some(&session_cookie)),
    ];
    let mut group = c.benchmark_group("request");
    for (name, uri, cookie) in cases {
        let make = || {
            let mut req = TestRequest::get().uri(uri);
            if let Some(c) = cookie {
                req = req.insert_header((COOKIE, c));
            }
            req.to_request()
        };
        group.bench_function(BenchmarkId::new(name, "policy"), |b| {
            b.iter(|| {
                rt.block_on(async { black_box(call_service(&with_layer, make()).await.status()) })
            })
        });
        group.bench_function(BenchmarkId::new(name, "baseline"), |b| {
            b.iter(|| {
                rt.block_on(async { black_box(call_service(&without, make()).await.status()) })
            })
        });
    }
    group.finish();
}

fn inbound_parsing(c: &mut Criterion) {
    let policy = dev_policy();
    let mut group = c.benchmark_group("inbound");
    for pairs in [1usize, 10, 100] {
        // ~80 bytes a pair: 100 pairs is about 8 KiB, the default limit.
        let header: String = (0..pairs)
            .map(|i| format!("c{i:03}={}", "v".repeat(74)))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&header).expect("ASCII"));
        group.throughput(Throughput::Bytes(header.len() as u64));
        group.bench_with_input(BenchmarkId::new("pairs", pairs), &headers, |b, h| {
            b.iter(|| {
                black_box(inbound::process(&policy, black_box(h)).map(|i| i.diagnostics.len()))
            })
        });
    }
    group.finish();
}

/// One way to read `username`: whether it was found.
type Read = fn(&HttpRequest) -> bool;

/// One read of `username` from a fresh request (actix-web caches its parse
/// on the request): in place, and through actix-web's parse. The request
/// is built, and dropped, outside the timing.
fn reads(c: &mut Criterion) {
    let mut group = c.benchmark_group("read");
    let twenty = format!("{}; username=alice", twenty_cookies());
    for (label, header) in [("1 pair", "username=alice"), ("21 pairs", twenty.as_str())] {
        let request = || {
            TestRequest::default()
                .insert_header((COOKIE, header))
                .to_http_request()
        };
        let reads: [(&str, Read); 2] = [
            ("cookie_value", |req| {
                req.cookie_value(black_box("username")).is_some()
            }),
            ("actix_cookie", |req| {
                req.cookie(black_box("username")).is_some()
            }),
        ];
        for (name, read) in reads {
            group.bench_function(BenchmarkId::new(name, label), |b| {
                b.iter_batched(
                    request,
                    |req| (black_box(read(&req)), req),
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

fn outbound_check(c: &mut Criterion) {
    let policy = dev_policy();
    let now = SystemTime::now();
    c.bench_function("outbound/check", |b| {
        b.iter(|| {
            let mut sc = SetCookie::parse(black_box(
                "username=alice; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600",
            ))
            .expect("valid");
            sc.fill_from(&policy);
            sc.check(now).expect("complies");
            black_box(sc.to_string())
        })
    });
}

fn protection(c: &mut Criterion) {
    let ring = keys();
    let now = SystemTime::now();
    let t = unix_seconds(now);
    let signed = ring.protect(Protection::Signed, "session", "alice-0123456789", t);
    let private = ring.protect(Protection::Private, "session", "alice-0123456789", t);
    let mut group = c.benchmark_group("protect");
    group.bench_function("sign", |b| {
        b.iter(|| {
            black_box(ring.protect(
                Protection::Signed,
                "session",
                black_box("alice-0123456789"),
                t,
            ))
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            black_box(ring.unprotect(
                Protection::Signed,
                "session",
                black_box(&signed),
                now,
                Some(3600),
            ))
        })
    });
    group.bench_function("encrypt", |b| {
        b.iter(|| {
            black_box(ring.protect(
                Protection::Private,
                "session",
                black_box("alice-0123456789"),
                t,
            ))
        })
    });
    group.bench_function("decrypt", |b| {
        b.iter(|| {
            black_box(ring.unprotect(
                Protection::Private,
                "session",
                black_box(&private),
                now,
                Some(3600),
            ))
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    requests,
    inbound_parsing,
    reads,
    outbound_check,
    protection
);
criterion_main!(benches);
