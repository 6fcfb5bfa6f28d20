//! The server's routes, one file per group.

pub mod health;
pub mod playground;
pub mod preferences;
pub mod seed;

use actix_web::{HttpResponse, web};

/// Registers every route of the server.
pub fn configure(cfg: &mut web::ServiceConfig) {
    seed::configure(cfg);
    playground::configure(cfg);
    preferences::configure(cfg);
    health::configure(cfg);
}

/// The answer for a path no route serves, as FastAPI gives it.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "detail": "Not Found" }))
}
