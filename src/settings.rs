//! Settings: layered loading, validation and the profile rules.
//!
//! Layers, each over the one before:
//! 1. `config/default.toml` (required),
//! 2. `config/<APP_ENV>.toml` (`development` when `APP_ENV` is unset, or
//!    `production`; optional),
//! 3. environment variables `APP_<SECTION>__<KEY>`, such as
//!    `APP_SERVER__PORT=9000` or `APP_COOKIES__SECURE=true`.
//!
//! `APP_CONFIG_DIR` names another configuration folder. Every problem is
//! reported with the key and the file or variable it came from.
//!
//! Layering is [figment]'s job; this module only says what the layers are and
//! how to report their errors.

use std::fmt;
use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

use actix_cookie_policy::{
    CookiePolicy, CookiePolicyConfig, KeyError, KeyRing, Lifetime, MAX_LIFETIME_SECONDS, Prefix,
    Protection,
};

/// The environment variable that selects the profile.
pub const PROFILE_VAR: &str = "APP_ENV";
/// The environment variable that names the configuration folder.
pub const CONFIG_DIR_VAR: &str = "APP_CONFIG_DIR";
/// The prefix of environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "APP_";
/// The most worker threads actix-web's server accepts.
pub const MAX_WORKERS: usize = 512;

/// The deployment profile, from `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Local development: cookies without `Secure`, violations explained in
    /// error bodies. The default.
    #[default]
    Development,
    /// Production: `Secure` cookies are required.
    Production,
}

impl Profile {
    /// The profile's name, which is also its configuration file's stem.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Development => "development",
            Profile::Production => "production",
        }
    }

    /// Reads a profile name as `APP_ENV` gives it.
    pub fn parse(name: &str) -> Result<Self, SettingsError> {
        match name {
            "development" => Ok(Profile::Development),
            "production" => Ok(Profile::Production),
            other => Err(SettingsError::UnknownProfile(other.to_owned())),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[server]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// The address to listen on. Default: `127.0.0.1`.
    pub host: String,
    /// The port to listen on; 0 binds an ephemeral port. Default: `8080`.
    pub port: u16,
    /// Worker threads, 1 to 512; absent means one per CPU core.
    pub workers: Option<NonZeroUsize>,
    /// Seconds an idle connection is kept open for its next request; 0
    /// closes every connection after its response. Default: `5`.
    pub keep_alive: u64,
    /// Seconds a client has to send a request head: on a new connection from
    /// its opening, and on a kept-alive one together with `keep_alive` from
    /// the end of the previous response. 1 to 3600. Default: `5`.
    pub client_request_timeout: u64,
    /// Seconds a closing connection waits for the client to take the rest of
    /// the response and close its end. 1 to 3600. Default: `1`.
    pub client_disconnect_timeout: u64,
    /// Open connections per worker; past it the worker accepts no more until
    /// one closes. Default: `25000`.
    pub max_connections: NonZeroUsize,
    /// Connections the system queues before the server accepts them, 1 to
    /// 65535 (the system may lower it: `net.core.somaxconn`). Default: `1024`.
    pub backlog: NonZeroU32,
}

/// The longest timeout of `[server]`, in seconds: an hour.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// The longest listen queue `server.backlog` asks for.
pub const MAX_BACKLOG: u32 = 65535;

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            workers: None,
            keep_alive: 5,
            client_request_timeout: 5,
            client_disconnect_timeout: 1,
            max_connections: const { NonZeroUsize::new(25_000).unwrap() },
            backlog: const { NonZeroU32::new(1024).unwrap() },
        }
    }
}

/// The `[playground]` table: the httpbin-style routes `GET /cookies`,
/// `/cookies/set` and `/cookies/delete`, for trying the policy with curl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlaygroundSettings {
    /// Serve the playground's routes; when off they answer 404 like any
    /// unknown path. They show any client its cookies with protected values
    /// opened, and seal any value it chooses under any cookie name, protected
    /// ones included: a tool for trying the policy, never part of an
    /// application. Default: `false`; `config/development.toml` turns it on.
    pub enabled: bool,
}

/// The `[metrics]` table: the layer's counters as Prometheus text at
/// `GET /metrics`, on a listener of its own, so that the public port never
/// serves them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `/metrics`. Default: `false`. Environment:
    /// `APP_METRICS__ENABLED`.
    pub enabled: bool,
    /// The address of its listener. Default: `127.0.0.1`, this machine
    /// only. Environment: `APP_METRICS__HOST`.
    pub host: String,
    /// Its port; 0 picks a free one. Never `server.port` on the same
    /// address (or on a wildcard one): the public listener must not serve
    /// the counters. Default: `9090`. Environment: `APP_METRICS__PORT`.
    pub port: u16,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            host: "127.0.0.1".to_owned(),
            port: 9090,
        }
    }
}

/// Where `/session/*` keeps its sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStoreKind {
    /// The whole session in its cookie, encrypted by the layer: nothing to
    /// install, but a copy of the cookie stays valid until it expires.
    #[default]
    Cookie,
    /// The session in Redis, the cookie holding only its id: logout revokes it
    /// everywhere.
    Redis,
}

/// The name the session cookie is declared under in `[cookies.overrides]`.
pub const SESSION_COOKIE: &str = "sid";
/// The session cookie's name on the wire: declared with `prefix = "host"`.
pub const SESSION_COOKIE_ON_WIRE: &str = "__Host-sid";

/// The `[sessions]` table: the store behind `/session/login`, `/me` and
/// `/logout`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// `"cookie"` (the default) or `"redis"`.
    pub store: SessionStoreKind,
    /// The Redis server, such as `redis://127.0.0.1:6379`; required with
    /// `store = "redis"`. Printed without its password.
    #[serde(serialize_with = "redacted_url")]
    pub redis_url: Option<String>,
    /// Seconds a session lives after its last change; the session cookie's
    /// override must have the same `max_age`. Default: `86400`.
    pub ttl: u32,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            store: SessionStoreKind::Cookie,
            redis_url: None,
            ttl: 86_400,
        }
    }
}

impl fmt::Debug for SessionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionSettings")
            .field("store", &self.store)
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(without_password),
            )
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// A Redis URL with the password in its user information replaced by
/// `<redacted>`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:<redacted>@{host}")
        }
        _ => url.to_owned(),
    }
}

fn redacted_url<S: serde::Serializer>(
    url: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    url.as_deref().map(without_password).serialize(serializer)
}

/// Everything the server is configured with.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The profile these settings were loaded for.
    pub profile: Profile,
    /// `[server]`.
    pub server: ServerSettings,
    /// `[cookies]` with `[keys]`: the validated cookie policy.
    pub cookies: CookiePolicy,
    /// `[keys]`: the keys of protected cookies (printed redacted).
    pub keys: KeySettings,
    /// `[playground]`.
    pub playground: PlaygroundSettings,
    /// `[sessions]`.
    pub sessions: SessionSettings,
    /// `[metrics]`.
    pub metrics: MetricsSettings,
}

