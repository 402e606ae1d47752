//! The HTTP server: `POST /v1/events` for ingest, `GET /healthz` and `GET /metrics`.
//!
//! `POST /v1/events` takes a JSON document, a JSON array or JSON lines, optionally gzip
//! compressed (`Content-Encoding: gzip`, or a body that starts with the gzip magic bytes). It
//! requires `Authorization: Bearer TOKEN`. A request may carry an `Idempotency-Key` header:
//! a resend with the same key within a day returns the first outcome, with `"duplicate": true`,
//! and is not ingested again, even across restarts. Responses:
//!
//! - 200 with `{"accepted", "late", "rejected", "errors", "duplicate"}` once the events are committed to
//!   the checkpoint store; records the normaliser rejects are counted there and dead-lettered;
//! - 400 when the body is empty, not JSON, or has a malformed record (nothing is ingested, and
//!   `errors` names each bad line);
//! - 401 without the right token (403 when no token is configured, since ingest is then off);
//! - 408 when the body does not arrive within `--body-read-timeout`;
//! - 413 when the body, as sent or decompressed, exceeds `--max-body`;
//! - 415 when `Content-Encoding` names a coding other than gzip, such as `br`;
//! - 429 with `Retry-After` when the pipeline queue is full;
//! - 503 while the service is shutting down.
//!
//! A connection is closed when a request's headers do not arrive within
//! `--header-read-timeout`, counted from when the server starts to wait for them. Hyper starts
//! that timer also while a kept-alive connection waits for its next request, so an idle
//! connection is closed after the same time.

use std::future::Future;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::metrics::{label, Metrics};
use super::pipeline::{Batch, Message, RawRecord};
use crate::input::{split_records, Record};

