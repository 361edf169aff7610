//! Watching open connections: one task for all of them closes a connection
//! whose next request head is overdue, and at shutdown every connection is asked
//! to finish its request in flight and close.
//!
//! A connection tells its [`Signal`] when a request head has arrived and when
//! its answer is ready (two stores per request), and looks at it each time it
//! is polled (one load and a waker check). No timer is armed per connection or
//! per request, and no other future is polled alongside the connection's: on
//! the replay server's hot path, either costs more than the check itself.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use atomic_waker::AtomicWaker;
use hyper_util::server::graceful::GracefulConnection;
use tokio::sync::Notify;

/// What a connection is asked to do.
const RUN: u8 = 0;
/// Finish the request in flight, if any, and close (server shutdown).
const FINISH: u8 = 1;
/// Close now, without an answer (the request head is overdue).
const CLOSE: u8 = 2;

/// "Answering a request, not waiting for a head", in [`Signal::since`].
const ANSWERING: u64 = u64::MAX;

/// One connection's state, shared by the connection and the watcher.
#[derive(Debug)]
pub(crate) struct Signal {
    /// Its key in [`Watch::open`]'s map.
    id: u64,
    start: Instant,
    /// Nanoseconds from `start` to when the connection began waiting for a
    /// request head; [`ANSWERING`] while it is answering one.
    since: AtomicU64,
    ask: AtomicU8,
    waker: AtomicWaker,
}

impl Signal {
    fn new(id: u64) -> Self {
        Signal {
            id,
            start: Instant::now(),
            since: AtomicU64::new(0),
            ask: AtomicU8::new(RUN),
            waker: AtomicWaker::new(),
        }
    }

    /// A request head has arrived: the connection is not waiting for one.
    pub(crate) fn arrived(&self) {
        self.since.store(ANSWERING, Ordering::Relaxed);
    }

    /// The answer is ready: the connection waits for the next head from now.
    pub(crate) fn waiting(&self) {
        let nanos = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(ANSWERING - 1);
        self.since.store(nanos, Ordering::Relaxed);
    }

    /// Whether the connection has waited longer than `limit` for a head at `now`.
    fn overdue(&self, now: Instant, limit: Duration) -> bool {
        match self.since.load(Ordering::Relaxed) {
            ANSWERING => false,
            since => self.start + Duration::from_nanos(since) + limit <= now,
        }
    }

    fn ask(&self, what: u8) {
        if self.ask.fetch_max(what, Ordering::AcqRel) < what {
            self.waker.wake();
        }
    }
}

/// Every open connection of one server.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    open: Mutex<HashMap<u64, Arc<Signal>>>,
    next_id: AtomicU64,
    /// Notified when the last open connection closes.
    emptied: Notify,
}

impl Watch {
    /// A new connection's signal, watched from now on.
    pub(crate) fn open(&self) -> Arc<Signal> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let signal = Arc::new(Signal::new(id));
        self.lock().insert(id, signal.clone());
        signal
    }

    /// Serves `conn`, whose signal is `signal` (from [`Watch::open`]), until it
    /// ends, is overdue or is told to finish.
    pub(crate) fn serve<C>(self: &Arc<Self>, conn: C, signal: Arc<Signal>) -> Watched<C> {
        Watched {
            conn: Box::pin(conn),
            signal,
            finishing: false,
            watch: self.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Signal>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes, every `limit / 8` (at least 5 ms, at most 1 s), the connections
    /// that have waited longer than `limit` for a request head: a head is cut
    /// off after `limit`, give or take that tick. Runs until dropped.
    pub(crate) async fn expire(self: Arc<Self>, limit: Duration) {
        let tick = (limit / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = Instant::now();
            for signal in self.lock().values() {
                if signal.overdue(now, limit) {
                    signal.ask(CLOSE);
                }
            }
        }
    }

    /// Asks every open connection to finish the request in flight and close;
    /// completes once none is open.
    pub(crate) async fn finish_all(&self) {
        loop {
            let emptied = self.emptied.notified();
            tokio::pin!(emptied);
            emptied.as_mut().enable();
            {
                let open = self.lock();
                if open.is_empty() {
                    return;
                }
                for signal in open.values() {
                    signal.ask(FINISH);
                }
            }
            emptied.await;
        }
    }

    fn closed(&self, id: u64) {
        let mut open = self.lock();
        open.remove(&id);
        if open.is_empty() {
            self.emptied.notify_waiters();
        }
    }
}

/// A connection that obeys its [`Signal`]; completes when the connection ends
/// or must close (dropping it closes the socket).
pub(crate) struct Watched<C> {
    conn: Pin<Box<C>>,
    signal: Arc<Signal>,
    finishing: bool,
    watch: Arc<Watch>,
}

/// How a watched connection ended.
#[derive(Debug)]
pub(crate) enum Ended<E> {
    /// It closed, or finished at shutdown.
    Done(Result<(), E>),
    /// Its request head was overdue: closed without an answer.
    Overdue,
}

impl<C: GracefulConnection> Future for Watched<C> {
    type Output = Ended<C::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.signal.waker.register(cx.waker());
        match this.signal.ask.load(Ordering::Acquire) {
            CLOSE => return Poll::Ready(Ended::Overdue),
            FINISH if !this.finishing => {
                this.finishing = true;
                this.conn.as_mut().graceful_shutdown();
            }
            _ => {}
        }
        this.conn.as_mut().poll(cx).map(Ended::Done)
    }
}

impl<C> Drop for Watched<C> {
    fn drop(&mut self) {
        self.watch.closed(self.signal.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_overdue_only_while_waiting_for_a_head() {
        let signal = Signal::new(0);
        let limit = Duration::from_secs(10);
        let later = signal.start + Duration::from_secs(11);
        assert!(signal.overdue(later, limit), "waiting since it opened");
        signal.arrived();
        assert!(!signal.overdue(later + limit, limit), "answering");
        signal.waiting();
        assert!(!signal.overdue(Instant::now(), limit));
        assert!(signal.overdue(Instant::now() + limit, limit));
    }

    #[test]
    fn asking_only_escalates() {
        let signal = Signal::new(0);
        signal.ask(CLOSE);
        signal.ask(FINISH);
        assert_eq!(signal.ask.load(Ordering::Relaxed), CLOSE);
    }
}
