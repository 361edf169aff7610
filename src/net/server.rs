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
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::watch::{Ended, Signal, Watch};

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

/// One connection's state, shared by its requests.
struct Connection<H> {
    handler: Arc<H>,
    signal: Arc<Signal>,
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
    let watch = Arc::new(Watch::default());
    let timeout = limits.header_read_timeout;
    let expiry = tokio::spawn(watch.clone().expire(timeout));
    let mut builder = http1::Builder::new();
    // No hyper timer: its header read timeout arms and cancels a timer for every
    // request, which costs a tenth of a small request's time. The `Watch` keeps
    // the same limit with one task for all connections.
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
        // What the connection's requests share. Each request holds the
        // connection's own `Arc`, not the handler's: that count is written by
        // one connection only, while the handler's is shared by all of them.
        let conn_state = Arc::new(Connection {
            handler: handler.clone(),
            signal: watch.open(),
        });
        let signal = conn_state.signal.clone();
        let service = service_fn(move |req| {
            conn_state.signal.arrived();
            let conn_state = conn_state.clone();
            async move {
                let response = conn_state.handler.handle(req, peer).await;
                conn_state.signal.waiting();
                Ok::<_, Infallible>(response)
            }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let watched = watch.serve(conn, signal);
        tokio::spawn(async move {
            match watched.await {
                Ended::Done(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                Ended::Done(Ok(())) => {}
                Ended::Overdue => {
                    // Like hyper's own header read timeout: the connection is
                    // closed without an answer.
                    tracing::debug!(%peer, "closing a connection whose request head took longer than {timeout:?}");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.drain_timeout, watch.finish_all())
        .await
        .is_ok();
    expiry.abort();
    if !drained {
        tracing::warn!("some connections were still open after the drain timeout");
    }
    Served { drained }
}
