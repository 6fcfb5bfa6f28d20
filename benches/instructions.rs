//! Instructions per request, with and without the layer, counted by
//! callgrind: repeatable on a shared, noisy machine where wall-clock
//! figures are not. `scripts/bench-instructions.sh` runs it.
//!
//! `instructions SCENARIO SERVER N` serves N requests of SCENARIO (profile,
//! login, cookies20, private) through SERVER in process: policy (the
//! server's app), baseline, layer (the baseline's handlers behind the
//! policy layer: what the layer costs on its own, around the same handlers;
//! not for private, whose cookie the layer would open before the baseline's
//! handler does) or noop (the baseline behind a middleware that does
//! nothing: what any layer costs in actix-web before it does any work).
//! Running it for N and 2N and subtracting cancels the set-up cost.

use std::sync::Arc;
use std::time::SystemTime;

use actix_web::http::header::COOKIE;
use actix_web::test::{TestRequest, call_service, init_service};
use cookie_policy::policy::protect::unix_seconds;
use cookie_policy::policy::{CookiePolicyLayer, Protection};

#[path = "../examples/baseline.rs"]
#[allow(dead_code)]
mod baseline;
mod common;

use common::{dev_policy, keys};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; with no scenario there is nothing to do.
    let (Some(scenario), Some(server), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: instructions SCENARIO SERVER N (see scripts/bench-instructions.sh)");
        return;
    };
    let n: usize = n.parse().expect("N is a number");
    let keys = keys();
    let session = format!(
        "session={}",
        keys.protect(
            Protection::Private,
            "session",
            "alice",
            unix_seconds(SystemTime::now())
        )
    );
    let twenty: String = (0..20)
        .map(|i| format!("cookie{i}=value{i}abcdef"))
        .collect::<Vec<_>>()
        .join("; ");
    let (uri, cookie): (&str, Option<&str>) = match scenario.as_str() {
        "profile" => ("/profile", Some("username=alice")),
        "login" => ("/login", None),
        "cookies20" => ("/cookies", Some(&twenty)),
        "private" => ("/cookies", Some(&session)),
        other => panic!("unknown scenario {other}"),
    };
    let request = || {
        let mut req = TestRequest::get().uri(uri);
        if let Some(c) = cookie {
            req = req.insert_header((COOKIE, c));
        }
        req.to_request()
    };
    let rt = actix_web::rt::System::new();
    rt.block_on(async {
        let mut ok = 0usize;
        if server == "policy" {
            let app = init_service(cookie_policy::startup::app(Arc::new(dev_policy()))).await;
            for _ in 0..n {
                ok += usize::from(call_service(&app, request()).await.status().is_success());
            }
        } else if server == "layer" {
            // The layer alone: the baseline's own handlers (actix-web's
            // `req.cookie`, hand-built cookies) behind it.
            assert!(
                scenario != "private",
                "the layer opens the cookie the baseline's handler opens"
            );
            let app = init_service(
                baseline::baseline_app(Arc::new(keys)).wrap(CookiePolicyLayer::new(dev_policy())),
            )
            .await;
            for _ in 0..n {
                ok += usize::from(call_service(&app, request()).await.status().is_success());
            }
        } else if server == "noop" {
            // The floor: the baseline behind a middleware that does nothing,
            // written as the layer is (a named future, no allocation).
            let app = init_service(baseline::baseline_app(Arc::new(keys)).wrap(noop::Noop)).await;
            for _ in 0..n {
                ok += usize::from(call_service(&app, request()).await.status().is_success());
            }
        } else if server == "baseline" {
            let app = init_service(baseline::baseline_app(Arc::new(keys))).await;
            for _ in 0..n {
                ok += usize::from(call_service(&app, request()).await.status().is_success());
            }
        } else {
            panic!("unknown server {server}: policy, layer, baseline or noop");
        }
        assert_eq!(ok, n, "every request succeeds");
    });
}

/// A middleware that passes every request through unchanged, built the way
/// `CookiePolicyLayer` is (its own service and a pin-projected future): the
/// cost of being a middleware at all.
mod noop {
    use std::future::{Ready, ready};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use actix_web::Error;
    use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};

    pub struct Noop;

    pub struct NoopMiddleware<S> {
        service: S,
    }

    impl<S, B> Transform<S, ServiceRequest> for Noop
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    {
        type Response = ServiceResponse<B>;
        type Error = Error;
        type Transform = NoopMiddleware<S>;
        type InitError = ();
        type Future = Ready<Result<Self::Transform, ()>>;

        fn new_transform(&self, service: S) -> Self::Future {
            ready(Ok(NoopMiddleware { service }))
        }
    }

    impl<S, B> Service<ServiceRequest> for NoopMiddleware<S>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    {
        type Response = ServiceResponse<B>;
        type Error = Error;
        type Future = Passed<S::Future>;

        forward_ready!(service);

        fn call(&self, req: ServiceRequest) -> Self::Future {
            Passed {
                fut: self.service.call(req),
            }
        }
    }

    pin_project_lite::pin_project! {
        pub struct Passed<F> {
            #[pin]
            fut: F,
        }
    }

    impl<F: std::future::Future> std::future::Future for Passed<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.project().fut.poll(cx)
        }
    }
}
