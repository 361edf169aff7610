//! The pseudonyms a recorded response mentions, found once when the fixture
//! is prepared, and the response with the values they are bound to given
//! back: each whole-word occurrence replaced, JSON-escaped in a JSON body, as
//! it is in a header (`x-amzn-errormessage`). Placeholders are never replaced:
//! secrets come back as their placeholders.

use std::sync::LazyLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use regex::Regex;

use crate::fixture::sensitive::pseudonym::{
    EMAIL_DOMAIN, IP_PREFIX, PHONE_PREFIX, PREFIX, UUID_TAG,
};
use crate::fixture::sensitive::{recognise, Recognised};

/// Every form of pseudonym, from the constants that make them; each match is
/// then confirmed by [`recognise`].
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    let e = regex::escape;
    let pattern = format!(
        "{prefix}[_ -][0-9a-f]{{12,}}(?:@{email})?|{phone}[0-9]{{11}}|[0-9a-f]{{8}}-[0-9a-f]{{4}}-8[0-9a-f]{{3}}-8[0-9a-f]{{3}}-{uuid}|{ip}[0-9a-f]{{4}}:[0-9a-f]{{4}}:[0-9a-f]{{4}}:0:1",
        prefix = e(PREFIX),
        email = e(EMAIL_DOMAIN),
        phone = e(PHONE_PREFIX),
        uuid = e(UUID_TAG),
        ip = e(IP_PREFIX),
    );
    Regex::new(&pattern).expect("the pseudonym pattern compiles")
});

/// Where pseudonyms occur in `text` as whole words: byte ranges, in order.
pub(crate) fn find(text: &str) -> Vec<(usize, usize)> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    CANDIDATE
        .find_iter(text)
        .filter(|m| {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            !before.is_some_and(word)
                && !after.is_some_and(word)
                && matches!(recognise(m.as_str()), Some(Recognised::Pseudonym(_)))
        })
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// One occurrence in the body: a byte range, and which pseudonym.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    name: usize,
}

/// The pseudonyms a recorded response mentions, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mentions {
    /// Each pseudonym once, in order of first mention.
    names: Box<[Box<str>]>,
    /// Their occurrences in the body.
    body: Box<[Span]>,
    /// Whether the body is JSON, so that a value given back is JSON-escaped.
    json: bool,
    /// The headers (all values of each name) that mention a pseudonym, each
    /// value with its occurrences.
    headers: Box<[(HeaderName, Box<[Mentioning]>)]>,
}

/// A header value as recorded, and where it mentions pseudonyms.
type Mentioning = (String, Box<[Span]>);

