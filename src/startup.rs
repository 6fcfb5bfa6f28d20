//! The one app factory, used by the server and by the tests, and the server
//! around it.

mod head_deadline;

use std::future::ready;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_http::{HttpService, KeepAlive, error::DispatchError};
use actix_service::{IntoServiceFactory as _, ServiceFactoryExt as _, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::{
    AppConfig, Extensions, Server, ServiceFactory, ServiceRequest, ServiceResponse, fn_service,
};
use actix_web::middleware::{DefaultHeaders, Logger};
use actix_web::rt::net::TcpStream;
use actix_web::{App, Error, HttpServer, web};

use head_deadline::DeadlineIo;

use crate::routes;
use crate::sessions::Sessions;
use crate::settings::{
    MetricsSettings, PlaygroundSettings, ServerSettings, Settings, SettingsError,
};
use actix_cookie_policy::{CookiePolicy, CookiePolicyLayer};

/// How long a stopping server waits for requests in flight, in seconds.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 5;

/// The request log line (actix-web `Logger` format): client, request line
/// without its query, status, bytes, time. [`access_log`] fills it in.
pub const ACCESS_LOG: &str = r#"%a "%{request}xi" %s %b %Dms"#;

/// The request logger, writing [`ACCESS_LOG`] lines such as
/// `127.0.0.1 "GET /cookies/set/{name}/{value} HTTP/1.1" 302 0 0.412ms`.
///
/// The request line is the method, the pattern of the route that matches
/// (the path itself where none does) and the HTTP version: never the query,
/// nor a path segment a route captures, since `/cookies/set?session=…` and
/// `/cookies/set/{name}/{value}` carry the plain values of cookies, encrypted
/// ones included. The benchmark baseline logs with the same logger.
pub fn access_log() -> Logger {
    Logger::new(ACCESS_LOG).custom_request_replace("request", |req: &ServiceRequest| {
        let path = req.match_pattern();
        let path = path.as_deref().unwrap_or_else(|| req.path());
        format!("{} {path} {:?}", req.method(), req.version())
    })
}

/// The application: every route (the playground's when `playground` enables
/// it, `/session/*` with `sessions`' store), behind the cookie policy layer
/// and the request logger. Production and the tests both build it here.
pub fn app(
    policy: Arc<CookiePolicy>,
    playground: PlaygroundSettings,
    sessions: Sessions,
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
        .wrap(access_log())
        // Outermost, so that every answer, the layer's own included, has them.
        .wrap(security_headers())
        .configure(|cfg| routes::configure(cfg, playground, &sessions))
        .default_service(web::to(routes::not_found))
}

/// The headers every answer carries: `X-Content-Type-Options: nosniff`,
/// so that browsers never sniff a JSON body into something they would run.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new().add(("x-content-type-options", "nosniff"))
}

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    addrs: Vec<SocketAddr>,
    /// The `/metrics` listener, when `[metrics]` enables it.
    metrics: Option<(Server, Vec<SocketAddr>)>,
    /// The running cookie policy, whose keys SIGHUP can replace.
    policy: Option<Arc<CookiePolicy>>,
    /// Where SIGHUP reads the keys from.
    reload: Option<Box<dyn Fn() -> Result<Settings, SettingsError>>>,
}

impl Application {
    /// Binds the server as `settings` say: [`app`] with its policy,
    /// playground and sessions, served by [`Application::serve`].
    pub fn build(settings: &Settings) -> io::Result<Self> {
        let policy = Arc::new(settings.cookies.clone());
        let playground = settings.playground;
        let sessions = Sessions::new(&settings.sessions)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        for warning in settings.key_warnings() {
            log::warn!("{warning}");
        }
        if let Some(warning) = settings.playground_warning() {
            log::warn!("{warning}");
        }
        // Installed before the first request, so that no count is lost.
        let metrics = (settings.metrics.enabled)
            .then(|| serve_metrics(&settings.metrics))
            .transpose()?;
        let running = Arc::clone(&policy);
        let mut application = Self::serve(&settings.server, move || {
            app(Arc::clone(&policy), playground, sessions.clone())
        })?;
        application.policy = Some(running);
        application.metrics = metrics;
        Ok(application)
    }

    /// On SIGHUP, takes the keys of the settings `load` gives (the server
    /// passes [`Settings::load`]: the configuration files and environment
    /// as they are then) in place of the running ones; see [`reload_keys`].
    /// Without it, or for a server of [`Application::serve`], SIGHUP is
    /// left to the system.
    #[must_use]
    pub fn reload_keys_on_sighup(
        mut self,
        load: impl Fn() -> Result<Settings, SettingsError> + 'static,
    ) -> Self {
        self.reload = Some(Box::new(load));
        self
    }

