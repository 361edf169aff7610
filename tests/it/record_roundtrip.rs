//! Round trip: recording what `tapedeck replay` serves gives back the reference
//! contract.
//!
//! `tapedeck replay` (the bundled reference set) is the upstream and
//! `tapedeck record --no-resign --keep-usernames` sits in front of it, both the
//! real binary on random ports. Every reference fixture's request goes through
//! the proxy, sequences in order (the replay server's sequences are rewound
//! with `POST /__tapedeck/reset` before each one). Then every reference fixture
//! must have a recorded twin: the same request key, the same sequence position,
//! and exactly the same response status, non-volatile headers and body bytes.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use tapedeck::fixture::{self, LoadedFixture};
use tapedeck::fixture::{Fixture, HeaderValue, RequestKey};
use tapedeck::lint;

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/admin-forget-device/reference"
);
/// Headers that are never part of the contract: replay regenerates them.
const VOLATILE: [&str; 4] = ["date", "x-amzn-requestid", "content-length", "connection"];
/// Upper bound for the whole round trip.
const BUDGET: Duration = Duration::from_secs(60);

use crate::support::process::Server;

/// The reference fixtures grouped by request key, each group in sequence order.
fn sequences(reference: &[LoadedFixture]) -> Vec<Vec<&Fixture>> {
    let mut groups: BTreeMap<RequestKey, Vec<&Fixture>> = BTreeMap::new();
    for l in reference {
        groups
            .entry(RequestKey::of(&l.fixture))
            .or_default()
            .push(&l.fixture);
    }
    let mut out: Vec<Vec<&Fixture>> = groups.into_values().collect();
    for group in &mut out {
        group.sort_by_key(|f| f.sequence.unwrap_or(1));
    }
    out.sort_by(|a, b| a[0].id.cmp(&b[0].id));
    out
}

/// Sends a fixture's request (method, path, headers, exact body bytes) to `url`.
async fn send_request(client: &support::HttpClient, url: &str, f: &Fixture) -> support::Answer {
    let headers: Vec<(&str, &str)> = f
        .request
        .headers
        .iter()
        .flat_map(|(name, value)| value.values().map(move |v| (name.as_str(), v)))
        .collect();
    let body = Bytes::from(f.request.body.bytes().expect("body decodes").into_owned());
    support::send(
        client,
        url,
        &f.request.method,
        &f.request.path,
        &headers,
        body,
    )
    .await
}

/// The response headers that belong to the contract.
fn stable_headers(f: &Fixture) -> BTreeMap<&str, &HeaderValue> {
    f.response
        .headers
        .iter()
        .filter(|(name, _)| !VOLATILE.contains(&name.as_str()))
        .map(|(n, v)| (n.as_str(), v))
        .collect()
}

fn body(f: &Fixture) -> Vec<u8> {
    f.response.body.bytes().expect("body decodes").into_owned()
}

/// Sends every reference request through the proxy, sequence by sequence.
async fn record_reference(replay: &Server, proxy: &Server, reference: &[LoadedFixture]) {
    let client = support::client();
    for group in sequences(reference) {
        let reset = support::send(
            &client,
            &replay.url,
            "POST",
            "/__tapedeck/reset",
            &[],
            Bytes::new(),
        )
        .await;
        assert_eq!(reset.status, 200, "reset: {:?}", reset.body);
        for f in group {
            let got = send_request(&client, &proxy.url, f).await;
            assert_eq!(
                (got.status.as_u16(), got.header("x-tapedeck-warning")),
                (f.response.status, None),
                "{} through the proxy: {:?}\nproxy log:\n{}",
                f.id,
                got.body,
                proxy.log()
            );
            assert_eq!(
                got.body.as_ref(),
                body(f).as_slice(),
                "{}: body through the proxy",
                f.id
            );
        }
    }
}

#[tokio::test]
async fn recording_replay_gives_back_the_reference_contract() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recorded");
    let reference = fixture::load_path(Path::new(REFERENCE)).expect("reference set loads");
    assert!(
        reference.len() >= 18,
        "{} reference fixtures",
        reference.len()
    );

    let replay = Server::start(
        &["replay", "--fixtures", REFERENCE],
        dir.path().join("replay.log"),
    );
    let out_arg = out.to_str().unwrap();
    let proxy = Server::start(
        &[
            "record",
            "--upstream",
            &replay.url,
            "--out",
            out_arg,
            "--no-resign",
            "--keep-usernames",
        ],
        dir.path().join("record.log"),
    );
    tokio::time::timeout(BUDGET, record_reference(&replay, &proxy, &reference))
        .await
        .expect("the round trip finishes in time");
    drop(proxy);

    let recorded: Vec<Fixture> = fixture::load_path(&out)
        .expect("recorded fixtures load")
        .into_iter()
        .map(|l| l.fixture)
        .collect();
    assert_eq!(
        recorded.len(),
        reference.len(),
        "one recorded fixture per reference fixture"
    );
    for expected in reference.iter().map(|l| &l.fixture) {
        let key = RequestKey::of(expected);
        let twins: Vec<&Fixture> = recorded
            .iter()
            .filter(|r| RequestKey::of(r) == key)
            .collect();
        let Some(got) = twins.iter().find(|r| r.sequence == expected.sequence) else {
            panic!(
                "{}: no recorded fixture with its request key and sequence {:?} (same key: {:?})",
                expected.id,
                expected.sequence,
                twins
                    .iter()
                    .map(|r| (&r.id, r.sequence))
                    .collect::<Vec<_>>()
            );
        };
        assert_eq!(
            got.response.status, expected.response.status,
            "{} vs {}",
            expected.id, got.id
        );
        assert_eq!(
            stable_headers(got),
            stable_headers(expected),
            "{} vs {}",
            expected.id,
            got.id
        );
        assert_eq!(
            String::from_utf8_lossy(&body(got)),
            String::from_utf8_lossy(&body(expected)),
            "{} vs {}",
            expected.id,
            got.id
        );
        assert_eq!(
            body(got),
            body(expected),
            "{} vs {}: body bytes",
            expected.id,
            got.id
        );
    }
    let report = lint::lint(fixture::read_path(&out).unwrap());
    assert!(report.is_clean(), "{:#?}", report.problems);
}