impl Mentions {
    /// What a response with this body and these headers mentions; `None`
    /// when it mentions no pseudonym (every authored fixture).
    pub(crate) fn of(body: &[u8], headers: &HeaderMap) -> Option<Mentions> {
        let mut names: Vec<Box<str>> = Vec::new();
        let mut name_of = |p: &str| match names.iter().position(|n| &**n == p) {
            Some(i) => i,
            None => {
                names.push(p.into());
                names.len() - 1
            }
        };
        let text = std::str::from_utf8(body).ok();
        let spans: Vec<Span> = text.map_or_else(Vec::new, |t| {
            find(t)
                .into_iter()
                .map(|(start, end)| Span {
                    start,
                    end,
                    name: name_of(&t[start..end]),
                })
                .collect()
        });
        let mut mentioned: Vec<(HeaderName, Box<[Mentioning]>)> = Vec::new();
        for name in headers.keys() {
            let values: Vec<Mentioning> = headers
                .get_all(name)
                .iter()
                .map(|v| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    let spans: Box<[Span]> = find(&v)
                        .into_iter()
                        .map(|(start, end)| Span {
                            start,
                            end,
                            name: name_of(&v[start..end]),
                        })
                        .collect();
                    (v, spans)
                })
                .collect();
            if values.iter().any(|(_, spans)| !spans.is_empty()) {
                mentioned.push((name.clone(), values.into_boxed_slice()));
            }
        }
        if names.is_empty() {
            return None;
        }
        Some(Mentions {
            names: names.into_boxed_slice(),
            body: spans.into_boxed_slice(),
            json: serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok(),
            headers: mentioned.into_boxed_slice(),
        })
    }

    /// The pseudonyms mentioned, each once.
    pub(crate) fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// The body with each mentioned pseudonym that has a value (`values[i]`
    /// for `names()[i]`) replaced by it; `None` when nothing in the body is.
    pub(crate) fn body(&self, body: &Bytes, values: &[Option<Box<str>>]) -> Option<Bytes> {
        if !self.body.iter().any(|s| values[s.name].is_some()) {
            return None;
        }
        let mut out = Vec::with_capacity(body.len() + 64);
        let mut at = 0;
        for s in self.body.iter() {
            let Some(value) = &values[s.name] else {
                continue;
            };
            out.extend_from_slice(&body[at..s.start]);
            if self.json {
                let quoted = serde_json::to_string(&**value).expect("a string serialises");
                out.extend_from_slice(&quoted.as_bytes()[1..quoted.len() - 1]);
            } else {
                out.extend_from_slice(value.as_bytes());
            }
            at = s.end;
        }
        out.extend_from_slice(&body[at..]);
        Some(Bytes::from(out))
    }

    /// Rewrites, in `headers`, every header that mentions a pseudonym with a
    /// value. A value that cannot be a header value (a control character)
    /// leaves its header as recorded.
    pub(crate) fn headers(&self, headers: &mut HeaderMap, values: &[Option<Box<str>>]) {
        for (name, recorded) in self.headers.iter() {
            let mut changed = false;
            let rewritten: Vec<String> = recorded
                .iter()
                .map(|(v, spans)| {
                    let mut out = String::with_capacity(v.len());
                    let mut at = 0;
                    for s in spans.iter() {
                        if let Some(value) = values[s.name].as_deref() {
                            out.push_str(&v[at..s.start]);
                            out.push_str(value);
                            at = s.end;
                            changed = true;
                        }
                    }
                    out.push_str(&v[at..]);
                    out
                })
                .collect();
            if !changed {
                continue;
            }
            let Ok(parsed) = rewritten
                .iter()
                .map(|v| HeaderValue::from_bytes(v.as_bytes()))
                .collect::<Result<Vec<_>, _>>()
            else {
                continue;
            };
            headers.remove(name);
            for v in parsed {
                headers.append(name.clone(), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::sensitive::{placeholder, pseudonym};

    #[test]
    fn every_form_is_found_as_a_whole_word_and_placeholders_are_not() {
        let forms = [
            pseudonym("alice", None),
            pseudonym("alice@example.com", None),
            pseudonym("+4915112345678", None),
            pseudonym("0a1b2c3d-0000-4000-8000-000000000001", None),
            pseudonym("203.0.113.7", None),
        ];
        for p in &forms {
            let text = format!("User {p} does not exist; \"{p}\"");
            let found: Vec<&str> = find(&text).into_iter().map(|(s, e)| &text[s..e]).collect();
            assert_eq!(found, [p.as_str(), p.as_str()], "{text}");
            assert!(find(&format!("x{p}")).is_empty(), "not a whole word: x{p}");
            assert!(find(&format!("{p}x")).is_empty(), "not a whole word: {p}x");
        }
        let secret = placeholder("PasswordType", None, None, "hunter2!");
        assert!(find(&format!("{secret} tapedeck-ghost user-3f9a1c0b2d4e")).is_empty());
    }

    #[test]
    fn bound_values_are_given_back_json_escaped_and_in_headers() {
        let p = pseudonym("alice", None);
        let q = pseudonym("bob", None);
        let body = format!(r#"{{"Username":"{p}","Other":"{q}","Message":"user {p}"}}"#);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amzn-errormessage",
            HeaderValue::from_str(&format!("User {p} exists")).unwrap(),
        );
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        let m = Mentions::of(body.as_bytes(), &headers).unwrap();
        let names: Vec<&str> = m.names().iter().map(|n| &**n).collect();
        assert_eq!(names, [p.as_str(), q.as_str()]);
        let values = [Some("al\"ice é".into()), None];
        let out = m.body(&Bytes::from(body.clone()), &values).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed["Username"], "al\"ice é");
        assert_eq!(parsed["Other"], q.as_str(), "unbound: left as recorded");
        assert_eq!(parsed["Message"], "user al\"ice é");
        m.headers(&mut headers, &values);
        assert_eq!(
            headers["x-amzn-errormessage"].as_bytes(),
            "User al\"ice é exists".as_bytes()
        );
        assert_eq!(m.body(&Bytes::from(body), &[None, None]), None);
        assert!(
            Mentions::of(br#"{"__type":"UserNotFoundException"}"#, &HeaderMap::new()).is_none()
        );
    }
}
