//! Login sessions for `/session/*`: actix-session behind the cookie policy
//! layer, as `docs/sessions.md` has it. The layer encrypts the session
//! cookie (declared `sid`, sent as `__Host-sid`); actix-session gets a fixed,
//! public key; a decoding step between them sends actix-session's value as
//! the layer reads it back. The store is the setting's: the cookie itself, or
//! Redis through a pool that reconnects on its own.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::PersistentSession;
use actix_session::storage::{
    CookieSessionStore, LoadError, RedisSessionStore, SaveError, SessionKey, SessionStore,
    UpdateError,
};
use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Key, time};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;

use actix_cookie_policy::{ErrorBody, decode_value};

use crate::settings::{SESSION_COOKIE, SESSION_COOKIE_ON_WIRE, SessionSettings, SessionStoreKind};

/// How long one operation on the store may take before the request answers
/// 503: a Redis that accepts connections but does not answer must not hold
/// requests for ever.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// The sessions of the server, shared by every worker: the store the
/// settings chose, and the sessions' lifetime.
#[derive(Clone)]
pub struct Sessions {
    store: Store,
    ttl: u32,
}

#[derive(Clone)]
enum Store {
    Cookie,
    Redis(RedisSessionStore),
}

impl Sessions {
    /// The sessions `settings` describe. Nothing connects yet: a Redis that
    /// is down at start-up makes `/session/*` answer 503 until it is up.
    /// Fails only on a Redis URL that does not parse.
    pub fn new(settings: &SessionSettings) -> Result<Self, String> {
        let store = match (settings.store, settings.redis_url.as_deref()) {
            (SessionStoreKind::Cookie, _) => Store::Cookie,
            (SessionStoreKind::Redis, None) => {
                return Err("sessions.redis_url: required with store = \"redis\"".to_owned());
            }
            (SessionStoreKind::Redis, Some(url)) => Store::Redis(redis_store(url)?),
        };
        Ok(Self {
            store,
            ttl: settings.ttl,
        })
    }

    /// actix-session for one worker, as the recipe configures it: the
    /// declared plain name `sid`, a persistent session of `ttl` seconds
    /// (the cookie's `max_age`), and the public key.
    pub fn middleware(&self) -> SessionMiddleware<impl SessionStore + 'static> {
        SessionMiddleware::builder(self.store.clone(), public_session_key())
            .cookie_name(SESSION_COOKIE.to_owned())
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(time::Duration::seconds(i64::from(self.ttl))),
            )
            .build()
    }
}

/// A pool of Redis connections: a connection that Redis dropped (a restart)
/// fails its check when next taken and is replaced, so the store reconnects
/// by itself; while Redis is down, taking one fails at once (connection
/// refused) or after the pool's timeouts.
fn redis_store(url: &str) -> Result<RedisSessionStore, String> {
    let mut config = deadpool_redis::Config::from_url(url);
    config.pool = Some(deadpool_redis::PoolConfig {
        timeouts: deadpool_redis::Timeouts {
            wait: Some(STORE_TIMEOUT),
            create: Some(STORE_TIMEOUT),
            recycle: Some(STORE_TIMEOUT),
        },
        ..Default::default()
    });
    let pool = config
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .map_err(|e| format!("sessions.redis_url: {e}"))?;
    let store = RedisSessionStore::builder_pooled(pool).build();
    // Building a pooled store connects to nothing: it only wraps the pool.
    futures_ready(store).map_err(|e| format!("sessions.redis_url: {e}"))
}

/// The value of a future that is ready at once, without a runtime.
fn futures_ready<T>(future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => Err(anyhow::anyhow!("the store did not build at once")),
    }
}

/// actix-session's own key. Not a secret: the layer encrypts the cookie
/// with the key ring, and a value that does not open never reaches
/// actix-session. Never use it without the layer in front.
fn public_session_key() -> Key {
    Key::from(&[0; 64])
}

/// A store operation, refused after [`STORE_TIMEOUT`].
async fn bounded<T, E>(
    operation: impl Future<Output = Result<T, E>>,
    timed_out: impl FnOnce(anyhow::Error) -> E,
) -> Result<T, E> {
    match actix_web::rt::time::timeout(STORE_TIMEOUT, operation).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(anyhow::anyhow!(
            "the session store did not answer within {} s",
            STORE_TIMEOUT.as_secs()
        ))),
    }
}

impl SessionStore for Store {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        match self {
            Store::Cookie => CookieSessionStore::default().load(session_key).await,
            Store::Redis(redis) => bounded(redis.load(session_key), LoadError::Other).await,
        }
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &time::Duration,
    ) -> Result<SessionKey, SaveError> {
        match self {
            Store::Cookie => CookieSessionStore::default().save(session_state, ttl).await,
            Store::Redis(redis) => bounded(redis.save(session_state, ttl), SaveError::Other).await,
        }
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &time::Duration,
    ) -> Result<SessionKey, UpdateError> {
        match self {
            Store::Cookie => {
                (CookieSessionStore::default())
                    .update(session_key, session_state, ttl)
                    .await
            }
            Store::Redis(redis) => {
                bounded(
                    redis.update(session_key, session_state, ttl),
                    UpdateError::Other,
                )
                .await
            }
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &time::Duration,
    ) -> anyhow::Result<()> {
        match self {
            Store::Cookie => {
                CookieSessionStore::default()
                    .update_ttl(session_key, ttl)
                    .await
            }
            Store::Redis(redis) => bounded(redis.update_ttl(session_key, ttl), |e| e).await,
        }
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        match self {
            Store::Cookie => CookieSessionStore::default().delete(session_key).await,
            Store::Redis(redis) => bounded(redis.delete(session_key), |e| e).await,
        }
    }
}

/// Between the layer and actix-session, around `/session/*`:
///
/// - actix-session writes its cookie's value percent-encoded and reads it
///   back percent-decoded, while the layer hands the app exactly the bytes
///   the client sent (R19). Its value is base64, already cookie-octets once
///   decoded, so it is sent decoded and reads back as written.
/// - actix-session fails a request (an empty 500) when its store fails:
///   that answers 503 `session_store_unavailable`, and the log has why.
pub async fn session_step(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request = req.request().clone();
    let mut res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            log::error!("session store: {e}");
            let body = ErrorBody::one(
                "session_store_unavailable",
                &["cookie", SESSION_COOKIE_ON_WIRE],
                "the session store is unavailable; try again later",
            );
            return Ok(ServiceResponse::new(
                request,
                body.respond(StatusCode::SERVICE_UNAVAILABLE),
            ));
        }
    };
    let headers = res.headers_mut();
    let written: Vec<HeaderValue> = headers.get_all(SET_COOKIE).cloned().collect();
    headers.remove(SET_COOKIE);
    for header in written {
        headers.append(SET_COOKIE, unencoded_base64(header));
    }
    Ok(res)
}

/// A `Set-Cookie` whose value percent-decodes to base64, with that value
/// decoded; any other header as it is.
fn unencoded_base64(header: HeaderValue) -> HeaderValue {
    let text = header.to_str().unwrap_or_default();
    let (pair, attributes) = text.split_at(text.find(';').unwrap_or(text.len()));
    let Some((name, value)) = pair.split_once('=') else {
        return header;
    };
    match decode_value(value) {
        Some(plain)
            if plain != value
                && plain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) =>
        {
            HeaderValue::try_from(format!("{name}={plain}{attributes}")).unwrap_or(header)
        }
        _ => header,
    }
}
