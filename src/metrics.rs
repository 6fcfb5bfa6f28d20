//! The layer's counters (the `metrics` facade) as Prometheus text at
//! `GET /metrics`, on a listener of its own that `[metrics]` places, so
//! that the public port never serves them.

use std::sync::Mutex;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpResponse, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::routes;
use crate::sessions::SESSION_STORE_UNAVAILABLE;

/// The media type of Prometheus' text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The process's Prometheus recorder: installed as the `metrics` facade's
/// recorder the first time it is asked for, with each counter described
/// (its `# HELP` line), the same one after that. Only counters are
/// recorded, so it needs none of the upkeep that histograms do.
pub fn recorder() -> Result<PrometheusHandle, String> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut installed = HANDLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("cannot record metrics: {e}"))?;
    actix_cookie_policy::describe_metrics();
    metrics::describe_counter!(
        SESSION_STORE_UNAVAILABLE,
        "Requests to /session/* answered 503 because the session store failed or did not answer in time."
    );
    *installed = Some(handle.clone());
    Ok(handle)
}

/// The app of the metrics listener: `GET /metrics`, and 404 for the rest.
pub fn app(
    handle: PrometheusHandle,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(handle))
        .route("/metrics", web::get().to(render))
        .default_service(web::to(routes::not_found))
}

/// Every counter so far, in Prometheus' text format.
async fn render(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(handle.render())
}
