//! The match index: every fixture's response prepared once at start-up, found by
//! its canonical request key in one hash lookup, whatever the corpus size (or,
//! quicker, by the recorded body's value: see [`Index::find_value`]).
//!
//! Fixtures with the same key form a sequence, served in `sequence` order; each
//! sequence has a cursor that advances per request and can be reset.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

use crate::contract::validate::{validate, Validation};
use crate::fixture::set::SequenceEnd;
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Fixture, Headers, Provenance, RequestKey};

/// Headers that are never part of the contract: replay regenerates them.
pub const VOLATILE_HEADERS: [&str; 6] = [
    "date",
    "x-amzn-requestid",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// A fixture ready to serve.
#[derive(Debug)]
pub struct Prepared {
    /// The fixture's identity (id, scenario, sequence, expected violations) and its
    /// request, which near misses are computed from. What serving does not need is
    /// dropped once the fixture is prepared, so that a corpus of 10,000 fixtures
    /// stays small: the response (served from `status`, `headers` and `body`
    /// instead), the provenance, the description and the variables.
    pub fixture: Arc<Fixture>,
    /// Where the fixture came from, for error messages.
    pub origin: String,
    pub status: StatusCode,
    /// Recorded response headers, without the volatile ones. Fixtures with the same
    /// headers share one map.
    pub headers: Arc<HeaderMap>,
    pub body: Bytes,
    /// `headers` plus a placeholder `x-amzn-requestid` as the last entry: a response
    /// clones it and overwrites the placeholder in place, without growing the map.
    template: Arc<HeaderMap>,
}

impl Prepared {
    /// The response headers to send: the recorded ones, then `x-amzn-requestid`.
    pub fn response_headers(&self, request_id: HeaderValue) -> HeaderMap {
        let mut headers = HeaderMap::clone(&self.template);
        headers.insert(REQUEST_ID, request_id);
        headers
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// One request key's fixtures, in sequence order.
#[derive(Debug)]
struct Group {
    entries: Vec<Arc<Prepared>>,
    cursor: AtomicUsize,
    end: SequenceEnd,
    /// The model's validation of the recorded request body (`None` when it is not
    /// JSON). Every request with this key has the same canonical body, so the same
    /// validation: the server need not run it again.
    validation: Option<Validation>,
}

/// The fixtures of one request key, found by [`Index::find`].
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    group: &'a Group,
}

impl<'a> Found<'a> {
    /// The first fixture of the sequence, without advancing it.
    pub fn first(&self) -> &'a Arc<Prepared> {
        &self.group.entries[0]
    }

    /// The model's validation of every request body with this key (see
    /// [`crate::contract::validate`]); `None` when the recorded body is not JSON.
    pub fn validation(&self) -> Option<&'a Validation> {
        self.group.validation.as_ref()
    }

    /// The fixture to answer with; advances the sequence.
    pub fn take(&self) -> Lookup {
        let group = self.group;
        let len = group.entries.len();
        if len == 1 {
            return Lookup::Hit {
                prepared: group.entries[0].clone(),
                position: 1,
                len,
            };
        }
        let i = group.cursor.fetch_add(1, Ordering::Relaxed);
        match (i < len, group.end) {
            (true, _) => Lookup::Hit {
                prepared: group.entries[i].clone(),
                position: i + 1,
                len,
            },
            (false, SequenceEnd::RepeatLast) => Lookup::Hit {
                prepared: group.entries[len - 1].clone(),
                position: len,
                len,
            },
            (false, SequenceEnd::Error) => Lookup::Exhausted {
                len,
                last: group.entries[len - 1].clone(),
            },
        }
    }
}

/// A hasher for request keys, which are long (method, path, target and body) and
/// looked up once per request: eight bytes a step instead of SipHash's one. The
/// keys in the map all come from fixtures, so a client cannot flood it with
/// colliding keys; a lookup costs one probe whatever the client sends.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl KeyHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // murmur3's fmix64, so that the high bits hashbrown uses are mixed too.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

type KeyMap<V> = HashMap<RequestKey, V, BuildHasherDefault<KeyHasher>>;

/// What a lookup found.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A fixture; `position` is 1-based within its sequence of `len`.
    Hit {
        prepared: Arc<Prepared>,
        position: usize,
        len: usize,
    },
    /// The key has a sequence, but it is used up and the set's policy is `error`.
    Exhausted { len: usize, last: Arc<Prepared> },
    /// No fixture has this key.
    Miss,
}

