//! Starting and stopping a replay server, used by `tapedeck replay` and by tests
//! that need a live server on a random port; and its routing: requests under
//! [`admin::PREFIX`] go to the admin API, everything else to the replay path.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use hyper::body::Incoming;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::admin;
use super::server::Replay;
use crate::net::{self, Handler, Limits, Served};

/// A replay server running in the background.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Served>,
}

impl Running {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, drains, and waits for the server to finish.
    pub async fn stop(mut self) -> Served {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.wait().await
    }

    /// Waits until the server stops by itself (`exit_after`, or `signal`).
    pub async fn wait(self) -> Served {
        self.task.await.expect("replay server task panicked")
    }
}

/// Serves `replay` on `listener` until `signal` completes, [`Running::stop`] is
/// called, or the server has answered its `exit_after` requests.
pub fn start(
    listener: TcpListener,
    replay: Arc<Replay>,
    limits: Limits,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let done = replay.clone();
        let shutdown = async move {
            tokio::select! {
                _ = signal => {}
                _ = stop_rx => {}
                _ = done.done.notified() => {}
            }
        };
        net::serve(listener, replay, limits, shutdown).await
    });
    Ok(Running {
        addr,
        stop: Some(stop_tx),
        task,
    })
}

impl Handler for Replay {
    async fn handle(
        &self,
        req: hyper::Request<Incoming>,
        _peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        if req.uri().path().starts_with(admin::PREFIX) {
            return admin::handle(self, req.method(), req.uri());
        }
        self.replay(req).await
    }
}
