//! The one app factory, used by the server and by the tests, and the server
//! around it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::KeepAlive;
use actix_web::middleware::Logger;
use actix_web::{App, Error, HttpServer, web};

use crate::routes;
use crate::settings::{ServerSettings, Settings};
use actix_cookie_policy::{CookiePolicy, CookiePolicyLayer};

/// How long a stopping server waits for requests in flight, in seconds.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 5;

/// The request log line (actix-web `Logger` format): client, request line,
/// status, bytes, time. The benchmark baseline logs with the same one.
pub const ACCESS_LOG: &str = r#"%a "%r" %s %b %Dms"#;

/// The application: every route, behind the cookie policy layer and the
/// request logger. Production and the tests both build it here.
pub fn app(
    policy: Arc<CookiePolicy>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    // The request logger wraps the layer so that the layer's own answers
    // (431, 500) are logged too; it reads no cookies, so the layer is still
    // the first to read them, as it must be.
    App::new()
        .wrap(CookiePolicyLayer::from(policy))
        .wrap(Logger::new(ACCESS_LOG))
        .configure(routes::configure)
        .default_service(web::to(routes::not_found))
}

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    addrs: Vec<SocketAddr>,
}

impl Application {
    /// Binds the server as `settings` say. Port 0 binds an ephemeral port;
    /// [`Application::addrs`] tells which.
    pub fn build(settings: &Settings) -> io::Result<Self> {
        let policy = Arc::new(settings.cookies.clone());
        // actix-server stops at once on SIGINT; `run_until_stopped` handles
        // the signals itself, so that Ctrl-C is as graceful as SIGTERM.
        let limits = &settings.server;
        let keep_alive = match limits.keep_alive {
            0 => KeepAlive::Disabled,
            secs => KeepAlive::Timeout(Duration::from_secs(secs)),
        };
        let mut server = HttpServer::new(move || app(policy.clone()))
            .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
            .disable_signals()
            .keep_alive(keep_alive)
            .client_request_timeout(Duration::from_secs(limits.client_request_timeout))
            .client_disconnect_timeout(Duration::from_secs(limits.client_disconnect_timeout))
            .max_connections(limits.max_connections.get())
            .backlog(limits.backlog.get());
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers.get());
        }
        let host = settings.server.host.as_str();
        let port = settings.server.port;
        let server = server.bind((host, port)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot listen on {host}:{port}: {e}; choose another with APP_SERVER__HOST and APP_SERVER__PORT (port 0 picks a free one)"
                ),
            )
        })?;
        let addrs = server.addrs();
        Ok(Self {
            server: server.run(),
            addrs,
        })
    }

    /// The addresses actually bound.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM, then stops gracefully:
    /// no new connections, and up to [`SHUTDOWN_TIMEOUT_SECS`] for the
    /// requests in flight to finish.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let handle = self.server.handle();
        let stop = move |signal: &'static str| {
            let handle = handle.clone();
            async move {
                log::info!(
                    "{signal} received; stopping gracefully (up to {SHUTDOWN_TIMEOUT_SECS} s for requests in flight)"
                );
                handle.stop(true).await;
            }
        };
        let on_interrupt = stop("SIGINT");
        actix_web::rt::spawn(async move {
            if actix_web::rt::signal::ctrl_c().await.is_ok() {
                on_interrupt.await;
            }
        });
        #[cfg(unix)]
        {
            use actix_web::rt::signal::unix::{SignalKind, signal};
            let mut terminate = signal(SignalKind::terminate())?;
            let on_terminate = stop("SIGTERM");
            actix_web::rt::spawn(async move {
                if terminate.recv().await.is_some() {
                    on_terminate.await;
                }
            });
        }
        self.server.await
    }
}

/// Requests `GET /healthz` from the server `server` describes, over loopback
/// when it listens on every address, within two seconds.
///
/// Hand-written over a plain TCP stream so that a container's HEALTHCHECK
/// needs no curl and the binary no HTTP client.
pub fn healthcheck(server: &ServerSettings) -> io::Result<()> {
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpStream, ToSocketAddrs};
    use std::time::Duration;

    let host = match server.host.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() && ip.is_ipv4() => {
            IpAddr::V4(Ipv4Addr::LOCALHOST).to_string()
        }
        Ok(ip) if ip.is_unspecified() => format!("[{}]", Ipv6Addr::LOCALHOST),
        Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => server.host.clone(),
    };
    let authority = format!("{host}:{}", server.port);
    let addr = authority.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{authority} resolves to no address"),
        )
    })?;
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.take(64 * 1024).read_to_string(&mut response)?;
    let ok = response.starts_with("HTTP/1.1 200 ") && response.ends_with(r#"{"status":"ok"}"#);
    if ok {
        Ok(())
    } else {
        let status = response.lines().next().unwrap_or("no response").to_owned();
        Err(io::Error::other(format!(
            "{authority}/healthz answered {status:?}"
        )))
    }
}
