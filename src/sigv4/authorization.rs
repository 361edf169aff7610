//! Parsing the `Authorization` header.

use std::fmt;

use super::*;

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
///
/// Every field borrows from the header value: parsing one, as the replay server
/// does for every request, allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
    /// The `SignedHeaders` value as sent: names separated by `;`
    /// (see [`Authorization::signed_header_names`]).
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// Parses the header value; tolerates extra spaces or tabs, `,` or `, `
    /// separators and any parameter order. Errors are `sigv4/malformed` findings.
    pub fn parse(value: &'a str) -> Result<Self, Finding> {
        let bad = |msg: String| Finding::new(rule::MALFORMED, msg);
        let value = value.trim_ascii();
        let rest = match value.strip_prefix(ALGORITHM) {
            Some(rest) if rest.bytes().next().is_none_or(|b| b.is_ascii_whitespace()) => rest,
            _ => return Err(bad(format!("the Authorization header does not start with `{ALGORITHM}`; sign the request with SigV4"))),
        };
        let (mut cred, mut signed, mut sig) = (None, None, None);
        for part in AsciiSplit::new(rest, b',')
            .map(str::trim_ascii)
            .filter(|p| !p.is_empty())
        {
            let (key, val) = match find_byte(b'=', part.as_bytes()) {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, ""),
            };
            let key = key.trim_ascii();
            let slot = match key {
                "Credential" => &mut cred,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut sig,
                _ => return Err(bad("the Authorization header has an unknown parameter; only Credential, SignedHeaders and Signature are allowed".into())),
            };
            if slot.replace(val.trim_ascii()).is_some() {
                return Err(bad(format!(
                    "the Authorization header repeats the {key} parameter; give each parameter once"
                )));
            }
        }
        let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
            let missing: Vec<&str> = [
                ("Credential", cred),
                ("SignedHeaders", signed),
                ("Signature", sig),
            ]
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
            return Err(bad(format!("the Authorization header lacks {}; expected `{ALGORITHM} Credential=AKID/YYYYMMDD/region/{}/aws4_request, SignedHeaders=…, Signature=…`", missing.join(", "), service())));
        };
        let mut parts = AsciiSplit::new(cred, b'/');
        let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad(format!("Credential has {} `/`-separated parts; expected 5: AKID/YYYYMMDD/region/{}/aws4_request", AsciiSplit::new(cred, b'/').count(), service())));
        };
        if akid.is_empty() {
            return Err(bad("Credential starts with an empty access key id; put the access key id before the first `/`".into()));
        }
        // Folded without an early exit, so that the loop vectorises.
        let lower_hex = sig
            .bytes()
            .fold(true, |hex, b| hex & matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if sig.len() != 64 || !lower_hex {
            return Err(bad(format!("Signature is not 64 lowercase hex characters (it has {} characters); send the hex HMAC-SHA256 the signer produced", sig.len())));
        }
        Ok(Self {
            access_key_id: akid,
            date,
            region,
            service,
            terminator,
            signed_headers: signed,
            signature: sig,
        })
    }

    /// The names listed in `SignedHeaders`, in the order sent.
    pub fn signed_header_names(&self) -> AsciiSplit<'a> {
        AsciiSplit::new(self.signed_headers, b';')
    }
}

/// The first `needle` in `haystack`: `memchr` for long haystacks, a plain loop
/// for short ones, where setting up `memchr`'s vector search costs more than it
/// saves.
fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    if haystack.len() < 32 {
        haystack.iter().position(|b| *b == needle)
    } else {
        memchr::memchr(needle, haystack)
    }
}

/// The pieces of a string between the occurrences of one ASCII byte, as
/// `str::split` gives them, found with `find_byte`: on the short pieces of an
/// Authorization header that is several times quicker than `str::split`'s
/// searcher, and the replay server parses one for every request.
#[derive(Debug, Clone)]
pub struct AsciiSplit<'a> {
    rest: Option<&'a str>,
    separator: u8,
}

impl<'a> AsciiSplit<'a> {
    /// Splits `text` at `separator`, which must be ASCII (so every piece is
    /// whole UTF-8).
    pub fn new(text: &'a str, separator: u8) -> Self {
        debug_assert!(separator.is_ascii());
        AsciiSplit {
            rest: Some(text),
            separator,
        }
    }
}

impl<'a> Iterator for AsciiSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match find_byte(self.separator, rest.as_bytes()) {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

impl fmt::Debug for Authorization<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("access_key_id", &key_hint(self.access_key_id))
            .field("date", &self.date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("terminator", &self.terminator)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// At most the first four characters of an access key id (`AKIA…`), never the whole id.
pub(crate) fn key_hint(id: &str) -> String {
    let prefix: String = id.chars().take(4).collect();
    if id.chars().count() > 4 {
        format!("{prefix}…")
    } else {
        "…".to_owned()
    }
}

/// Echoes a client-supplied token only if it is short and plain; never used for secrets.
pub(crate) fn shown(s: &str) -> String {
    let plain = s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if plain {
        format!("`{s}`")
    } else {
        "(an unprintable value)".to_owned()
    }
}