/// State shared by the handlers.
pub struct AppState {
    /// The bearer token, when ingest is on.
    pub token: Option<String>,
    /// Largest body, before and after decompression.
    pub max_body: usize,
    /// `--body-read-timeout`: how long reading a whole request body may take.
    pub body_read_timeout: Duration,
    /// The pipeline queue.
    pub tx: mpsc::Sender<Message>,
    /// Service metrics.
    pub metrics: Arc<Metrics>,
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the connections
/// still open to finish their requests.
///
/// This replaces `axum::serve`, which sets no timer, so that hyper's header read timeout
/// applies: a client that sends its headers slowly, or none at all, is disconnected after
/// `header_read_timeout`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    header_read_timeout: Duration,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    let timeout = Some(header_read_timeout).filter(|timeout| !timeout.is_zero());
    builder.timer(TokioTimer::new()).header_read_timeout(timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Most often too many open files; waiting lets connections close.
                    tracing::error!(error = %e, "accepting an HTTP connection failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let Err(e) = connection.await else { return };
            if e.is_timeout() {
                tracing::debug!(%peer, "HTTP connection closed: headers not received in time");
                metrics.add("dragnet_watch_http_timeouts_total", label("phase", "headers"), 1.0);
            } else {
                tracing::debug!(%peer, error = %e, "HTTP connection failed");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Builds the router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/events", post(ingest))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    if state.tx.is_closed() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping\n").into_response();
    }
    (StatusCode::OK, "ok\n").into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let queued = state.tx.max_capacity() - state.tx.capacity();
    state.metrics.set("dragnet_watch_queue_depth", String::new(), queued as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

fn error(status: StatusCode, message: &str, errors: Vec<String>) -> Response {
    (status, Json(json!({"error": message, "errors": errors}))).into_response()
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// The handler takes the body as a stream, not as `Bytes`, so that a request without the token
// is rejected from its headers before any of its body is buffered.
async fn ingest(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let response = ingest_inner(&state, &headers, body).await;
    let status = response.status().as_u16().to_string();
    state.metrics.add("dragnet_watch_http_requests_total", label("status", &status), 1.0);
    response
}

async fn ingest_inner(state: &AppState, headers: &HeaderMap, body: Body) -> Response {
    if let Some(response) = reject_unauthorized(state, headers) {
        return response;
    }
    let request_key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(key)) if !key.is_empty() && key.len() <= MAX_KEY_LENGTH => Some(key.to_owned()),
        Some(_) => {
            let message = format!(
                "invalid Idempotency-Key: it must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"
            );
            return error(StatusCode::BAD_REQUEST, &message, Vec::new());
        }
    };
    // A zero timeout turns the limit off.
    let limit = match state.body_read_timeout {
        timeout if timeout.is_zero() => Duration::MAX,
        timeout => timeout,
    };
    let gzip = match gzip_encoded(headers) {
        Ok(gzip) => gzip,
        Err(rejection) => {
            let mut response = error(rejection.status, &rejection.message, rejection.errors);
            // RFC 9110, section 12.5.3: a 415 for a content coding lists the ones accepted.
            let accepted = header::HeaderValue::from_static("gzip, identity");
            response.headers_mut().insert(header::ACCEPT_ENCODING, accepted);
            return response;
        }
    };
    let body = match tokio::time::timeout(limit, read_body(headers, body, state.max_body)).await {
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) => return error(rejection.status, &rejection.message, rejection.errors),
        Err(_) => {
            state.metrics.add("dragnet_watch_http_timeouts_total", label("phase", "body"), 1.0);
            tracing::warn!(
                timeout_ms = state.body_read_timeout.as_millis() as u64,
                "an ingest request body was not received within --body-read-timeout"
            );
            let message = format!(
                "the body was not received within --body-read-timeout ({} ms); send it faster, \
                 in smaller requests, or raise the timeout",
                state.body_read_timeout.as_millis()
            );
            return error(StatusCode::REQUEST_TIMEOUT, &message, Vec::new());
        }
    };
    let records = match tokio::task::spawn_blocking({
        let max = state.max_body;
        move || parse_body(&body, gzip, max)
    })
    .await
    {
        Ok(Ok(records)) => records,
        Ok(Err(rejection)) => return error(rejection.status, &rejection.message, rejection.errors),
        Err(e) => {
            tracing::error!(error = %e, "body parser task failed");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error", Vec::new());
        }
    };
    let count = records.len();
    let (ack, outcome) = oneshot::channel();
    let batch =
        Batch { input: "http".into(), records, position: None, ack: Some(ack), request_key };
    match state.tx.try_send(Message::Batch(batch)) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "the pipeline is full; retry later",
                Vec::new(),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return response;
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down", Vec::new());
        }
    }
    match outcome.await {
        Ok(outcome) => (StatusCode::OK, Json(outcome)).into_response(),
        Err(_) => {
            tracing::warn!(records = count, "ingest batch not committed before shutdown");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting down before the events were committed; resend them",
                Vec::new(),
            )
        }
    }
}