/// Why an index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{origin}: response header '{name}' cannot be served: {reason}")]
    Header {
        origin: String,
        name: String,
        reason: String,
    },
    #[error("{origin}: status {status} is not a valid HTTP status")]
    Status { origin: String, status: u16 },
    #[error("{origin}: {message}")]
    Body { origin: String, message: String },
    #[error("{first} and {second} have the same request but {reason}; give them distinct `sequence` numbers 1..n in one set (tapedeck lint explains)")]
    Sequence {
        first: String,
        second: String,
        reason: String,
    },
}

/// All fixtures, by request key.
#[derive(Debug, Default)]
pub struct Index {
    groups: Vec<Group>,
    /// Group by canonical request key.
    by_key: KeyMap<usize>,
    /// Group by [`value_hash`] of a recorded request, for [`Index::find_value`].
    by_value: HashMap<u64, Vec<Recorded>, BuildHasherDefault<KeyHasher>>,
    all: Vec<Arc<Prepared>>,
}

impl Index {
    /// Prepares every fixture. `end_of` gives each fixture set's sequence policy.
    pub fn build(
        fixtures: Vec<LoadedFixture>,
        end_of: impl Fn(&str) -> SequenceEnd,
    ) -> Result<Index, IndexError> {
        let mut policies: HashMap<String, SequenceEnd> = HashMap::new();
        for loaded in &fixtures {
            if !policies.contains_key(&loaded.set) {
                policies.insert(loaded.set.clone(), end_of(&loaded.set));
            }
        }
        // The index is built on a thread of its own, which glibc gives a malloc
        // arena of its own: what the index keeps (fresh copies of what serving
        // needs) is laid out compactly there. That thread frees nothing of the main
        // heap, or its allocations would reuse it; it hands what loading allocated
        // (file texts, full parses) back to this thread, which frees it meanwhile.
        // The main heap is then nearly empty, and is handed back to the system.
        let (leftovers, handed_back) = std::sync::mpsc::channel::<Leftover>();
        let built = std::thread::scope(|scope| {
            let builder = scope.spawn(move || Index::prepare_all(fixtures, &policies, &leftovers));
            for leftover in handed_back {
                drop(leftover);
            }
            builder.join()
        });
        let index = match built {
            Ok(index) => index,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        release_free_memory();
        index
    }

    fn prepare_all(
        fixtures: Vec<LoadedFixture>,
        policies: &HashMap<String, SequenceEnd>,
        leftovers: &std::sync::mpsc::Sender<Leftover>,
    ) -> Result<Index, IndexError> {
        let mut groups: KeyMap<Vec<(&str, Arc<Prepared>)>> = KeyMap::default();
        let mut all = Vec::with_capacity(fixtures.len());
        let mut shared = SharedHeaders::default();
        for loaded in fixtures {
            let key = RequestKey::of(&loaded.fixture);
            let (set, _) = policies
                .get_key_value(&loaded.set)
                .expect("every set has a policy");
            let prepared = Arc::new(prepare(loaded, &mut shared, leftovers)?);
            all.push(prepared.clone());
            groups.entry(key).or_default().push((set, prepared));
        }
        let mut built = Vec::with_capacity(groups.len());
        let mut by_key = KeyMap::with_capacity_and_hasher(groups.len(), Default::default());
        let mut by_value: HashMap<u64, Vec<Recorded>, _> = HashMap::default();
        for (key, mut entries) in groups {
            check_sequence(&entries)?;
            entries.sort_by_key(|(_, p)| p.fixture.sequence.unwrap_or(1));
            let end = policies[entries[0].0];
            let validation = entries[0]
                .1
                .fixture
                .request
                .body
                .json()
                .map(|v| validate(&v));
            let at = built.len();
            for (_, p) in &entries {
                let request = &p.fixture.request;
                if let Some(body) = &request.body.body {
                    let target = p.fixture.request_header("x-amz-target").unwrap_or_default();
                    let hash = value_hash(&request.method, &request.path, target, body);
                    by_value.entry(hash).or_default().push(Recorded {
                        group: at,
                        target: target.into(),
                        prepared: p.clone(),
                    });
                }
            }
            built.push(Group {
                entries: entries.into_iter().map(|(_, p)| p).collect(),
                cursor: AtomicUsize::new(0),
                end,
                validation,
            });
            by_key.insert(key, at);
        }
        Ok(Index {
            groups: built,
            by_key,
            by_value,
            all,
        })
    }

    /// The fixtures recorded for a request key, if any.
    pub fn find(&self, key: &RequestKey) -> Option<Found<'_>> {
        self.by_key.get(key).map(|&at| Found {
            group: &self.groups[at],
        })
    }