/// The configuration as the layers give it, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Layers {
    #[serde(default)]
    server: ServerSettings,
    #[serde(default)]
    cookies: CookiePolicyConfig,
    #[serde(default)]
    keys: KeySettings,
    #[serde(default)]
    playground: PlaygroundSettings,
    #[serde(default)]
    sessions: SessionSettings,
    #[serde(default)]
    metrics: MetricsSettings,
}

/// The `[keys]` table: base64 keys of at least 32 random bytes, from
/// `cookie-policy keygen`. Never printed.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// The key that protects new cookies (and verifies). Environment:
    /// `APP_KEYS__CURRENT`.
    pub current: Option<String>,
    /// Keys that only verify, newest first, so cookies issued before a
    /// rotation still read (and are re-issued with `current`). A list, or one
    /// key alone. Environment: `APP_KEYS__PREVIOUS=<key>` or
    /// `APP_KEYS__PREVIOUS='["<key>", ...]'`.
    #[serde(deserialize_with = "one_key_or_a_list")]
    pub previous: Vec<String>,
    /// The application's name in the key derivation, so that another app
    /// given the same keys cannot read or forge this one's cookies (see
    /// `KeyRing::with_context`). Not secret. Changing it invalidates every
    /// protected cookie. Default: empty. Environment: `APP_KEYS__CONTEXT`.
    pub context: String,
    /// A file of keys instead of `current` and `previous`, as secret stores
    /// mount them: one base64 key a line, the current one first, then the
    /// previous ones, newest first; blank lines and `#` comment lines are
    /// ignored. A relative path is taken from the working directory. Read
    /// at start and again on SIGHUP. Environment: `APP_KEYS__FILE`.
    pub file: Option<PathBuf>,
}

/// `keys.previous` as a list of keys, or one key alone: mid-rotation,
/// `APP_KEYS__PREVIOUS=<key>` is the natural way to write the one retired key.
fn one_key_or_a_list<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    use serde::de::{Error, SeqAccess, Visitor};

    struct Keys;

    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key or a list of keys")
        }

        fn visit_str<E: Error>(self, key: &str) -> Result<Self::Value, E> {
            Ok(vec![key.to_owned()])
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
            while let Some(key) = seq.next_element::<String>()? {
                keys.push(key);
            }
            Ok(keys)
        }
    }

    deserializer.deserialize_any(Keys)
}

impl fmt::Debug for KeySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySettings")
            .field("current", &self.current.as_ref().map(|_| "<redacted>"))
            .field("previous", &self.previous.len())
            .field("context", &self.context)
            .field("file", &self.file)
            .finish()
    }
}

impl Serialize for KeySettings {
    /// Says which keys are set, never what they are.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("KeySettings", 4)?;
        st.serialize_field("current", &self.current.as_ref().map(|_| "<redacted>"))?;
        st.serialize_field("previous", &vec!["<redacted>"; self.previous.len()])?;
        st.serialize_field("context", &self.context)?;
        st.serialize_field("file", &self.file)?;
        st.end()
    }
}

/// Why settings could not be loaded. Each message names the key and where
/// its value came from, and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `APP_ENV` names no known profile.
    #[error("{PROFILE_VAR}={0:?} is not a profile; use `development` or `production`")]
    UnknownProfile(String),
    /// The configuration folder or its `default.toml` is missing.
    #[error(
        "configuration file {} not found; run from the project folder or set {CONFIG_DIR_VAR} to the folder that holds default.toml",
        .0.display()
    )]
    MissingDefaults(PathBuf),
    /// One or more keys have bad values.
    #[error("invalid configuration:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
    /// Protected cookies in production with no key configured.
    #[error(
        "the production profile needs a key for protected cookies ({0}): set APP_KEYS__CURRENT (or keys.current) to the output of `cookie-policy keygen`"
    )]
    MissingKey(String),
    /// The production profile with cookies that may go out without `Secure`.
    #[error(
        "the production profile refuses cookies without Secure ({0}); set cookies.secure = true, or opt out with cookies.allow_insecure_in_production = true"
    )]
    InsecureProduction(String),
}

