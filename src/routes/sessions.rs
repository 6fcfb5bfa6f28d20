//! Login sessions: `GET /session/login?user=NAME` signs in (in a fresh
//! session, with a new id), `GET /session/me` says who is signed in, and
//! `GET /session/logout` ends the session. The store is `[sessions]`'s.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use actix_cookie_policy::ErrorBody;

use crate::sessions::{Sessions, session_step};
use crate::settings::SESSION_COOKIE_ON_WIRE;

/// The longest user name, in bytes.
pub const MAX_USER_BYTES: usize = 64;

/// The session key that holds the signed-in user.
const USER: &str = "user";

/// Registers `/session/*`, behind actix-session and the session step; the
/// other routes never touch the store, so they keep serving while it is down.
pub fn configure(cfg: &mut web::ServiceConfig, sessions: &Sessions) {
    cfg.service(
        web::scope("/session")
            .route("/login", web::get().to(login))
            .route("/me", web::get().to(me))
            .route("/logout", web::get().to(logout))
            .wrap(sessions.middleware())
            .wrap(from_fn(session_step)),
    );
}

/// Why the `user` query parameter was refused: the error's kind and message.
type InvalidUser = (&'static str, String);

fn invalid_user(kind: &'static str, msg: &str) -> InvalidUser {
    (kind, msg.to_owned())
}

/// The `user` parameter, checked: 1 to 64 bytes of `[A-Za-z0-9_.-]`. The
/// last one counts when the query repeats it.
fn user_from(query: &str) -> Result<String, InvalidUser> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| invalid_user("invalid", &format!("the query does not parse: {e}")))?;
    let Some((_, user)) = pairs.into_iter().rfind(|(k, _)| k == USER) else {
        return Err(invalid_user("missing", "Field required"));
    };
    if user.is_empty() {
        return Err(invalid_user(
            "string_too_short",
            "String should have at least 1 character",
        ));
    }
    if user.len() > MAX_USER_BYTES {
        return Err(invalid_user(
            "string_too_long",
            "String should have at most 64 bytes",
        ));
    }
    if !user
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(invalid_user(
            "string_pattern_mismatch",
            "String should match pattern '^[A-Za-z0-9_.-]+$'",
        ));
    }
    Ok(user)
}

/// Signs `user` in, in a fresh session with a new id: whatever session the
/// client came with (one an attacker may have planted) is not carried over.
async fn login(req: HttpRequest, session: Session) -> Result<HttpResponse, actix_web::Error> {
    let user = match user_from(req.query_string()) {
        Ok(user) => user,
        Err((kind, msg)) => {
            return Ok(ErrorBody::one(kind, &["query", "user"], msg)
                .respond(StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    session.clear();
    session.insert(USER, &user)?;
    session.renew();
    Ok(HttpResponse::Ok().json(json!({ "message": format!("Logged in as {user}") })))
}

/// The signed-in user, or 401.
async fn me(session: Session) -> HttpResponse {
    match session.get::<String>(USER).ok().flatten() {
        Some(user) => HttpResponse::Ok().json(json!({ "user": user })),
        None => ErrorBody::one(
            "not_logged_in",
            &["cookie", SESSION_COOKIE_ON_WIRE],
            "no session is signed in; sign in at /session/login?user=NAME",
        )
        .respond(StatusCode::UNAUTHORIZED),
    }
}

/// Ends the session: its cookie is removed and, with Redis, its state deleted.
async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::Ok().json(json!({ "message": "Logged out" }))
}
