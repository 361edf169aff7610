//! Preparing fixtures to serve: each response's status, headers and body made
//! ready once ([`Prepared`]), header maps shared between fixtures, and what
//! serving does not need handed back to be freed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::{IndexError, VOLATILE_HEADERS};
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Fixture, Headers, Provenance};
use crate::replay::bind::{Mentions, Slots};

/// A fixture ready to serve.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Its place in [`super::Index::fixtures`].
    pub(crate) number: usize,
    /// The fixture's identity (id, scenario, sequence, expected violations) and its
    /// request, which near misses are computed from. What serving does not need is
    /// dropped once the fixture is prepared, so that a corpus of 10,000 fixtures
    /// stays small: the response (served from `status`, `headers` and `body`
    /// instead), the provenance, the description and the variables.
    pub(crate) fixture: Arc<Fixture>,
    /// Where the fixture came from, for error messages.
    pub(crate) origin: String,
    pub(crate) status: StatusCode,
    /// Recorded response headers, without the volatile ones. Fixtures with the same
    /// headers share one map.
    pub(crate) headers: Arc<HeaderMap>,
    pub(crate) body: Bytes,
    /// `headers` plus a placeholder `x-amzn-requestid` as the last entry: a response
    /// clones it and overwrites the placeholder in place, without growing the map.
    template: Arc<HeaderMap>,
    /// Set when the recorded error type is not one the fixture's operation can
    /// answer with (its modelled errors and the common AWS errors): the
    /// `model/error-type` violation reported when the fixture is served.
    pub(crate) unmodelled_error: Option<Box<str>>,
    /// Where its request holds what recording replaced (pseudonyms,
    /// placeholders); `None` for a literal request, matched exactly.
    pub(crate) slots: Option<Box<Slots>>,
    /// The pseudonyms its response mentions, given back bound; `None` when it
    /// mentions none.
    pub(crate) mentions: Option<Box<Mentions>>,
}

impl Prepared {
    /// The response headers to send: the recorded ones, then `x-amzn-requestid`.
    pub(crate) fn response_headers(&self, request_id: HeaderValue) -> HeaderMap {
        let mut headers = HeaderMap::clone(&self.template);
        headers.insert(REQUEST_ID, request_id);
        headers
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// Response header maps already built, by their recorded headers: a corpus of
/// thousands of fixtures has a handful of distinct header sets.
#[derive(Default)]
pub(super) struct SharedHeaders {
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
/// [`super::Index::build`] on its own thread.
#[allow(dead_code)] // held only to be dropped later
pub(super) struct Leftover {
    set: crate::fixture::set::SetOrigin,
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
    response_body: crate::fixture::Body,
}

/// Why a fixture's recorded error type is not one its operation can answer
/// with (neither modelled for it nor common to every AWS API), if it is not.
/// Fixtures for no known operation are left to the request checks.
fn unmodelled_error(f: &Fixture) -> Option<Box<str>> {
    let op = f
        .request_header("x-amz-target")
        .and_then(crate::contract::model::operation_for_target)?;
    let body = f.response.body.bytes().ok()?;
    let found = crate::contract::awsjson::error_type(&body, f.response_header("x-amzn-errortype"))?;
    (!op.allows_error(&found.name)).then(|| {
        format!(
            "the fixture answers {} with error type '{}', which is neither an error the model declares for it nor a common AWS error",
            op.name, found.name
        )
        .into_boxed_str()
    })
}

/// Prepares fixture `number`: copies what serving needs (its identity and request, the
/// response status, headers and body) and hands the rest to `leftovers`.
pub(super) fn prepare(
    loaded: LoadedFixture,
    number: usize,
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
    let unmodelled_error = unmodelled_error(&fixture);
    if let Some(e) = &unmodelled_error {
        tracing::warn!(fixture = %origin, "model/error-type: {e}");
    }
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
        provenance: std::mem::replace(&mut fixture.provenance, Provenance::uncited()),
        description: std::mem::take(&mut fixture.description),
        variables: std::mem::take(&mut fixture.variables),
        response_headers: std::mem::take(&mut fixture.response.headers),
        response_body: std::mem::take(&mut fixture.response.body),
    };
    let slots = fixture
        .request_header("x-amz-target")
        .and_then(crate::contract::model::operation_for_target)
        .zip(fixture.request.body.json())
        .and_then(|(op, body)| Slots::of(op, &body))
        .map(Box::new);
    let mentions = Mentions::of(&body, &headers).map(Box::new);
    let kept = Prepared {
        number,
        fixture: Arc::new(fixture.clone()),
        origin: origin.as_str().to_owned(),
        status,
        headers,
        body: Bytes::from(body),
        template,
        unmodelled_error,
        slots,
        mentions,
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