impl Settings {
    /// Loads settings the way the server does: the profile from `APP_ENV`,
    /// the folder from `APP_CONFIG_DIR` (default `config`), then the files
    /// and the `APP_*` environment variables.
    pub fn load() -> Result<Self, SettingsError> {
        let profile = match std::env::var(PROFILE_VAR) {
            Ok(name) => Profile::parse(&name)?,
            Err(_) => Profile::default(),
        };
        let dir = std::env::var_os(CONFIG_DIR_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Self::load_from(&dir, profile)
    }

    /// Loads settings from the folder `dir` for `profile`, with the `APP_*`
    /// environment variables on top.
    pub fn load_from(dir: &Path, profile: Profile) -> Result<Self, SettingsError> {
        Self::from_figment(Self::figment(dir, profile)?, profile)
    }

    /// Loads settings from the files in `dir` for `profile` alone, ignoring
    /// the environment: what tests want, so a developer's shell cannot change
    /// their outcome.
    pub fn load_files(dir: &Path, profile: Profile) -> Result<Self, SettingsError> {
        Self::from_figment(Self::file_figment(dir, profile)?, profile)
    }

    /// Extracts and validates settings from any layers (for example
    /// [`Settings::file_figment`] with a test key merged on top).
    pub fn from_figment(figment: Figment, profile: Profile) -> Result<Self, SettingsError> {
        let layers: Layers = figment
            .extract()
            .map_err(|e| SettingsError::Invalid(describe(&figment, e)))?;
        check_profile_rules(profile, &layers, &figment)?;
        check_sessions(&layers, &figment)?;
        check_metrics(&layers, &figment)?;
        let keys = key_ring(profile, &layers, &figment)?;
        let cookies = CookiePolicy::new(layers.cookies, keys).map_err(|e| {
            SettingsError::Invalid(vec![format!(
                "  {}: {} ({})",
                e.key,
                e.message,
                origin(&figment, &e.key)
            )])
        })?;
        Ok(Settings {
            profile,
            server: layers.server,
            cookies,
            keys: layers.keys,
            playground: layers.playground,
            sessions: layers.sessions,
            metrics: layers.metrics,
        })
    }

    /// The warning the server logs at start-up when the production profile
    /// serves the playground, saying what that exposes; `None` otherwise.
    pub fn playground_warning(&self) -> Option<String> {
        if self.profile != Profile::Production || !self.playground.enabled {
            return None;
        }
        let protected: Vec<&str> = (self.cookies.config().overrides.iter())
            .filter(|(_, o)| o.protection.is_some())
            .map(|(name, _)| name.as_str())
            .collect();
        let sealed = if protected.is_empty() {
            String::new()
        } else {
            format!(
                ", protected ones ({}) with values it chooses, sealed with this server's key",
                protected.join(", ")
            )
        };
        Some(format!(
            "the playground is on in the production profile (playground.enabled = true): GET /cookies shows any client the cookies it sends with private values decrypted, and GET /cookies/set and /cookies/delete let it set or remove any cookie{sealed}; set playground.enabled = false (APP_PLAYGROUND__ENABLED=false) unless this server is a demo"
        ))
    }

    /// The warnings the server logs at start-up about its keys: in the
    /// development profile, keys that are obviously not random (production
    /// refuses them).
    pub fn key_warnings(&self) -> Vec<String> {
        let Some(ring) = self.cookies.keys() else {
            return Vec::new();
        };
        ring.weaknesses()
            .iter()
            .map(|e| {
                let which = match &self.keys.file {
                    Some(path) => format!("file: {} {}", path.display(), e.which()),
                    None => e.which().to_owned(),
                };
                format!(
                    "keys.{which}: {}; the production profile refuses such a key",
                    e.problem()
                )
            })
            .collect()
    }

    /// The layers, in order, for `dir` and `profile`.
    pub fn figment(dir: &Path, profile: Profile) -> Result<Figment, SettingsError> {
        Ok(Self::file_figment(dir, profile)?.merge(
            Env::prefixed(ENV_PREFIX)
                .ignore(&["ENV", "CONFIG_DIR"])
                .split("__"),
        ))
    }

    /// The file layers alone, without the environment.
    pub fn file_figment(dir: &Path, profile: Profile) -> Result<Figment, SettingsError> {
        let defaults = dir.join("default.toml");
        if !defaults.is_file() {
            return Err(SettingsError::MissingDefaults(defaults));
        }
        let mut figment = Figment::from(Toml::file_exact(defaults));
        let profile_file = dir.join(format!("{profile}.toml"));
        if profile_file.is_file() {
            figment = figment.merge(Toml::file_exact(profile_file));
        }
        Ok(figment)
    }
}

/// The profile's rules: a worker count the server can run, `[server]`
/// timeouts and queue within range, and in production generic error bodies
/// and `Secure` cookies (unless opted out).
fn check_profile_rules(
    profile: Profile,
    layers: &Layers,
    figment: &Figment,
) -> Result<(), SettingsError> {
    if let Some(workers) = layers.server.workers
        && workers.get() > MAX_WORKERS
    {
        return Err(SettingsError::Invalid(vec![format!(
            "  server.workers: {workers} is more than the {MAX_WORKERS} workers the server can run ({})",
            origin(figment, "server.workers")
        )]));
    }
    let server = &layers.server;
    let mut out_of_range = Vec::new();
    if server.keep_alive > MAX_TIMEOUT_SECS {
        out_of_range.push(("server.keep_alive", server.keep_alive, 0, MAX_TIMEOUT_SECS));
    }
    for (key, secs) in [
        (
            "server.client_request_timeout",
            server.client_request_timeout,
        ),
        (
            "server.client_disconnect_timeout",
            server.client_disconnect_timeout,
        ),
    ] {
        if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
            out_of_range.push((key, secs, 1, MAX_TIMEOUT_SECS));
        }
    }
    let backlog = u64::from(server.backlog.get());
    if backlog > u64::from(MAX_BACKLOG) {
        out_of_range.push(("server.backlog", backlog, 1, u64::from(MAX_BACKLOG)));
    }
    if !out_of_range.is_empty() {
        return Err(SettingsError::Invalid(
            out_of_range
                .into_iter()
                .map(|(key, value, min, max)| {
                    format!(
                        "  {key}: {value} is outside {min} to {max} ({})",
                        origin(figment, key)
                    )
                })
                .collect(),
        ));
    }
    let cookies = &layers.cookies;
    if profile != Profile::Production {
        return Ok(());
    }
    if cookies.explain_violations {
        return Err(SettingsError::Invalid(vec![format!(
            "  cookies.explain_violations: the production profile keeps error bodies generic (the log has the detail); remove explain_violations = true ({})",
            origin(figment, "cookies.explain_violations")
        )]));
    }
    let mut insecure: Vec<String> = Vec::new();
    if !cookies.secure {
        insecure.push("cookies.secure".to_owned());
    }
    for (name, o) in &cookies.overrides {
        if o.secure == Some(false) {
            insecure.push(format!("cookies.overrides.{name}.secure"));
        }
    }
    if insecure.is_empty() || cookies.allow_insecure_in_production {
        return Ok(());
    }
    let described: Vec<String> = insecure
        .iter()
        .map(|k| format!("{k} = false {}", origin(figment, k)))
        .collect();
    Err(SettingsError::InsecureProduction(described.join(", ")))
}

/// `[sessions]` against the session cookie's declaration: a Redis URL when
/// the store is Redis, a lifetime within a cookie's, and the cookie declared
/// private (actix-session's own key is public, so the layer's encryption is
/// all that protects it) with the session's lifetime as its `max_age`, so
/// that the layer accepts the cookie exactly as long as the session lives.
fn check_sessions(layers: &Layers, figment: &Figment) -> Result<(), SettingsError> {
    let sessions = &layers.sessions;
    let mut problems = Vec::new();
    if sessions.store == SessionStoreKind::Redis && sessions.redis_url.is_none() {
        problems.push(format!(
            "  sessions.redis_url: required with store = \"redis\", such as \"redis://127.0.0.1:6379\" ({})",
            origin(figment, "sessions.store")
        ));
    }
    if sessions.store == SessionStoreKind::Redis
        && let Some(url) = &sessions.redis_url
        && deadpool_redis::redis::Client::open(url.as_str()).is_err()
    {
        // The URL is not printed: it may hold a password.
        problems.push(format!(
            "  sessions.redis_url: is not a Redis URL (the value is not printed); use redis://host:port, or redis://user:password@host:port ({})",
            origin(figment, "sessions.redis_url")
        ));
    }
    if !(1..=MAX_LIFETIME_SECONDS).contains(&sessions.ttl) {
        problems.push(format!(
            "  sessions.ttl: {} is outside 1 to {MAX_LIFETIME_SECONDS} ({})",
            sessions.ttl,
            origin(figment, "sessions.ttl")
        ));
    }
    let key = format!("cookies.overrides.{SESSION_COOKIE}");
    match layers.cookies.overrides.get(SESSION_COOKIE) {
        Some(declared) => {
            if declared.prefix != Some(Prefix::Host) {
                problems.push(format!(
                    "  {key}.prefix: the session cookie must be \"host\", so that no other site or path can set it ({})",
                    origin(figment, &format!("{key}.prefix"))
                ));
            }
            if declared.protection != Some(Protection::Private) {
                problems.push(format!(
                    "  {key}.protection: the session cookie must be \"private\": the layer's encryption is all that protects it ({})",
                    origin(figment, &format!("{key}.protection"))
                ));
            }
            if declared.max_age != Some(Lifetime::Seconds(sessions.ttl)) {
                problems.push(format!(
                    "  {key}.max_age: must equal sessions.ttl ({}), so that the layer accepts the session cookie as long as the session lives ({})",
                    sessions.ttl,
                    origin(figment, &format!("{key}.max_age"))
                ));
            }
        }
        None => problems.push(format!(
            "  {key}: the session cookie is not declared; declare it with prefix = \"host\", protection = \"private\" and max_age = sessions.ttl (see config/default.toml)"
        )),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SettingsError::Invalid(problems))
    }
}