    /// The fixtures of a request whose JSON body equals (as a value: key order
    /// aside) the body of a recorded one, with the same method, path and target:
    /// what [`Index::find`] gives for the request's canonical key, found without
    /// building the key. `None` when no recorded body equals this one, which
    /// does not mean there is no match: `1.0` and `1` are different values with
    /// one canonical form, for one; ask [`Index::find`] then.
    pub fn find_value(
        &self,
        method: &str,
        path: &str,
        target: &str,
        body: &Value,
    ) -> Option<Found<'_>> {
        let candidates = self.by_value.get(&value_hash(method, path, target, body))?;
        candidates
            .iter()
            .find(|r| {
                let request = &r.prepared.fixture.request;
                request.method == method
                    && request.path == path
                    && &*r.target == target
                    && request
                        .body
                        .body
                        .as_ref()
                        .is_some_and(|b| same_value(b, body))
            })
            .map(|r| Found {
                group: &self.groups[r.group],
            })
    }

    /// Finds the fixture for a request and advances its sequence.
    pub fn lookup(&self, key: &RequestKey) -> Lookup {
        self.find(key).map_or(Lookup::Miss, |found| found.take())
    }

    /// The first fixture with this key, without advancing its sequence.
    pub fn peek(&self, key: &RequestKey) -> Option<&Arc<Prepared>> {
        self.find(key).map(|found| found.first())
    }

    /// Rewinds every sequence to its first response.
    pub fn reset(&self) {
        for g in &self.groups {
            g.cursor.store(0, Ordering::Relaxed);
        }
    }

    /// Every fixture, in load order.
    pub fn fixtures(&self) -> &[Arc<Prepared>] {
        &self.all
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

/// A group of one is fine. A bigger group must come from one set and carry
/// distinct sequence numbers.
fn check_sequence(entries: &[(&str, Arc<Prepared>)]) -> Result<(), IndexError> {
    if entries.len() < 2 {
        return Ok(());
    }
    let (set0, first) = &entries[0];
    let mut seen = std::collections::HashSet::new();
    for (set, p) in entries {
        let reason = if set != set0 {
            Some("they come from different fixture sets".to_owned())
        } else {
            match p.fixture.sequence {
                None => Some("one has no sequence number".to_owned()),
                Some(n) if !seen.insert(n) => Some(format!("both are sequence {n}")),
                Some(_) => None,
            }
        };
        if let Some(reason) = reason {
            let second = if Arc::ptr_eq(p, first) {
                &entries[1].1
            } else {
                p
            };
            return Err(IndexError::Sequence {
                first: first.origin.clone(),
                second: second.origin.clone(),
                reason,
            });
        }
    }
    Ok(())
}

/// A recorded request in [`Index::find_value`]'s map.
#[derive(Debug)]
struct Recorded {
    group: usize,
    /// Its `x-amz-target` ("" when it has none).
    target: Box<str>,
    prepared: Arc<Prepared>,
}

/// `a == b`, quicker when objects list their members in the same order (as a
/// client sending a recorded body again does): compared pairwise, without looking
/// each member up.
fn same_value(a: &Value, b: &Value) -> bool {
    if let (Value::Object(x), Value::Object(y)) = (a, b) {
        if x.len() == y.len() && x.keys().zip(y.keys()).all(|(kx, ky)| kx == ky) {
            return x
                .values()
                .zip(y.values())
                .all(|(vx, vy)| same_value(vx, vy));
        }
    }
    a == b
}

/// A hash of a request's method, path, target and JSON body that agrees with
/// `Value`'s equality: object members are combined in any order. Equal values hash
/// alike; values that are only canonically equal (`1` and `1.0`) may not.
fn value_hash(method: &str, path: &str, target: &str, body: &Value) -> u64 {
    let mut h = KeyHasher::default();
    h.write(method.as_bytes());
    h.write_usize(path.len());
    h.write(path.as_bytes());
    h.write_usize(target.len());
    h.write(target.as_bytes());
    h.write_u64(hash_json(body));
    h.finish()
}

fn hash_json(v: &Value) -> u64 {
    let mut h = KeyHasher::default();
    match v {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => h.write_u8(1 + u8::from(*b)),
        Value::Number(n) => {
            h.write_u8(3);
            if let Some(u) = n.as_u64() {
                h.write_u64(u);
            } else if let Some(i) = n.as_i64() {
                h.write_u64(i as u64 ^ 0x8000_0000_0000_0000);
            } else if let Some(f) = n.as_f64() {
                h.write_u64(f.to_bits());
            }
        }
        Value::String(s) => {
            h.write_u8(4);
            h.write_usize(s.len());
            h.write(s.as_bytes());
        }
        Value::Array(items) => {
            h.write_u8(5);
            h.write_usize(items.len());
            for item in items {
                h.write_u64(hash_json(item));
            }
        }
        Value::Object(map) => {
            h.write_u8(6);
            h.write_usize(map.len());
            // Members in any order: a sum of per-member hashes.
            let mut sum = 0u64;
            for (k, item) in map {
                let mut m = KeyHasher::default();
                m.write_usize(k.len());
                m.write(k.as_bytes());
                m.write_u64(hash_json(item));
                sum = sum.wrapping_add(m.finish());
            }
            h.write_u64(sum);
        }
    }
    h.finish()
}

/// Response header maps already built, by their recorded headers: a corpus of
/// thousands of fixtures has a handful of distinct header sets.
#[derive(Default)]
struct SharedHeaders {
    built: HashMap<u64, Vec<SharedHeaderSet>>,
}

/// Recorded headers, the map served for them, and its template.
type SharedHeaderSet = (Headers, Arc<HeaderMap>, Arc<HeaderMap>);

impl SharedHeaders {
    /// The served headers of a fixture, and their template with `x-amzn-requestid`.
    fn of(
        &mut self,
        fixture: &Fixture,
        origin: &str,
    ) -> Result<(Arc<HeaderMap>, Arc<HeaderMap>), IndexError> {
        let recorded = &fixture.response.headers;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for (name, value) in recorded {
            name.hash(&mut hasher);
            for v in value.values() {
                v.hash(&mut hasher);
            }
        }
        let same = self.built.entry(hasher.finish()).or_default();
        if let Some((_, headers, template)) = same.iter().find(|(h, _, _)| h == recorded) {
            return Ok((headers.clone(), template.clone()));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in recorded {
            if VOLATILE_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let header_err = |reason: String| IndexError::Header {
                origin: origin.to_owned(),
                name: name.clone(),
                reason,
            };
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|e| header_err(e.to_string()))?;
            for v in value.values() {
                let v = HeaderValue::from_str(v).map_err(|e| header_err(e.to_string()))?;
                headers.append(name.clone(), v);
            }
        }
        let mut template = headers.clone();
        template.insert(REQUEST_ID, HeaderValue::from_static("-"));
        let (headers, template) = (Arc::new(headers), Arc::new(template));
        same.push((recorded.clone(), headers.clone(), template.clone()));
        Ok((headers, template))
    }
}

/// What loading allocated for a fixture and the index does not keep; freed by
/// [`Index::build`] on its own thread.
#[allow(dead_code)] // held only to be dropped later
struct Leftover {
    set: String,
    origin: String,
    text: String,
    fixture: Fixture,
    aside: Aside,
}

/// The parts of a fixture that serving does not need.
#[allow(dead_code)] // held only to be dropped later
struct Aside {
    provenance: Provenance,
    description: String,
    variables: std::collections::BTreeMap<String, String>,
    response_headers: Headers,
    response_body: crate::fixture::BodyFields,
}

/// Hands memory freed after loading back to the operating system. Without it,
/// glibc keeps the freed pages of the main heap resident: everything allocated
/// after them keeps the heap from shrinking.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim(3) only releases free heap pages; it takes no pointers,
        // is thread-safe, and has no preconditions.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Prepares one fixture: copies what serving needs (its identity and request, the
/// response status, headers and body) and hands the rest to `leftovers`.
fn prepare(
    loaded: LoadedFixture,
    shared: &mut SharedHeaders,
    leftovers: &std::sync::mpsc::Sender<Leftover>,
) -> Result<Prepared, IndexError> {
    let LoadedFixture {
        origin,
        set,
        text,
        mut fixture,
    } = loaded;
    let status = StatusCode::from_u16(fixture.response.status).map_err(|_| IndexError::Status {
        origin: origin.clone(),
        status: fixture.response.status,
    })?;
    let (headers, template) = shared.of(&fixture, &origin)?;
    let body = fixture
        .response
        .body
        .bytes()
        .map_err(|e| IndexError::Body {
            origin: origin.clone(),
            message: format!("response.body_base64: {e}"),
        })?
        .into_owned();
    // Serving needs the request side and the identity only (see `Prepared::fixture`):
    // the rest is moved aside, and what remains is copied.
    let aside = Aside {
        provenance: std::mem::replace(
            &mut fixture.provenance,
            Provenance::Authored { basis: Vec::new() },
        ),
        description: std::mem::take(&mut fixture.description),
        variables: std::mem::take(&mut fixture.variables),
        response_headers: std::mem::take(&mut fixture.response.headers),
        response_body: std::mem::take(&mut fixture.response.body),
    };
    let kept = Prepared {
        fixture: Arc::new(fixture.clone()),
        origin: origin.as_str().to_owned(),
        status,
        headers,
        body: Bytes::from(body),
        template,
    };
    // Only fails once `Index::build` has stopped listening, when freeing here is fine.
    let _ = leftovers.send(Leftover {
        set,
        origin,
        text,
        fixture,
        aside,
    });
    Ok(kept)
}
