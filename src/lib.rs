//! # cookie-policy
//!
//! The server of the FastAPI cookie guide's endpoints, every cookie going
//! through one typed cookie policy: the [`actix_cookie_policy`] library's
//! `CookiePolicyLayer`.
//!
//! - [`settings`] loads the layered configuration (`config/`, `APP_ENV`,
//!   `APP_*` variables) and validates the policy once;
//! - [`startup`] is the one app factory, used by the server and its tests,
//!   and the server around it;
//! - [`sessions`] puts actix-session behind the layer, with the store the
//!   settings choose;
//! - [`routes`] holds the endpoints, one file per group;
//! - [`metrics`] serves the layer's counters to Prometheus.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod metrics;
pub mod routes;
pub mod sessions;
pub mod settings;
pub mod startup;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