/// `[metrics]` against `[server]`: the counters are for the operator, so
/// their listener must not be the public one. Port 0 picks a free port for
/// each, never the same; a wildcard host (`0.0.0.0`, `::`) shares its port
/// with every address.
fn check_metrics(layers: &Layers, figment: &Figment) -> Result<(), SettingsError> {
    let (metrics, server) = (&layers.metrics, &layers.server);
    if !metrics.enabled || metrics.port == 0 || metrics.port != server.port {
        return Ok(());
    }
    let wildcard = |host: &str| host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
    if metrics.host != server.host && !wildcard(&metrics.host) && !wildcard(&server.host) {
        return Ok(());
    }
    Err(SettingsError::Invalid(vec![format!(
        "  metrics.port: {} on {} is the public listener (server.port on {}); the counters are served on a listener of their own: choose another port ({})",
        metrics.port,
        metrics.host,
        server.host,
        origin(figment, "metrics.port")
    )]))
}

/// The key ring of `[keys]`. Without a configured key, protected cookies
/// get a random key for this process in development (the layer warns), and
/// the production profile refuses to start.
fn key_ring(
    profile: Profile,
    layers: &Layers,
    figment: &Figment,
) -> Result<Option<KeyRing>, SettingsError> {
    let keys = &layers.keys;
    let invalid = |line: String| SettingsError::Invalid(vec![line]);
    let ring = match (&keys.file, &keys.current) {
        (Some(_), Some(_)) => {
            return Err(invalid(format!(
                "  keys.file: give the keys in the file or as keys.current and keys.previous, not both ({}; keys.current {})",
                origin(figment, "keys.file"),
                origin(figment, "keys.current")
            )));
        }
        (Some(_), None) if !keys.previous.is_empty() => {
            return Err(invalid(format!(
                "  keys.file: the previous keys go in the file, after the current one ({}; keys.previous {})",
                origin(figment, "keys.file"),
                origin(figment, "keys.previous")
            )));
        }
        (Some(path), None) => {
            let from = origin(figment, "keys.file");
            let text = std::fs::read_to_string(path).map_err(|e| {
                invalid(format!(
                    "  keys.file: cannot read {}: {e} ({from})",
                    path.display()
                ))
            })?;
            KeyRing::from_key_file_contents(&text)
                .map_err(|e| invalid(file_key_problem(&e, path, &from)))?
        }
        (None, Some(current)) => {
            let previous: Vec<&str> = keys.previous.iter().map(String::as_str).collect();
            KeyRing::from_base64(current, &previous)
                .map_err(|e| invalid(key_problem(&e, figment)))?
        }
        (None, None) => {
            if !keys.previous.is_empty() {
                return Err(invalid(format!(
                    "  keys.previous: previous keys only verify; set keys.current too ({})",
                    origin(figment, "keys.previous")
                )));
            }
            let protected: Vec<&str> = (layers.cookies.overrides.iter())
                .filter(|(_, o)| o.protection.is_some())
                .map(|(name, _)| name.as_str())
                .collect();
            if protected.is_empty() {
                return Ok(None);
            }
            if profile == Profile::Production {
                return Err(SettingsError::MissingKey(protected.join(", ")));
            }
            return KeyRing::ephemeral()
                .map(Some)
                .map_err(|e| invalid(format!("  keys: {e}")));
        }
    };
    let ring = ring.with_context(&keys.context);
    if profile == Profile::Production && !ring.weaknesses().is_empty() {
        let lines = ring.weaknesses().iter().map(|e| match &keys.file {
            Some(path) => file_key_problem(e, path, &origin(figment, "keys.file")),
            None => key_problem(e, figment),
        });
        return Err(SettingsError::Invalid(lines.collect()));
    }
    Ok(Some(ring))
}

/// One line on a key of `keys.file`: the file, the line, what is wrong,
/// what to do, where the file's name came from; never the key itself.
fn file_key_problem(e: &KeyError, path: &Path, from: &str) -> String {
    let advice = if e.wants_a_new_key() {
        "; generate one with `cookie-policy keygen`"
    } else {
        ""
    };
    let line = match e.which() {
        which if which.starts_with("line ") => format!(" {which}"),
        _ => String::new(),
    };
    format!(
        "  keys.file: {}{line}: {}{advice} ({from})",
        path.display(),
        e.problem()
    )
}

/// One line on a key: which, what is wrong, what to do, where it came from;
/// never the key itself.
fn key_problem(e: &KeyError, figment: &Figment) -> String {
    let key = if e.which() == "current" {
        "keys.current"
    } else {
        "keys.previous"
    };
    let advice = if e.wants_a_new_key() {
        "; generate one with `cookie-policy keygen`"
    } else {
        ""
    };
    format!(
        "  keys.{}: {}{advice} ({})",
        e.which(),
        e.problem(),
        origin(figment, key)
    )
}

/// Where the value of `key` came from: "in <file>" or "from <VARIABLE>".
fn origin(figment: &Figment, key: &str) -> String {
    // A list's element (`keys.previous.1`) comes from where its list came from.
    let mut key = key;
    while let Some((list, index)) = key.rsplit_once('.')
        && index.bytes().all(|b| b.is_ascii_digit())
    {
        key = list;
    }
    let Some(md) = figment.find_metadata(key) else {
        return "(default)".to_owned();
    };
    if let Some(path) = md.source.as_ref().and_then(|s| s.file_path()) {
        return format!("in {}", path.display());
    }
    if md.name.contains("environment") {
        // figment's own interpolation prints `SERVER.PORT`; name the real variable.
        return format!(
            "from {ENV_PREFIX}{}",
            key.replace('.', "__").to_ascii_uppercase()
        );
    }
    format!("from {}", md.name)
}

/// One line per figment error: the key, what is wrong, and where it came from.
fn describe(figment: &Figment, err: figment::Error) -> Vec<String> {
    use figment::error::Kind;
    err.into_iter()
        .map(|e| {
            let what = match &e.kind {
                Kind::UnknownVariant(found, expected) => {
                    format!(
                        "unknown value {found:?}; expected one of {}",
                        one_of(expected)
                    )
                }
                Kind::UnknownField(found, expected) => {
                    format!(
                        "unknown key {found:?}; expected one of {}",
                        one_of(expected)
                    )
                }
                kind => kind.to_string(),
            };
            let key = e.path.join(".");
            if key.is_empty() {
                // A file that does not parse: no key, but the file is known.
                let file = e
                    .metadata
                    .as_ref()
                    .and_then(|m| m.source.as_ref())
                    .and_then(|s| s.file_path());
                return match file {
                    Some(path) => format!("  {}: {}", path.display(), syntax_error(path)),
                    // The parser's first line; the next ones quote the source.
                    None => format!("  {}", what.lines().next().unwrap_or_default()),
                };
            }
            if key == "keys" || key.starts_with("keys.") {
                return format!(
                    "  {key}: {} ({})",
                    describe_key_error(&key, &e.kind),
                    origin(figment, &key)
                );
            }
            format!("  {key}: {what} ({})", origin(figment, &key))
        })
        .collect()
}

