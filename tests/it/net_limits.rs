//! The server limits shared by replay and record: slow request heads time out,
//! oversized heads are refused, and the connection cap holds new connections back.

use crate::support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tapedeck::fixture::SequenceEnd;
use tapedeck::net::{self, Limits};
use tapedeck::replay::{self, Index, Replay, Running, Settings};

async fn start_with(limits: Limits) -> Running {
    let index = Index::build(support::reference(), |_| SequenceEnd::RepeatLast).unwrap();
    let replay = Arc::new(Replay::new(index, Settings::default()));
    let listener = net::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    replay::start(listener, replay, limits, std::future::pending()).unwrap()
}

fn health_request(addr: &str) -> String {
    format!("GET /__tapedeck/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_head_is_cut_off() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = start_with(limits).await;
    let addr = server.addr;
    let closed_after = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let started = Instant::now();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        (started.elapsed(), buf)
    })
    .await
    .unwrap();
    assert!(
        closed_after.0 < Duration::from_secs(5),
        "took {:?}",
        closed_after.0
    );
    let text = String::from_utf8_lossy(&closed_after.1);
    // hyper closes the connection without an answer once the head timer fires.
    assert!(text.is_empty(), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_request_head_is_refused() {
    let server = start_with(Limits::default()).await;
    let addr = server.addr;
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let big = "a".repeat(200 * 1024);
        let _ =
            s.write_all(format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n").as_bytes());
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_new_connections_until_one_closes() {
    let limits = Limits {
        max_connections: 1,
        ..Limits::default()
    };
    let server = start_with(limits).await;
    let addr = server.addr.to_string();
    let result = tokio::task::spawn_blocking(move || {
        // The first connection stays open (keep-alive) after its request.
        let mut first = TcpStream::connect(&addr).unwrap();
        first
            .write_all(
                format!("GET /__tapedeck/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
            )
            .unwrap();
        let mut buf = [0u8; 512];
        let n = first.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        // The second is accepted by the kernel but not served while the first is open.
        let mut second = TcpStream::connect(&addr).unwrap();
        second
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        second.write_all(health_request(&addr).as_bytes()).unwrap();
        let mut out = Vec::new();
        let held = second.read_to_end(&mut out).is_err() && out.is_empty();
        // Closing the first frees the slot; the second is then answered.
        drop(first);
        second
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = second.read_to_end(&mut out);
        (held, String::from_utf8_lossy(&out).into_owned())
    })
    .await
    .unwrap();
    assert!(
        result.0,
        "the second connection was served while the first held the only slot"
    );
    assert!(result.1.starts_with("HTTP/1.1 200"), "{}", result.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_head_timeout() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = start_with(limits).await;
    let addr = server.addr;
    let (answered, closed_after) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // Keep-alive: the connection stays open after the answer...
        s.write_all(format!("GET /__tapedeck/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .unwrap();
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).unwrap();
        let answered = String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200");
        // ...until no next request head comes within the limit.
        let started = Instant::now();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        (answered, started.elapsed())
    })
    .await
    .unwrap();
    assert!(answered);
    assert!(
        closed_after >= Duration::from_millis(250) && closed_after < Duration::from_secs(5),
        "closed after {closed_after:?}"
    );
}

/// A handler that takes its time, to have a request in flight at shutdown.
struct Slow;

impl net::Handler for Slow {
    async fn handle(
        &self,
        _req: hyper::Request<hyper::body::Incoming>,
        _peer: std::net::SocketAddr,
    ) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
        tokio::time::sleep(Duration::from_millis(400)).await;
        hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from_static(
            b"late",
        )))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_the_request_in_flight_and_closes_idle_connections() {
    let listener = net::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(net::serve(
        listener,
        Arc::new(Slow),
        Limits::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let clients = tokio::task::spawn_blocking(move || {
        // An idle keep-alive connection, open before the shutdown...
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // ...and one whose request is being answered when it comes.
        let mut busy = TcpStream::connect(addr).unwrap();
        busy.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        busy.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let _ = stop.send(());
        let mut answer = String::new();
        let _ = busy.read_to_string(&mut answer);
        let mut nothing = Vec::new();
        let idle_closed = idle.read_to_end(&mut nothing).is_ok() && nothing.is_empty();
        (answer, idle_closed)
    });
    let started = Instant::now();
    let (answer, idle_closed) = clients.await.unwrap();
    let served = tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("serve returns once drained")
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("late"),
        "{answer}"
    );
    assert!(idle_closed, "the idle connection was closed");
    assert!(served.drained);
    assert!(started.elapsed() < Duration::from_secs(5));
}
