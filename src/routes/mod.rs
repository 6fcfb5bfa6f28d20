//! The server's routes, one file per group.

pub mod health;
pub mod playground;
pub mod preferences;
pub mod seed;

use actix_web::{HttpResponse, web};

use crate::settings::PlaygroundSettings;

/// Registers every route of the server. The playground's are left out
/// unless `settings` enable them, so that its paths are then unknown ones:
/// 404, exactly as any other.
pub fn configure(cfg: &mut web::ServiceConfig, settings: PlaygroundSettings) {
    seed::configure(cfg);
    if settings.enabled {
        playground::configure(cfg);
    }
    preferences::configure(cfg);
    health::configure(cfg);
}

/// The answer for a path no route serves, as FastAPI gives it.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "detail": "Not Found" }))
}
