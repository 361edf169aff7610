//! What verify's reports may show of a fixture and of a target's answer: the
//! bodies with every sensitive value that could hurt masked (tokens a target
//! issued, a secret recorded in clear), and free text (messages) with those
//! values masked wherever they occur. See [`crate::fixture::sensitive::masked`].

use std::borrow::Cow;

use serde_json::Value;

use crate::contract::model::{self, Operation};
use crate::fixture::sensitive::{masked, Masker, Side, Source};
use crate::fixture::{Fixture, Provenance};

/// The masking of one fixture and the answer a target gave to its request.
#[derive(Debug)]
pub(crate) struct Shown {
    op: Option<&'static Operation>,
    source: Source,
    masker: Masker,
}

impl Shown {
    /// For `fixture` and the `answer` body a target gave (if any).
    pub(crate) fn new(fixture: &Fixture, answer: Option<&[u8]>) -> Shown {
        let op = fixture
            .request_header("x-amz-target")
            .and_then(model::operation_for_target);
        let source = match fixture.provenance {
            Provenance::Authored { .. } => Source::Authored,
            Provenance::Recorded { .. } => Source::Observed,
        };
        let mut masker = Masker::new();
        if let Some(v) = fixture.request.body.json() {
            masker.add(op, Side::Request, &v, source);
        }
        if let Some(v) = fixture.response.body.json() {
            masker.add(op, Side::Response, &v, source);
        }
        if let Some(v) = answer.and_then(|b| serde_json::from_slice::<Value>(b).ok()) {
            masker.add(op, Side::Response, &v, Source::Observed);
        }
        Shown { op, source, masker }
    }

    /// The fixture's response body, masked.
    pub(crate) fn recorded<'b>(&self, body: &'b [u8]) -> Cow<'b, [u8]> {
        self.body(body, self.source)
    }

    /// A target's answer body, masked.
    pub(crate) fn answer<'b>(&self, body: &'b [u8]) -> Cow<'b, [u8]> {
        self.body(body, Source::Observed)
    }

    fn body<'b>(&self, body: &'b [u8], source: Source) -> Cow<'b, [u8]> {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => {
                let mut shown = masked(self.op, Side::Response, &v, source);
                self.masker.json(&mut shown);
                if shown == v {
                    Cow::Borrowed(body)
                } else {
                    Cow::Owned(serde_json::to_vec(&shown).expect("JSON serialises"))
                }
            }
            Err(_) => match self.masker.text(&String::from_utf8_lossy(body)) {
                Cow::Owned(t) => Cow::Owned(t.into_bytes()),
                Cow::Borrowed(_) => Cow::Borrowed(body),
            },
        }
    }

    /// Free text with every value that may not be shown masked.
    pub(crate) fn text(&self, text: &str) -> String {
        self.masker.text(text).into_owned()
    }
}