/// What is wrong with the value of `key`, under `[keys]`, without the value:
/// serde's messages quote it, and a key must never reach a log.
fn describe_key_error(key: &str, kind: &figment::error::Kind) -> String {
    use figment::error::{Actual, Kind};
    let found = |actual: &Actual| match actual {
        Actual::Str(_) => "a string",
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a float",
        Actual::Char(_) => "a character",
        Actual::Bytes(_) => "bytes",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        Actual::Unit | Actual::Option => "nothing",
        _ => "another kind of value",
    };
    let (expected, what_to_do) = match key {
        "keys" => (
            "a table of `current`, `previous` or `file`",
            "set keys.current (APP_KEYS__CURRENT, two underscores) to a key from `cookie-policy keygen`",
        ),
        "keys.previous" => (
            "a key or a list of keys",
            "set it to the retired key, or a list of them, newest first",
        ),
        _ => ("a key", "set it to a key from `cookie-policy keygen`"),
    };
    let problem = match kind {
        Kind::UnknownField(_, expected) => {
            return format!("unknown key; expected one of {}", one_of(expected));
        }
        Kind::InvalidType(actual, _) => format!("expected {expected}, found {}", found(actual)),
        Kind::InvalidLength(len, _) => format!("expected {expected}, found {len} items"),
        _ => format!("expected {expected}"),
    };
    format!("{problem} (the value is not printed); {what_to_do}")
}

/// Where and why the TOML file `path` does not parse, without the source
/// line the parser quotes: it may hold a key.
fn syntax_error(path: &Path) -> String {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return format!("cannot be read: {e}"),
    };
    let Err(e) = text.parse::<toml::Table>() else {
        return "does not parse as TOML".to_owned();
    };
    let message = e.message().trim().replace('\n', "; ");
    let Some(span) = e.span() else {
        return format!("TOML parse error: {message}");
    };
    let before = text.get(..span.start).unwrap_or(&text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(
        "TOML parse error at line {line}, column {column}: {message} (the line is not printed, as it may hold a key)"
    )
}

