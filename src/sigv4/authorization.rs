//! Parsing the `Authorization` header.

use std::fmt;

use super::*;

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    /// Parses the header value; tolerates extra spaces, `,` or `, ` separators and any
    /// parameter order. Errors are `sigv4/malformed` findings.
    pub fn parse(value: &str) -> Result<Self, Finding> {
        let bad = |msg: String| Finding::new(rule::MALFORMED, msg);
        let value = value.trim();
        let (alg, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((value, ""));
        if alg != ALGORITHM {
            return Err(bad(format!("the Authorization header does not start with `{ALGORITHM}`; sign the request with SigV4")));
        }
        let (mut cred, mut signed, mut sig) = (None, None, None);
        for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, val) = part.split_once('=').unwrap_or((part, ""));
            let slot = match key.trim() {
                "Credential" => &mut cred,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut sig,
                _ => return Err(bad("the Authorization header has an unknown parameter; only Credential, SignedHeaders and Signature are allowed".into())),
            };
            if slot.replace(val.trim()).is_some() {
                return Err(bad(format!(
                    "the Authorization header repeats the {} parameter; give each parameter once",
                    key.trim()
                )));
            }
        }
        let missing: Vec<&str> = [
            ("Credential", &cred),
            ("SignedHeaders", &signed),
            ("Signature", &sig),
        ]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
        let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
            return Err(bad(format!("the Authorization header lacks {}; expected `{ALGORITHM} Credential=AKID/YYYYMMDD/region/{SERVICE}/aws4_request, SignedHeaders=…, Signature=…`", missing.join(", "))));
        };
        let parts: Vec<&str> = cred.split('/').collect();
        let [akid, date, region, service, terminator] = parts[..] else {
            return Err(bad(format!("Credential has {} `/`-separated parts; expected 5: AKID/YYYYMMDD/region/{SERVICE}/aws4_request", parts.len())));
        };
        if akid.is_empty() {
            return Err(bad("Credential starts with an empty access key id; put the access key id before the first `/`".into()));
        }
        if sig.len() != 64 || !sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad(format!("Signature is not 64 lowercase hex characters (it has {} characters); send the hex HMAC-SHA256 the signer produced", sig.len())));
        }
        Ok(Self {
            access_key_id: akid.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            terminator: terminator.to_owned(),
            signed_headers: signed.split(';').map(str::to_owned).collect(),
            signature: sig.to_owned(),
        })
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("access_key_id", &key_hint(&self.access_key_id))
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
