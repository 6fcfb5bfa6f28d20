//! Login sessions for `/session/*`: actix-session behind the cookie policy
//! layer, as `docs/sessions.md` has it. The layer encrypts the session
//! cookie (declared `sid`, sent as `__Host-sid`); actix-session gets a fixed,
//! public key; a decoding step between them sends actix-session's value as
//! the layer reads it back. The store is the setting's: the cookie itself, or
//! Redis through a pool that reconnects on its own.

use std::cell::Cell;
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
use actix_web::middleware::Next;

use actix_cookie_policy::{ErrorBody, unencode_base64_set_cookies};

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

tokio::task_local! {
    /// Set by [`session_step`] around each request of `/session/*`: whether
    /// the store failed while serving it.
    static STORE_FAILED: Cell<bool>;
}

/// A Redis operation, bounded by [`STORE_TIMEOUT`]. When it fails inside
/// [`session_step`], the failure is logged and recorded there and `standin`
/// stands for its result, so that actix-session carries on and the step
/// answers 503 with the request in hand (actix-session's own error for a
/// store failure is an empty 500 that the layer and the logs never see).
/// Outside the step, the error is returned as it is.
async fn guarded<T, E>(
    operation: impl Future<Output = Result<T, E>>,
    standin: impl FnOnce() -> Option<T>,
    into_error: impl FnOnce(anyhow::Error) -> E,
) -> Result<T, E>
where
    E: Into<anyhow::Error>,
{
    let error = match actix_web::rt::time::timeout(STORE_TIMEOUT, operation).await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(e)) => e,
        Err(_) => into_error(anyhow::anyhow!(
            "the session store did not answer within {} s",
            STORE_TIMEOUT.as_secs()
        )),
    };
    let recorded = STORE_FAILED.try_with(|failed| failed.set(true)).is_ok();
    match standin() {
        Some(value) if recorded => {
            // With its causes: actix-session's own messages name none.
            log::error!("session store: {:#}", error.into());
            Ok(value)
        }
        _ => Err(error),
    }
}

/// A session key that names no session: what a failed save stands in with.
/// The step replaces the response that would carry it.
fn no_key() -> Option<SessionKey> {
    SessionKey::try_from(String::from("unavailable")).ok()
}

impl SessionStore for Store {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        match self {
            Store::Cookie => CookieSessionStore::default().load(session_key).await,
            Store::Redis(redis) => {
                guarded(redis.load(session_key), || Some(None), LoadError::Other).await
            }
        }
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &time::Duration,
    ) -> Result<SessionKey, SaveError> {
        match self {
            Store::Cookie => CookieSessionStore::default().save(session_state, ttl).await,
            Store::Redis(redis) => {
                guarded(redis.save(session_state, ttl), no_key, SaveError::Other).await
            }
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
                guarded(
                    redis.update(session_key, session_state, ttl),
                    no_key,
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
            Store::Redis(redis) => {
                guarded(redis.update_ttl(session_key, ttl), || Some(()), |e| e).await
            }
        }
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        match self {
            Store::Cookie => CookieSessionStore::default().delete(session_key).await,
            Store::Redis(redis) => guarded(redis.delete(session_key), || Some(()), |e| e).await,
        }
    }
}

/// The counter of `/session/*` requests answered 503 because the store
/// failed.
pub const SESSION_STORE_UNAVAILABLE: &str = "cookie_policy_session_store_unavailable_total";

/// Between the layer and actix-session, around `/session/*`:
///
/// - actix-session writes its cookie's value percent-encoded and reads it
///   back percent-decoded, while the layer hands the app exactly the bytes
///   the client sent (R19). Its value is base64, already cookie-octets once
///   decoded, so it is sent decoded and reads back as written.
/// - When the store failed during the request, the answer is 503
///   `session_store_unavailable` instead of whatever the handler made of an
///   empty session, and sets no cookie.
pub async fn session_step(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (res, failed) = STORE_FAILED
        .scope(Cell::new(false), async move {
            let res = next.call(req).await;
            (res, STORE_FAILED.with(Cell::get))
        })
        .await;
    let mut res = res?.map_into_boxed_body();
    if failed {
        metrics::counter!(SESSION_STORE_UNAVAILABLE).increment(1);
        let body = ErrorBody::one(
            "session_store_unavailable",
            &["cookie", SESSION_COOKIE_ON_WIRE],
            "the session store is unavailable; try again later",
        );
        let (request, _) = res.into_parts();
        return Ok(ServiceResponse::new(
            request,
            body.respond(StatusCode::SERVICE_UNAVAILABLE),
        ));
    }
    unencode_base64_set_cookies(res.headers_mut());
    Ok(res)
}
