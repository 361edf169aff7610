//! The accept loop shared by the replay server and the recording proxy.
//!
//! One task per connection, HTTP/1.1 with keep-alive. Limits: at most
//! `max_connections` open connections (accepting waits for a free slot), a header
//! read timeout against slow clients, and a cap on the header buffer. Shutdown is
//! graceful: stop accepting, let in-flight requests finish (bounded by
//! `drain_timeout`), then return.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Answers one request. Implemented by the replay server and the proxy.
pub trait Handler: Send + Sync + 'static {
    fn handle(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> impl Future<Output = Response<Full<Bytes>>> + Send;
}

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// Upper bound of the buffer that holds a request's head (request line and
    /// headers); a bigger head is refused with 431.
    pub max_header_bytes: usize,
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// The header read timeout of one connection: how long it has been waiting for
/// a request head. The clock starts when the connection is accepted and again
/// each time an answer is ready (the next head may then come), and stops when a
/// head has arrived and its request is being answered. Recording that is two
/// stores per request; the one timer of the connection ([`HeadWait::expired`])
/// only looks at it when it fires, and sets itself again if the connection has
/// made progress since.
struct HeadWait {
    start: Instant,
    /// Nanoseconds from `start` to when waiting began; [`ANSWERING`] while not
    /// waiting.
    since: AtomicU64,
}

const ANSWERING: u64 = u64::MAX;

impl HeadWait {
    fn new() -> Self {
        HeadWait {
            start: Instant::now(),
            since: AtomicU64::new(0),
        }
    }

    /// A request head has arrived.
    fn arrived(&self) {
        self.since.store(ANSWERING, Ordering::Relaxed);
    }

    /// The answer is ready: waiting for the next head from now.
    fn waiting(&self) {
        let nanos = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(ANSWERING - 1);
        self.since.store(nanos, Ordering::Relaxed);
    }

    /// Completes once the connection has waited `limit` for a request head.
    async fn expired(&self, limit: Duration) {
        let mut due = self.start + limit;
        loop {
            tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
            let now = Instant::now();
            due = match self.since.load(Ordering::Relaxed) {
                ANSWERING => now + limit,
                since => {
                    let due = self.start + Duration::from_nanos(since) + limit;
                    if due <= now {
                        return;
                    }
                    due
                }
            };
        }
    }
}

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// Whether every connection finished within the drain timeout.
    pub drained: bool,
}

/// Serves `handler` on `listener` until `shutdown` completes, then drains.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Served {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    // No hyper timer: its header read timeout arms and cancels a timer for every
    // request, which costs a tenth of a small request's time. `HeadWait` below
    // keeps the same limit with one timer per connection per timeout period.
    builder.max_buf_size(limits.max_header_bytes.max(8192));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = slots.clone().acquire_owned() => p.expect("semaphore never closes"),
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let head = Arc::new(HeadWait::new());
        let waits = head.clone();
        let service = service_fn(move |req| {
            waits.arrived();
            let handler = handler.clone();
            let waits = waits.clone();
            async move {
                let response = handler.handle(req, peer).await;
                waits.waiting();
                Ok::<_, Infallible>(response)
            }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        let timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            tokio::select! {
                ended = conn => {
                    if let Err(e) = ended {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                () = head.expired(timeout) => {
                    // Like hyper's own header read timeout: the connection is
                    // closed without an answer.
                    tracing::debug!(%peer, "closing a connection whose request head took longer than {timeout:?}");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_ok();
    if !drained {
        tracing::warn!("some connections were still open after the drain timeout");
    }
    Served { drained }
}
