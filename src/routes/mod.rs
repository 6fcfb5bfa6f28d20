//! The server's routes, one file per group.

pub mod health;
pub mod playground;
pub mod preferences;
pub mod seed;
pub mod sessions;

use actix_web::{HttpResponse, web};

use crate::sessions::Sessions;
use crate::settings::PlaygroundSettings;

/// Registers every route of the server. The playground's are left out
/// unless `settings` enable them, so that its paths are then unknown ones:
/// 404, exactly as any other. `/session/*` keeps its sessions in
/// `sessions`' store.
pub fn configure(cfg: &mut web::ServiceConfig, settings: PlaygroundSettings, sessions: &Sessions) {
    seed::configure(cfg);
    if settings.enabled {
        playground::configure(cfg);
    }
    preferences::configure(cfg);
    sessions::configure(cfg, sessions);
    health::configure(cfg);
}

/// The answer for a path no route serves, as FastAPI gives it.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "detail": "Not Found" }))
}