    /// Binds the apps `make_app` makes, one per worker, on the address and
    /// with the timeouts and limits of `server`. Port 0 binds an ephemeral
    /// port; [`Application::addrs`] tells which.
    ///
    /// This is what actix-web's `HttpServer` assembles, from actix-server
    /// and actix-http, with one addition `HttpServer` leaves no room for:
    /// each connection's stream carries a deadline for its next request head,
    /// so that a later request's head on a kept-alive connection is bounded
    /// in time as the first one's is. The benchmark baseline is served here
    /// too, so that a comparison measures the cookie policy layer alone.
    pub fn serve<F, T, B>(server: &ServerSettings, make_app: F) -> io::Result<Self>
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let limits = Limits::from(server);
        let host = server.host.as_str();
        let port = server.port;
        let listeners = listeners(host, port, limits.backlog).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot listen on {host}:{port}: {e}; choose another with APP_SERVER__HOST and APP_SERVER__PORT (port 0 picks a free one)"
                ),
            )
        })?;
        // actix-server stops at once on SIGINT; `run_until_stopped` handles
        // the signals itself, so that Ctrl-C is as graceful as SIGTERM.
        let mut builder = actix_server::Server::build()
            .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
            .disable_signals()
            .backlog(limits.backlog)
            .max_concurrent_connections(limits.max_connections);
        if let Some(workers) = server.workers {
            builder = builder.workers(workers.get());
        }
        let mut addrs = Vec::with_capacity(listeners.len());
        for listener in listeners {
            let addr = listener.local_addr()?;
            addrs.push(addr);
            // Tells kept-alive connections to close when the server stops.
            let stopping = builder.graceful_shutdown_signal();
            let make_app = make_app.clone();
            builder = builder.listen(format!("cookie-policy-{addr}"), listener, move || {
                http_service(make_app(), limits, addr, stopping.clone())
            })?;
        }
        Ok(Self {
            server: builder.run(),
            addrs,
            metrics: None,
            policy: None,
            reload: None,
        })
    }

    /// The addresses actually bound.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The addresses the `/metrics` listener bound, if `[metrics]` enables it.
    pub fn metrics_addrs(&self) -> &[SocketAddr] {
        self.metrics.as_ref().map_or(&[], |(_, addrs)| addrs)
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM, then stops gracefully:
    /// no new connections, and up to [`SHUTDOWN_TIMEOUT_SECS`] for the
    /// requests in flight to finish.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let handle = self.server.handle();
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            actix_web::rt::spawn(server);
            handle
        });
        let stop = move |signal: &'static str| {
            let (handle, metrics) = (handle.clone(), metrics.clone());
            async move {
                log::info!(
                    "{signal} received; stopping gracefully (up to {SHUTDOWN_TIMEOUT_SECS} s for requests in flight)"
                );
                if let Some(metrics) = metrics {
                    metrics.stop(true).await;
                }
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
            if let (Some(policy), Some(load)) = (self.policy, self.reload) {
                let mut hangup = signal(SignalKind::hangup())?;
                actix_web::rt::spawn(async move {
                    while hangup.recv().await.is_some() {
                        reload_keys(&policy, load());
                    }
                });
            }
        }
        self.server.await
    }
}

/// The `/metrics` listener: the Prometheus recorder installed, and a
/// one-worker server bound where `metrics` says, not yet running.
fn serve_metrics(metrics: &MetricsSettings) -> io::Result<(Server, Vec<SocketAddr>)> {
    let handle = crate::metrics::recorder().map_err(io::Error::other)?;
    let (host, port) = (metrics.host.as_str(), metrics.port);
    let server = HttpServer::new(move || crate::metrics::app(handle.clone()))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .bind((host, port))
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot listen for metrics on {host}:{port}: {e}; choose another with APP_METRICS__HOST and APP_METRICS__PORT (port 0 picks a free one)"
                ),
            )
        })?;
    let addrs = server.addrs();
    Ok((server.run(), addrs))
}