/// `"a", "b", "c"`: the names serde expects, each once whatever its case
/// (the policy's enums also accept the header's spelling, `Lax` for `lax`).
fn one_of(expected: &[&str]) -> String {
    let mut names: Vec<String> = Vec::new();
    for name in expected {
        let name = name.to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

#[cfg(test)]
// figment's Jail closures return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use actix_cookie_policy::SameSite;
    use figment::Jail;

    fn load(jail: &Jail, profile: Profile) -> Result<Settings, SettingsError> {
        Settings::load_from(&jail.directory().join("config"), profile)
    }

    /// The session cookie's declaration, which the server requires.
    const SID: &str =
        "[cookies.overrides.sid]\nprefix = \"host\"\nprotection = \"private\"\nmax_age = 86400\n";

    fn files(jail: &mut Jail, default: &str, development: &str) {
        jail.create_dir("config").unwrap();
        jail.create_file("config/default.toml", &format!("{default}\n{SID}"))
            .unwrap();
        jail.create_file("config/development.toml", development)
            .unwrap();
    }

    #[test]
    fn the_profile_file_overrides_the_defaults_and_the_environment_overrides_both() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[server]\nport = 1\nhost = \"127.0.0.1\"\n[cookies]\nsecure = true",
                "[server]\nport = 2\n[cookies]\nsecure = false",
            );
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!((s.server.port, s.cookies.config().secure), (2, false));
            jail.set_env("APP_SERVER__PORT", "3");
            jail.set_env("APP_COOKIES__SAME_SITE", "strict");
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!(s.server.port, 3);
            assert_eq!(s.cookies.config().same_site, SameSite::Strict);
            assert_eq!(s.server.host, "127.0.0.1");
            Ok(())
        });
    }

    #[test]
    fn app_env_and_app_config_dir_are_not_configuration_keys() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_ENV", "development");
            jail.set_env("APP_CONFIG_DIR", "config");
            let s = Settings::load().unwrap();
            assert_eq!(s.profile, Profile::Development);
            assert_eq!(s.server, ServerSettings::default());
            Ok(())
        });
    }

    #[test]
    fn a_missing_default_file_says_where_it_looked() {
        Jail::expect_with(|jail| {
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("configuration file "), "{e}");
            assert!(e.ends_with("config/default.toml not found; run from the project folder or set APP_CONFIG_DIR to the folder that holds default.toml"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_profile_is_refused() {
        assert_eq!(
            Profile::parse("staging").unwrap_err().to_string(),
            "APP_ENV=\"staging\" is not a profile; use `development` or `production`"
        );
    }

    #[test]
    fn the_playground_is_off_unless_a_layer_turns_it_on() {
        Jail::expect_with(|jail| {
            files(jail, "", "[playground]\nenabled = true");
            jail.set_env("APP_KEYS__CURRENT", KEY);
            assert!(load(jail, Profile::Development).unwrap().playground.enabled);
            assert!(!load(jail, Profile::Production).unwrap().playground.enabled);
            jail.set_env("APP_PLAYGROUND__ENABLED", "true");
            assert!(load(jail, Profile::Production).unwrap().playground.enabled);
            Ok(())
        });
    }

    #[test]
    fn production_serving_the_playground_warns_naming_the_protected_cookies() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[playground]\nenabled = true\n[cookies.overrides.session]\nprotection = \"private\"\n[cookies.overrides.prefs]\nprotection = \"signed\"",
                "",
            );
            jail.set_env("APP_KEYS__CURRENT", KEY);
            assert_eq!(
                load(jail, Profile::Development)
                    .unwrap()
                    .playground_warning(),
                None,
                "development is what the playground is for"
            );
            assert_eq!(
                load(jail, Profile::Production)
                    .unwrap()
                    .playground_warning()
                    .as_deref(),
                Some(
                    "the playground is on in the production profile (playground.enabled = true): GET /cookies shows any client the cookies it sends with private values decrypted, and GET /cookies/set and /cookies/delete let it set or remove any cookie, protected ones (prefs, session, sid) with values it chooses, sealed with this server's key; set playground.enabled = false (APP_PLAYGROUND__ENABLED=false) unless this server is a demo"
                )
            );
            jail.set_env("APP_PLAYGROUND__ENABLED", "false");
            assert_eq!(
                load(jail, Profile::Production)
                    .unwrap()
                    .playground_warning(),
                None
            );
            Ok(())
        });
    }

    #[test]
    fn errors_name_the_key_and_the_file_it_came_from() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[server]\nport = 1",
                "[cookies]\nsame_site = \"loose\"",
            );
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration:\n  cookies.same_site: unknown value \"loose\"; expected one of \"strict\", \"lax\", \"none\" (in "), "{e}");
            assert!(e.ends_with("config/development.toml)"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn errors_name_the_environment_variable_they_came_from() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_SERVER__PORT", "eighty");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  server.port: invalid type: found string \"eighty\", expected u16 (from APP_SERVER__PORT)"
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused_naming_the_key() {
        Jail::expect_with(|jail| {
            files(jail, "[server]\nprot = 1", "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(
                e.starts_with("invalid configuration:\n  server.prot: unknown key \"prot\"; expected one of \"host\", \"port\", \"workers\", \"keep_alive\", \"client_request_timeout\", \"client_disconnect_timeout\", \"max_connections\", \"backlog\" (in "),
                "{e}"
            );
            assert!(e.ends_with("config/default.toml)"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn policy_errors_name_the_exact_key() {
        Jail::expect_with(|jail| {
            files(jail, "", "[cookies.overrides.theme]\npath = \"app\"");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration:\n  cookies.overrides.theme.path: a path must start with '/', got \"app\" (R5) (in "), "{e}");
            assert!(e.ends_with("config/development.toml)"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn production_refuses_insecure_cookies_unless_opted_out() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[cookies]\nsecure = true\n[cookies.overrides.theme]\nsecure = false",
                "",
            );
            jail.set_env("APP_KEYS__CURRENT", KEY);
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert!(e.starts_with("the production profile refuses cookies without Secure (cookies.overrides.theme.secure = false in "), "{e}");
            jail.set_env("APP_COOKIES__SECURE", "false");
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert!(
                e.contains("cookies.secure = false from APP_COOKIES__SECURE, "),
                "{e}"
            );
            jail.set_env("APP_COOKIES__ALLOW_INSECURE_IN_PRODUCTION", "true");
            assert!(load(jail, Profile::Production).is_ok());
            Ok(())
        });
    }

    #[test]
    fn a_file_that_does_not_parse_is_named() {
        Jail::expect_with(|jail| {
            files(jail, "", "[cookies\nsecure = false");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            let file = jail.directory().join("config/development.toml");
            assert_eq!(
                e,
                format!(
                    "invalid configuration:\n  {}: TOML parse error at line 1, column 9: invalid table header; expected `.`, `]` (the line is not printed, as it may hold a key)",
                    file.display()
                )
            );
            Ok(())
        });
    }

    #[test]
    fn too_many_workers_are_refused_instead_of_panicking() {
        Jail::expect_with(|jail| {
            files(jail, "[server]\nworkers = 513", "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration:\n  server.workers: 513 is more than the 512 workers the server can run (in "), "{e}");
            Ok(())
        });
    }

    #[test]
    fn server_timeouts_and_queue_out_of_range_are_refused_naming_each() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[server]\nkeep_alive = 3601\nclient_request_timeout = 0",
                "",
            );
            jail.set_env("APP_SERVER__CLIENT_DISCONNECT_TIMEOUT", "100000");
            jail.set_env("APP_SERVER__BACKLOG", "70000");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            let dir = jail.directory().join("config/default.toml");
            assert_eq!(
                e,
                format!(
                    "invalid configuration:\n  server.keep_alive: 3601 is outside 0 to 3600 (in {0})\n  server.client_request_timeout: 0 is outside 1 to 3600 (in {0})\n  server.client_disconnect_timeout: 100000 is outside 1 to 3600 (from APP_SERVER__CLIENT_DISCONNECT_TIMEOUT)\n  server.backlog: 70000 is outside 1 to 65535 (from APP_SERVER__BACKLOG)",
                    dir.display()
                )
            );
            Ok(())
        });
    }

    #[test]
    fn server_limits_default_to_the_documented_values() {
        let s = ServerSettings::default();
        assert_eq!(
            (
                s.keep_alive,
                s.client_request_timeout,
                s.client_disconnect_timeout,
                s.max_connections.get(),
                s.backlog.get()
            ),
            (5, 5, 1, 25_000, 1024)
        );
    }

    #[test]
    fn production_refuses_to_explain_violations_in_bodies() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_COOKIES__EXPLAIN_VIOLATIONS", "true");
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  cookies.explain_violations: the production profile keeps error bodies generic (the log has the detail); remove explain_violations = true (from APP_COOKIES__EXPLAIN_VIOLATIONS)"
            );
            assert!(load(jail, Profile::Development).is_ok());
            Ok(())
        });
    }

    #[test]
    fn load_files_ignores_the_environment() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_SERVER__PORT", "1234");
            let dir = jail.directory().join("config");
            assert_eq!(
                Settings::load_files(&dir, Profile::Development)
                    .unwrap()
                    .server
                    .port,
                8080
            );
            assert_eq!(
                Settings::load_from(&dir, Profile::Development)
                    .unwrap()
                    .server
                    .port,
                1234
            );
            Ok(())
        });
    }

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const OTHER_KEY: &str = "8PHy8/T19vf4+fr7/P3+/+Dh4uPk5ebn6Onq6+zt7u8=";

    #[test]
    fn production_refuses_protected_cookies_without_a_key_in_one_line() {
        Jail::expect_with(|jail| {
            files(
                jail,
                "[cookies.overrides.session]\nprotection = \"private\"",
                "",
            );
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "the production profile needs a key for protected cookies (session, sid): set APP_KEYS__CURRENT (or keys.current) to the output of `cookie-policy keygen`"
            );
            let dev = load(jail, Profile::Development).unwrap();
            assert!(
                dev.cookies.keys().is_some_and(|k| k.is_ephemeral()),
                "development makes up a key"
            );
            jail.set_env("APP_KEYS__CURRENT", KEY);
            let prod = load(jail, Profile::Production).unwrap();
            assert!(prod.cookies.keys().is_some_and(|k| !k.is_ephemeral()));
            Ok(())
        });
    }

    #[test]
    fn short_or_malformed_keys_are_refused_naming_the_key() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_KEYS__CURRENT", "c2hvcnQ=");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.current: is 5 bytes; a key needs at least 32 random bytes; generate one with `cookie-policy keygen` (from APP_KEYS__CURRENT)"
            );
            jail.set_env("APP_KEYS__CURRENT", KEY);
            jail.set_env("APP_KEYS__PREVIOUS", "[\"not base64!\"]");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.previous[0]: is not base64; generate one with `cookie-policy keygen` (from APP_KEYS__PREVIOUS)"
            );
            Ok(())
        });
    }

    #[test]
    fn metrics_are_off_by_default_and_bound_to_loopback_when_on() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_KEYS__CURRENT", KEY);
            let s = load(jail, Profile::Production).unwrap();
            assert_eq!(
                (s.metrics.enabled, s.metrics.host.as_str(), s.metrics.port),
                (false, "127.0.0.1", 9090)
            );
            jail.set_env("APP_METRICS__ENABLED", "true");
            jail.set_env("APP_METRICS__PORT", "70000");
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  metrics.port: invalid value unsigned int `70000`, expected u16 (from APP_METRICS__PORT)"
            );
            Ok(())
        });
    }

    #[test]
    fn metrics_on_the_public_listener_are_refused_naming_the_key() {
        Jail::expect_with(|jail| {
            files(jail, "[server]\nport = 8080\nhost = \"127.0.0.1\"", "");
            jail.set_env("APP_METRICS__PORT", "8080");
            // Off, the listener is not opened: nothing to clash.
            assert!(load(jail, Profile::Development).is_ok());
            jail.set_env("APP_METRICS__ENABLED", "true");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  metrics.port: 8080 on 127.0.0.1 is the public listener (server.port on 127.0.0.1); the counters are served on a listener of their own: choose another port (from APP_METRICS__PORT)"
            );
            jail.set_env("APP_METRICS__HOST", "0.0.0.0");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  metrics.port: 8080 on 0.0.0.0 is the public listener (server.port on 127.0.0.1); the counters are served on a listener of their own: choose another port (from APP_METRICS__PORT)"
            );
            // Another address, or another port, is another listener.
            jail.set_env("APP_METRICS__HOST", "127.0.0.2");
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!(
                (s.metrics.host.as_str(), s.metrics.port),
                ("127.0.0.2", 8080)
            );
            jail.set_env("APP_METRICS__HOST", "127.0.0.1");
            jail.set_env("APP_METRICS__PORT", "9091");
            assert!(load(jail, Profile::Development).is_ok());
            // Port 0 picks a free port for each.
            jail.set_env("APP_SERVER__PORT", "0");
            jail.set_env("APP_METRICS__PORT", "0");
            assert!(load(jail, Profile::Development).is_ok());
            Ok(())
        });
    }

    #[test]
    fn a_key_file_gives_the_current_key_then_the_previous_ones() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.create_file(
                "keys",
                &format!("# the current key first\n{KEY}\n\n  {OTHER_KEY}  \n"),
            )?;
            jail.set_env("APP_KEYS__FILE", "keys");
            let s = load(jail, Profile::Production).unwrap();
            let ring = s.cookies.keys().expect("a ring");
            assert!(!ring.is_ephemeral());
            assert_eq!(ring.previous_count(), 1);
            assert_eq!(s.keys.file.as_deref(), Some(Path::new("keys")));
            // Only the file's name is printed, never what it holds.
            let json = serde_json::to_string(&s.keys).unwrap();
            assert_eq!(
                json,
                r#"{"current":null,"previous":[],"context":"","file":"keys"}"#
            );
            Ok(())
        });
    }

    #[test]
    fn a_key_file_that_fails_a_check_is_named_with_its_line_never_its_keys() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_KEYS__FILE", "keys");
            let cases = [
                (
                    format!("{KEY}\n# retired\nc2hvcnQ=\n"),
                    "keys.file: keys line 3: is 5 bytes; a key needs at least 32 random bytes; generate one with `cookie-policy keygen` (from APP_KEYS__FILE)",
                ),
                (
                    format!("{KEY}\n{KEY}\n"),
                    "keys.file: keys line 2: is the same key as line 1; list each key once (from APP_KEYS__FILE)",
                ),
                (
                    "# nothing yet\n\n".to_owned(),
                    "keys.file: keys: holds no key; write one base64 key a line, the current one first; generate one with `cookie-policy keygen` (from APP_KEYS__FILE)",
                ),
            ];
            for (contents, expected) in cases {
                jail.create_file("keys", &contents)?;
                let e = load(jail, Profile::Development).unwrap_err().to_string();
                assert_eq!(e, format!("invalid configuration:\n  {expected}"));
                assert!(!e.contains(KEY));
            }
            std::fs::remove_file(jail.directory().join("keys")).unwrap();
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.file: cannot read keys: No such file or directory (os error 2) (from APP_KEYS__FILE)"
            );
            let zeros = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
            jail.create_file("keys", &format!("{KEY}\n{zeros}\n"))?;
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.file: keys line 2: is one byte repeated, not random; use 32 random bytes, base64-encoded; generate one with `cookie-policy keygen` (from APP_KEYS__FILE)"
            );
            let dev = load(jail, Profile::Development).unwrap();
            assert_eq!(
                dev.key_warnings(),
                [
                    "keys.file: keys line 2: is one byte repeated, not random; use 32 random bytes, base64-encoded; the production profile refuses such a key"
                ]
            );
            Ok(())
        });
    }

    #[test]
    fn a_key_file_and_inline_keys_together_are_refused() {
        Jail::expect_with(|jail| {
            files(jail, "[keys]\nfile = \"keys\"", "");
            jail.create_file("keys", KEY)?;
            jail.set_env("APP_KEYS__CURRENT", OTHER_KEY);
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            let default = jail.directory().join("config/default.toml");
            assert_eq!(
                e,
                format!(
                    "invalid configuration:\n  keys.file: give the keys in the file or as keys.current and keys.previous, not both (in {}; keys.current from APP_KEYS__CURRENT)",
                    default.display()
                )
            );
            jail.clear_env();
            jail.set_env("APP_KEYS__PREVIOUS", OTHER_KEY);
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "invalid configuration:\n  keys.file: the previous keys go in the file, after the current one (in {}; keys.previous from APP_KEYS__PREVIOUS)",
                    default.display()
                )
            );
            Ok(())
        });
    }

    #[test]
    fn keys_that_are_not_random_are_refused_in_production_and_warned_of_in_development() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            let zeros = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
            jail.set_env("APP_KEYS__CURRENT", zeros);
            let e = load(jail, Profile::Production).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.current: is one byte repeated, not random; use 32 random bytes, base64-encoded; generate one with `cookie-policy keygen` (from APP_KEYS__CURRENT)"
            );
            let dev = load(jail, Profile::Development).unwrap();
            assert_eq!(
                dev.key_warnings(),
                [
                    "keys.current: is one byte repeated, not random; use 32 random bytes, base64-encoded; the production profile refuses such a key"
                ]
            );
            // A key listed twice: a new key is not the remedy.
            jail.set_env("APP_KEYS__CURRENT", KEY);
            jail.set_env("APP_KEYS__PREVIOUS", KEY);
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  keys.previous[0]: is the same key as current; list each key once (from APP_KEYS__PREVIOUS)"
            );
            Ok(())
        });
    }

    #[test]
    fn the_application_context_goes_into_the_key_ring() {
        Jail::expect_with(|jail| {
            files(jail, "[keys]\ncontext = \"shop\"", "");
            jail.set_env("APP_KEYS__CURRENT", KEY);
            let s = load(jail, Profile::Production).unwrap();
            assert_eq!(
                s.cookies.keys().as_deref().map(KeyRing::context),
                Some("shop")
            );
            assert_eq!(s.keys.context, "shop");
            Ok(())
        });
    }

    #[test]
    fn keys_are_never_printed() {
        Jail::expect_with(|jail| {
            files(
                jail,
                &format!("[keys]\ncurrent = \"{KEY}\"\nprevious = [\"{OTHER_KEY}\"]"),
                "",
            );
            let s = load(jail, Profile::Development).unwrap();
            let json = serde_json::to_string(&s.keys).unwrap();
            assert_eq!(
                json,
                r#"{"current":"<redacted>","previous":["<redacted>"],"context":"","file":null}"#
            );
            assert!(!format!("{s:?}").contains(KEY));
            assert!(!format!("{s:?}").contains(OTHER_KEY));
            Ok(())
        });
    }

    #[test]
    fn one_previous_key_alone_is_a_list_of_one() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_KEYS__CURRENT", OTHER_KEY);
            jail.set_env("APP_KEYS__PREVIOUS", KEY);
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!(s.keys.previous, [KEY]);
            Ok(())
        });
        Jail::expect_with(|jail| {
            files(
                jail,
                &format!("[keys]\ncurrent = \"{OTHER_KEY}\"\nprevious = \"{KEY}\""),
                "",
            );
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!(s.keys.previous, [KEY]);
            Ok(())
        });
    }

    #[test]
    fn a_misshapen_key_is_named_never_printed() {
        let cases = [
            (
                "APP_KEYS__CURRENT",
                format!("[\"{KEY}\"]"),
                "keys.current: expected a key, found a list (the value is not printed); set it to a key from `cookie-policy keygen` (from APP_KEYS__CURRENT)",
            ),
            (
                "APP_KEYS__PREVIOUS",
                format!("{{ old = \"{KEY}\" }}"),
                "keys.previous: expected a key or a list of keys, found a table (the value is not printed); set it to the retired key, or a list of them, newest first (from APP_KEYS__PREVIOUS)",
            ),
            (
                "APP_KEYS__PREVIOUS",
                format!("[\"{KEY}\", [\"{KEY}\"]]"),
                "keys.previous.1: expected a key, found a list (the value is not printed); set it to a key from `cookie-policy keygen` (from APP_KEYS__PREVIOUS)",
            ),
            (
                "APP_KEYS",
                KEY.to_owned(),
                "keys: expected a table of `current`, `previous` or `file`, found a string (the value is not printed); set keys.current (APP_KEYS__CURRENT, two underscores) to a key from `cookie-policy keygen` (from APP_KEYS)",
            ),
        ];
        for (variable, value, message) in cases {
            Jail::expect_with(|jail| {
                files(jail, "", "");
                if variable != "APP_KEYS__CURRENT" && variable != "APP_KEYS" {
                    jail.set_env("APP_KEYS__CURRENT", KEY);
                }
                jail.set_env(variable, &value);
                let e = load(jail, Profile::Development).unwrap_err().to_string();
                assert_eq!(e, format!("invalid configuration:\n  {message}"));
                Ok(())
            });
        }
    }

    #[test]
    fn a_syntax_error_on_a_key_line_names_the_line_without_printing_it() {
        Jail::expect_with(|jail| {
            files(jail, &format!("[keys]\ncurrent = \"{KEY}\n"), "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            let file = jail.directory().join("config/default.toml");
            assert_eq!(
                e,
                format!(
                    "invalid configuration:\n  {}: TOML parse error at line 2, column 56: invalid basic string (the line is not printed, as it may hold a key)",
                    file.display()
                )
            );
            Ok(())
        });
    }

    #[test]
    fn sessions_default_to_the_cookie_store_for_a_day() {
        Jail::expect_with(|jail| {
            files(jail, "", "");
            let s = load(jail, Profile::Development).unwrap();
            assert_eq!(s.sessions, SessionSettings::default());
            assert_eq!(
                (s.sessions.store, s.sessions.redis_url, s.sessions.ttl),
                (SessionStoreKind::Cookie, None, 86_400)
            );
            Ok(())
        });
    }

    #[test]
    fn sessions_are_checked_against_the_session_cookie_naming_each_key() {
        Jail::expect_with(|jail| {
            files(jail, "[sessions]\nstore = \"redis\"\nttl = 3600", "");
            jail.set_env("APP_COOKIES__OVERRIDES__SID__PROTECTION", "signed");
            jail.set_env("APP_COOKIES__OVERRIDES__SID__PREFIX", "secure");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            let file = jail.directory().join("config/default.toml");
            assert_eq!(
                e,
                format!(
                    "invalid configuration:\n  sessions.redis_url: required with store = \"redis\", such as \"redis://127.0.0.1:6379\" (in {0})\n  cookies.overrides.sid.prefix: the session cookie must be \"host\", so that no other site or path can set it (from APP_COOKIES__OVERRIDES__SID__PREFIX)\n  cookies.overrides.sid.protection: the session cookie must be \"private\": the layer's encryption is all that protects it (from APP_COOKIES__OVERRIDES__SID__PROTECTION)\n  cookies.overrides.sid.max_age: must equal sessions.ttl (3600), so that the layer accepts the session cookie as long as the session lives (in {0})",
                    file.display()
                )
            );
            Ok(())
        });
        Jail::expect_with(|jail| {
            files(jail, "", "");
            jail.set_env("APP_SESSIONS__TTL", "0");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(
                e.starts_with("invalid configuration:\n  sessions.ttl: 0 is outside 1 to 34560000 (from APP_SESSIONS__TTL)\n"),
                "{e}"
            );
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_dir("config").unwrap();
            jail.create_file("config/default.toml", "").unwrap();
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  cookies.overrides.sid: the session cookie is not declared; declare it with prefix = \"host\", protection = \"private\" and max_age = sessions.ttl (see config/default.toml)"
            );
            Ok(())
        });
    }

    #[test]
    fn a_redis_password_is_never_printed() {
        Jail::expect_with(|jail| {
            files(jail, "[sessions]\nstore = \"redis\"", "");
            jail.set_env(
                "APP_SESSIONS__REDIS_URL",
                "redis://app:hunter2@127.0.0.1:6379/0",
            );
            let s = load(jail, Profile::Development).unwrap();
            let json = serde_json::to_string(&s.sessions).unwrap();
            assert_eq!(
                json,
                r#"{"store":"redis","redis_url":"redis://app:<redacted>@127.0.0.1:6379/0","ttl":86400}"#
            );
            assert!(!format!("{s:?}").contains("hunter2"));
            jail.set_env("APP_SESSIONS__REDIS_URL", "rediss:/app:hunter2@127.0.0.1");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert_eq!(
                e,
                "invalid configuration:\n  sessions.redis_url: is not a Redis URL (the value is not printed); use redis://host:port, or redis://user:password@host:port (from APP_SESSIONS__REDIS_URL)"
            );
            Ok(())
        });
    }

    #[test]
    fn zero_workers_is_refused() {
        Jail::expect_with(|jail| {
            files(jail, "[server]\nworkers = 0", "");
            let e = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(
                e.contains(
                    "server.workers: invalid value signed int `0`, expected a nonzero usize"
                ),
                "{e}"
            );
            Ok(())
        });
    }
}
