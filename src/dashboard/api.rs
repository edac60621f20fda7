//! The JSON API the pages read: each route is a request of the control
//! protocol, answered by the same code as the control socket (so a row in
//! the browser is a row of `warren ps --json`); the event streams (the
//! samples, a live trace) are Server-Sent Events.

use super::metrics;
use super::server::AppState;
use crate::control::protocol::{ErrorKind, KillReason, Request, Response, SortKey};
use crate::control::respond::{MAX_TRACE_DURATION, MAX_TRACE_EVENTS, error, trace_line};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};
use warren_host::{TraceError, TraceEvent, TraceLimits};

/// Traces streamed at once (each holds a blocking thread while it runs).
pub const MAX_TRACES: usize = 8;
/// How often a trace with no events looks whether its page left.
const TRACE_POLL: Duration = Duration::from_millis(100);
/// How long `state` waits for a process's answer.
const STATE_TIMEOUT_MS: u64 = 2000;

/// Answers `request` off the async thread (a listing walks every process;
/// `state` waits for the process).
async fn answer(state: &AppState, request: Request) -> HttpResponse {
    let responder = state.responder.clone();
    let response = tokio::task::spawn_blocking(move || {
        if responder.shutting_down() {
            error(ErrorKind::ShuttingDown, &format!("node `{}` is shutting down", responder.name()))
        } else {
            responder.answer(request)
        }
    })
    .await
    .unwrap_or_else(|_| error(ErrorKind::Failed, "the request's task failed"));
    json(response)
}

/// A response as JSON, with the HTTP status its error kind means.
fn json(response: Response) -> HttpResponse {
    let status = match &response {
        Response::Error { kind, .. } => match kind {
            ErrorKind::BadRequest | ErrorKind::BadPid | ErrorKind::TooLong | ErrorKind::Version => {
                StatusCode::BAD_REQUEST
            }
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::ShuttingDown | ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Failed => StatusCode::INTERNAL_SERVER_ERROR,
        },
        _ => StatusCode::OK,
    };
    (status, Json(response)).into_response()
}

/// `GET /api/hello`: who the node is.
pub async fn hello(State(state): State<AppState>) -> HttpResponse {
    answer(&state, Request::Hello).await
}

/// The query of `GET /api/ps`.
#[derive(Deserialize)]
pub struct PsQuery {
    sort: Option<SortKey>,
    limit: Option<usize>,
}

/// `GET /api/ps?sort=memory|reductions|mailbox&limit=N`.
pub async fn ps(State(state): State<AppState>, Query(query): Query<PsQuery>) -> HttpResponse {
    answer(&state, Request::Ps { sort: query.sort, limit: query.limit }).await
}

/// The query of the routes about one process or table.
#[derive(Deserialize)]
pub struct TargetQuery {
    /// A pid, a registered name, or (tables) an id or a name.
    target: String,
    messages: Option<usize>,
    entries: Option<usize>,
}

/// `GET /api/info?target=T`.
pub async fn info(State(state): State<AppState>, Query(query): Query<TargetQuery>) -> HttpResponse {
    answer(&state, Request::Info { target: query.target, messages: query.messages.unwrap_or(10) }).await
}

/// `GET /api/state?target=T`: the state of an SDK behaviour.
pub async fn process_state(State(state): State<AppState>, Query(query): Query<TargetQuery>) -> HttpResponse {
    answer(&state, Request::State { target: query.target, timeout_ms: STATE_TIMEOUT_MS }).await
}

/// `GET /api/tree`.
pub async fn tree(State(state): State<AppState>) -> HttpResponse {
    answer(&state, Request::Tree).await
}

/// `GET /api/registered`.
pub async fn registered(State(state): State<AppState>) -> HttpResponse {
    answer(&state, Request::Registered).await
}

/// `GET /api/tables`.
pub async fn tables(State(state): State<AppState>) -> HttpResponse {
    answer(&state, Request::Tables).await
}

/// `GET /api/table?target=T`.
pub async fn table(State(state): State<AppState>, Query(query): Query<TargetQuery>) -> HttpResponse {
    answer(&state, Request::Table { target: query.target, entries: query.entries.unwrap_or(50) }).await
}

/// The body of `POST /api/kill`.
#[derive(Deserialize)]
pub struct KillBody {
    target: String,
    /// `kill` if none.
    reason: Option<KillReason>,
}

/// `POST /api/kill` (JSON: a page of another site cannot send it, since a
/// JSON body needs a CORS preflight we never grant).
pub async fn kill(State(state): State<AppState>, Json(body): Json<KillBody>) -> HttpResponse {
    answer(&state, Request::Kill { target: body.target, reason: body.reason.unwrap_or(KillReason::Kill) }).await
}

