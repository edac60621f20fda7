//! The dashboard's HTTP server: on a thread of its own with a one-thread
//! tokio runtime (the node's schedulers never run its work); the routes,
//! the access check in front of every one of them, and the pages' assets,
//! built into the binary (no network at run time, no CDN).

use super::access::{Access, Verdict};
use super::api;
use super::sampler::Samples;
use crate::control::respond::Responder;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");
/// Only our own assets, and our own API: nothing inline, nothing fetched
/// from elsewhere.
const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

/// What every handler reads.
#[derive(Clone)]
pub struct AppState {
    pub responder: Arc<Responder>,
    pub samples: Arc<Samples>,
    pub access: Arc<Access>,
    /// Traces streaming now (see [`api::MAX_TRACES`]).
    pub traces: Arc<AtomicUsize>,
}

impl AppState {
    /// The state of a dashboard of `responder`'s node.
    pub fn new(responder: Arc<Responder>, samples: Arc<Samples>, access: Access) -> AppState {
        AppState { responder, samples, access: Arc::new(access), traces: Arc::new(AtomicUsize::new(0)) }
    }
}

/// Serves `listener` on `runtime` until `stopped` fires.
pub fn serve(
    runtime: &tokio::runtime::Runtime,
    listener: std::net::TcpListener,
    state: AppState,
    stopped: tokio::sync::oneshot::Receiver<()>,
) {
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!(%error, "dashboard: cannot serve its listener");
                return;
            }
        };
        let served = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(error) = served.await {
            tracing::error!(%error, "dashboard: the server stopped");
        }
    });
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(|| asset("text/javascript; charset=utf-8", APP_JS)))
        .route("/style.css", get(|| asset("text/css; charset=utf-8", STYLE_CSS)))
        .route("/metrics", get(api::metrics))
        .route("/api/hello", get(api::hello))
        .route("/api/ps", get(api::ps))
        .route("/api/info", get(api::info))
        .route("/api/state", get(api::process_state))
        .route("/api/tree", get(api::tree))
        .route("/api/registered", get(api::registered))
        .route("/api/tables", get(api::tables))
        .route("/api/table", get(api::table))
        .route("/api/kill", post(api::kill))
        .route("/api/history", get(api::history))
        .route("/api/events", get(api::events))
        .route("/api/trace", get(api::trace))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML).await
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// The access check in front of every route (see `access.rs`).
async fn guard(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    match state.access.check(request.headers(), request.uri()) {
        Verdict::Allowed { set_cookie } => {
            let mut response = next.run(request).await;
            if set_cookie
                && let Some(cookie) = state.access.cookie_header().and_then(|c| HeaderValue::from_str(&c).ok())
            {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Verdict::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "401 Unauthorized: this dashboard needs its access token: open the URL `warren run` printed \
             (it ends in ?token=...), or send `Authorization: Bearer TOKEN`\n",
        )
            .into_response(),
        Verdict::ForeignHost => (
            StatusCode::FORBIDDEN,
            "403 Forbidden: this dashboard answers only under a loopback host name (127.0.0.1, localhost, [::1])\n",
        )
            .into_response(),
    }
}