/// Returns the 401 or 403 response for a request without the right bearer token.
fn reject_unauthorized(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &state.token else {
        return Some(error(
            StatusCode::FORBIDDEN,
            "HTTP ingest is off: start watch with --token-file or DRAGNET_WATCH_TOKEN",
            Vec::new(),
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        None => Some(error(StatusCode::UNAUTHORIZED, "missing bearer token", Vec::new())),
        Some(presented) if !constant_time_eq(presented.trim().as_bytes(), token.as_bytes()) => {
            tracing::warn!("ingest request with a wrong bearer token rejected");
            Some(error(StatusCode::UNAUTHORIZED, "invalid bearer token", Vec::new()))
        }
        Some(_) => None,
    }
}

/// Returns whether `Content-Encoding` declares a gzip body, or a 415 rejection for any coding
/// other than `gzip`, `x-gzip` and `identity`, such as `br` or two codings applied in turn.
fn gzip_encoded(headers: &HeaderMap) -> Result<bool, Rejection> {
    let mut codings = Vec::new();
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let Ok(value) = value.to_str() else {
            let message = "invalid Content-Encoding: it is not visible ASCII";
            return Err(reject(StatusCode::UNSUPPORTED_MEDIA_TYPE, message, Vec::new()));
        };
        let listed = value.split(',').map(str::trim);
        codings.extend(listed.filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity")));
    }
    match codings.as_slice() {
        [] => Ok(false),
        [coding]
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") =>
        {
            Ok(true)
        }
        _ => {
            let message = format!(
                "unsupported Content-Encoding {:?}: send the body uncompressed or compressed \
                 once with gzip (Content-Encoding: gzip)",
                codings.join(", ")
            );
            tracing::warn!(content_encoding = %codings.join(", "), "ingest request with an unsupported Content-Encoding rejected");
            Err(reject(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message, Vec::new()))
        }
    }
}

/// Reads the whole body, or rejects it with 413 once it exceeds `max` bytes. A
/// `Content-Length` above `max` is rejected before any of the body is read.
async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> Result<Bytes, Rejection> {
    let too_large = || {
        reject(StatusCode::PAYLOAD_TOO_LARGE, &format!("the body exceeds {max} bytes"), Vec::new())
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, max).await.map_err(|e| {
        let over_limit = std::error::Error::source(&e)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if over_limit {
            too_large()
        } else {
            tracing::warn!(error = %e, "reading an ingest request body failed");
            reject(StatusCode::BAD_REQUEST, &format!("reading the body failed: {e}"), Vec::new())
        }
    })
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

/// The longest `Idempotency-Key` accepted.
const MAX_KEY_LENGTH: usize = 256;

/// Why a body cannot be ingested: the 4xx status, a message and per-record reasons.
#[derive(Debug)]
struct Rejection {
    status: StatusCode,
    message: String,
    errors: Vec<String>,
}

fn reject(status: StatusCode, message: &str, errors: Vec<String>) -> Rejection {
    Rejection { status, message: message.to_owned(), errors }
}

/// Decompresses and splits a body into records, or returns why it cannot be ingested.
fn parse_body(body: &[u8], gzip: bool, max: usize) -> Result<Vec<RawRecord>, Rejection> {
    let decompressed;
    let bytes = if gzip || body.starts_with(GZIP_MAGIC) {
        let mut out = Vec::new();
        let mut decoder = flate2::read::MultiGzDecoder::new(body).take(max as u64 + 1);
        if let Err(e) = decoder.read_to_end(&mut out) {
            return Err(reject(
                StatusCode::BAD_REQUEST,
                &format!("invalid gzip body: {e}"),
                Vec::new(),
            ));
        }
        if out.len() > max {
            return Err(reject(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the decompressed body exceeds {max} bytes"),
                Vec::new(),
            ));
        }
        decompressed = out;
        &decompressed[..]
    } else {
        body
    };
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(reject(StatusCode::BAD_REQUEST, "the body is empty", Vec::new())),
        Some(b'{') | Some(b'[') => {}
        Some(_) => {
            return Err(reject(
                StatusCode::BAD_REQUEST,
                "the body is not JSON: expected a JSON object, a JSON array or JSON lines",
                Vec::new(),
            ))
        }
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for record in split_records(bytes) {
        let at = match record.element {
            Some(index) => format!("line {}: [{index}]", record.line),
            None => format!("line {}", record.line),
        };
        match record.record {
            Ok(Record::Json(value)) => records.push(RawRecord {
                at: record.line as u64,
                element: record.element,
                value: Ok(value),
            }),
            Ok(Record::Csv(_)) => errors.push(format!("{at}: not JSON")),
            Err(reason) => errors.push(format!("{at}: {reason}")),
        }
    }
    if !errors.is_empty() {
        let message = format!("{} malformed record(s); nothing was ingested", errors.len());
        errors.truncate(20);
        return Err(reject(StatusCode::BAD_REQUEST, &message, errors));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn body_parsing_statuses() {
        assert_eq!(parse_body(b"", false, 100).err().unwrap().status, StatusCode::BAD_REQUEST);
        assert_eq!(parse_body(b"hello", false, 100).err().unwrap().status, StatusCode::BAD_REQUEST);
        assert_eq!(
            parse_body(b"{\"a\":1}\n{\"a\":\n", false, 100).err().unwrap().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(parse_body(b"{\"a\":1}\n{\"a\":2}\n", false, 100).ok().unwrap().len(), 2);
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&[b' '; 1000]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert_eq!(
            parse_body(&bomb, true, 100).err().unwrap().status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