/// What `GET /api/history` answers.
#[derive(Serialize)]
struct History<'a> {
    interval_ms: u64,
    points: Vec<&'a super::sampler::Point>,
}

/// `GET /api/history`: the points of the last minutes.
pub async fn history(State(state): State<AppState>) -> HttpResponse {
    let interval_ms = super::sampler::INTERVAL.as_millis() as u64;
    let points = state.samples.history();
    Json(History { interval_ms, points: points.iter().map(|point| &**point).collect() }).into_response()
}

/// `GET /api/events`: a `sample` event each second.
pub async fn events(State(state): State<AppState>) -> HttpResponse {
    let updates = state.samples.subscribe();
    let stream = futures_util::stream::unfold(updates, |mut updates| async move {
        loop {
            match updates.recv().await {
                Ok(point) => {
                    let data = serde_json::to_string(&*point).unwrap_or_else(|_| "{}".into());
                    return Some((Ok::<_, Infallible>(Event::default().event("sample").data(data)), updates));
                }
                // A page that fell behind skips to the newest points.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// The query of `GET /api/trace`.
#[derive(Deserialize)]
pub struct TraceQuery {
    target: String,
    count: Option<u64>,
    duration_ms: Option<u64>,
}

/// The last event of a trace stream.
#[derive(Serialize)]
struct TraceEnd {
    events: u64,
    dropped: u64,
    why: &'static str,
}

/// `GET /api/trace?target=T&count=N&duration_ms=D`: a `trace` event per
/// event of the process (as `warren trace`), then an `end` event; the
/// trace is off again when it ends or the page leaves.
pub async fn trace(State(state): State<AppState>, Query(query): Query<TraceQuery>) -> HttpResponse {
    let pid = match state.responder.resolve(&query.target) {
        Ok(pid) => pid,
        Err(refusal) => return json(refusal.into()),
    };
    if state.traces.fetch_add(1, Ordering::SeqCst) >= MAX_TRACES {
        state.traces.fetch_sub(1, Ordering::SeqCst);
        return json(error(ErrorKind::Busy, &format!("{MAX_TRACES} traces are streaming already")));
    }
    let count = query.count.unwrap_or(1000).clamp(1, MAX_TRACE_EVENTS);
    let duration = Duration::from_millis(query.duration_ms.unwrap_or(600_000)).min(MAX_TRACE_DURATION);
    let trace = match state.responder.node().trace(pid, TraceLimits::events(count)) {
        Ok(trace) => trace,
        Err(failure) => {
            state.traces.fetch_sub(1, Ordering::SeqCst);
            let kind = if failure == TraceError::AlreadyTraced { ErrorKind::Failed } else { ErrorKind::NotFound };
            return json(error(kind, &format!("process {pid}: {failure}")));
        }
    };
    let (events, receiver) = mpsc::channel::<Event>(64);
    let responder = state.responder.clone();
    let traces = state.traces.clone();
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + duration;
        let mut seen = 0;
        let why = loop {
            if seen >= count {
                break "count reached";
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break "duration reached";
            }
            if responder.shutting_down() {
                break "node shutting down";
            }
            if events.is_closed() {
                break "page left";
            }
            let Some(record) = trace.recv_timeout(left.min(TRACE_POLL)) else { continue };
            seen += 1;
            let exited = matches!(record.event, TraceEvent::Exited { .. });
            if events.blocking_send(event("trace", &trace_line(&record))).is_err() {
                break "page left";
            }
            if exited {
                break "process exited";
            }
        };
        let end = TraceEnd { events: seen, dropped: trace.dropped(), why };
        drop(trace);
        traces.fetch_sub(1, Ordering::SeqCst);
        let _ = events.blocking_send(event("end", &end));
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|event| (Ok::<_, Infallible>(event), receiver))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

fn event<T: Serialize>(name: &str, data: &T) -> Event {
    Event::default().event(name).data(serde_json::to_string(data).unwrap_or_else(|_| "{}".into()))
}

/// `GET /metrics`: Prometheus text (see `metrics.rs`).
pub async fn metrics(State(state): State<AppState>) -> HttpResponse {
    let node = state.responder.node().clone();
    let Ok(sample) = tokio::task::spawn_blocking(move || crate::control::respond::stats(&node)).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the sample's task failed").into_response();
    };
    let latest = state.samples.latest();
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], metrics::render(&sample, latest.as_deref())).into_response()
}
