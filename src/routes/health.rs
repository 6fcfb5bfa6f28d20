//! `GET /healthz`.

use actix_web::{HttpResponse, get, web};

/// Registers `/healthz`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz);
}

/// `{"status":"ok"}` while the server is serving.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