/// A key rotation without a restart: the key ring of `loaded` replaces the
/// one `policy` runs with, for the requests that read or write a protected
/// cookie from then on; connections and requests in flight go on. Logs one
/// line saying what happened, never a key:
///
/// - the new ring, as `keys reloaded: a current key and N previous`;
/// - an error when the configuration no longer loads (a key file that
///   cannot be read, a key that fails the checks), and the old ring stays;
/// - a warning when no key is configured any more (development's key for
///   the process, which a reload would replace with another and so log
///   everyone out), and the old ring stays.
///
/// Other settings are read but not applied: they take a restart.
pub fn reload_keys(policy: &CookiePolicy, loaded: Result<Settings, SettingsError>) {
    let settings = match loaded {
        Ok(settings) => settings,
        Err(e) => {
            let e = e.to_string().replace("\n  ", " ").replace('\n', " ");
            log::error!("SIGHUP: keys not reloaded, the running ones stay: {e}");
            return;
        }
    };
    match settings.cookies.keys() {
        Some(ring) if !ring.is_ephemeral() => {
            for warning in settings.key_warnings() {
                log::warn!("{warning}");
            }
            policy.replace_keys(ring.as_ref().clone());
            log::info!(
                "SIGHUP: keys reloaded: a current key and {} previous",
                ring.previous_count()
            );
        }
        _ => log::warn!(
            "SIGHUP: no key is configured (keys.file or keys.current); the running keys stay"
        ),
    }
}

/// The `[server]` timeouts and limits, as actix takes them.
#[derive(Debug, Clone, Copy)]
struct Limits {
    keep_alive: KeepAlive,
    client_request_timeout: Duration,
    client_disconnect_timeout: Duration,
    /// A later request's head is due this long after the previous response.
    later_head: Duration,
    max_connections: usize,
    backlog: u32,
}

impl From<&ServerSettings> for Limits {
    fn from(server: &ServerSettings) -> Self {
        Self {
            keep_alive: match server.keep_alive {
                0 => KeepAlive::Disabled,
                secs => KeepAlive::Timeout(Duration::from_secs(secs)),
            },
            client_request_timeout: Duration::from_secs(server.client_request_timeout),
            client_disconnect_timeout: Duration::from_secs(server.client_disconnect_timeout),
            later_head: Duration::from_secs(
                server
                    .keep_alive
                    .saturating_add(server.client_request_timeout),
            ),
            max_connections: server.max_connections.get(),
            backlog: server.backlog.get(),
        }
    }
}

/// HTTP/1 over one listener's connections, each stream under its
/// [`HeadDeadline`](head_deadline::HeadDeadline): one worker's instance.
fn http_service<T, B>(
    app: App<T>,
    limits: Limits,
    addr: SocketAddr,
    stopping: actix_server::GracefulShutdownSignal,
) -> impl ServiceFactory<TcpStream, Config = (), Response = (), Error = DispatchError, InitError = ()>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    // `HttpServer` gives the app an `AppConfig` naming the address bound,
    // through a constructor actix-web keeps to itself. Nothing here reads
    // it (the Domain check reads the Host header, R6), so the public
    // default stands: plain HTTP, host `localhost:8080` as the fallback of
    // `ConnectionInfo::host` for a request without a Host header.
    let app = map_config(app.into_factory(), |()| AppConfig::default());
    let http = HttpService::build()
        .keep_alive(limits.keep_alive)
        .client_request_timeout(limits.client_request_timeout)
        .client_disconnect_timeout(limits.client_disconnect_timeout)
        .local_addr(addr)
        .graceful_shutdown_signal(move || {
            let stopping = stopping.clone();
            async move { stopping.notified().await }
        })
        .on_connect_ext(|io: &DeadlineIo<TcpStream>, data: &mut Extensions| {
            data.insert(io.deadline());
        })
        .h1(head_deadline::track(app));
    let later_head = limits.later_head;
    fn_service(move |io: TcpStream| {
        let peer = io.peer_addr().ok();
        ready(Ok::<_, DispatchError>((
            DeadlineIo::new(io, later_head, peer),
            peer,
        )))
    })
    .and_then(http)
}

/// Listening sockets for every address `host` resolves to, as `HttpServer`
/// makes them: an error only when none could be bound.
fn listeners(host: &str, port: u16, backlog: u32) -> io::Result<Vec<std::net::TcpListener>> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::ToSocketAddrs;

    let listen = |addr: SocketAddr| -> io::Result<std::net::TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        // A restarted server can bind while old connections linger.
        #[cfg(not(windows))]
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        Ok(socket.into())
    };
    let mut bound = Vec::new();
    let mut refused = None;
    for addr in (host, port).to_socket_addrs()? {
        match listen(addr) {
            Ok(listener) => bound.push(listener),
            Err(e) => refused = Some(e),
        }
    }
    match refused {
        Some(e) if bound.is_empty() => Err(e),
        None if bound.is_empty() => Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the host resolves to no address",
        )),
        _ => Ok(bound),
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
