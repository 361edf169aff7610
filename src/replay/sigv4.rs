//! SigV4 checks on incoming requests.
//!
//! [`check_structure`] inspects the `Authorization` / `X-Amz-Date` headers of a request
//! without any secret and reports contract violations as [`Finding`]s. With credentials
//! given as `AKID:SECRET` ([`Credentials`]), [`verify_signature`] recomputes the signature
//! with `aws-sigv4` over exactly what the client said it signed. [`sign_headers`] signs the
//! way botocore does and is what the recording proxy re-signs with. No finding message,
//! error or `Debug` output carries a signature, a secret, a session token or an access key
//! id beyond its first four characters.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};

/// The signing name AdminForgetDevice requests must use.
pub const SERVICE: &str = "cognito-idp";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_TOKEN: &str = "x-amz-security-token";
/// Headers every AdminForgetDevice signature must cover.
const REQUIRED_SIGNED: [&str; 3] = ["host", X_AMZ_DATE, "x-amz-target"];
/// Headers [`sign_headers`] signs when present (x-amz-date is always added), like botocore.
const BOTOCORE_SIGNED: [&str; 3] = ["content-type", "host", "x-amz-target"];

/// Stable rule ids used in [`Finding::rule`].
pub mod rule {
    pub const MISSING: &str = "sigv4/missing";
    pub const MALFORMED: &str = "sigv4/malformed";
    pub const SCOPE: &str = "sigv4/scope";
    pub const SIGNED_HEADERS: &str = "sigv4/signed-headers";
    pub const DATE: &str = "sigv4/date";
    pub const ACCESS_KEY: &str = "sigv4/access-key";
    pub const SIGNATURE: &str = "sigv4/signature";
    /// [`super::sign_headers`] could not sign (bad region, missing host, unsignable value).
    pub const SIGN: &str = "sigv4/sign";
}

/// One SigV4 problem found in a request. `rule` is a stable id, `message` one actionable sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub message: String,
}

impl Finding {
    fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

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
fn key_hint(id: &str) -> String {
    let prefix: String = id.chars().take(4).collect();
    if id.chars().count() > 4 {
        format!("{prefix}…")
    } else {
        "…".to_owned()
    }
}

/// Echoes a client-supplied token only if it is short and plain; never used for secrets.
fn shown(s: &str) -> String {
    let plain = s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if plain {
        format!("`{s}`")
    } else {
        "(an unprintable value)".to_owned()
    }
}

/// Parses `YYYYMMDDTHHMMSSZ` (UTC) into a time; `None` if the form or a field is invalid.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0, 4)?, num(4, 6)?, num(6, 8)?);
    let (h, mi, se) = (num(9, 11)?, num(11, 13)?, num(13, 15)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if y < 1970
        || !(1..=12).contains(&mo)
        || d == 0
        || d > month_days
        || h > 23
        || mi > 59
        || se > 59
    {
        return None;
    }
    // Days since 1970-01-01 (H. Hinnant's days_from_civil, unsigned since y >= 1970).
    let yy = if mo <= 2 { y - 1 } else { y };
    let (era, yoe) = (yy / 400, yy % 400);
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + mi * 60 + se))
}

/// Everything the structural pass learns; `blocking` findings make recomputation impossible.
struct Inspection {
    auth: Option<Authorization>,
    time: Option<SystemTime>,
    findings: Vec<(Finding, bool)>,
}

fn inspect(headers: &HeaderMap) -> Inspection {
    let mut out = Inspection {
        auth: None,
        time: None,
        findings: Vec::new(),
    };
    let mut push = |f: Finding, blocking: bool| out.findings.push((f, blocking));
    let Some(raw) = headers.get(AUTHORIZATION) else {
        push(Finding::new(rule::MISSING, format!("the request is unsigned (no Authorization header); sign it with SigV4 for service `{SERVICE}`, as any AWS SDK does once credentials are configured")), true);
        return out;
    };
    let parsed = if headers.get_all(AUTHORIZATION).iter().count() > 1 {
        Err(Finding::new(
            rule::MALFORMED,
            "the request carries more than one Authorization header; send exactly one",
        ))
    } else {
        raw.to_str()
            .map_err(|_| Finding::new(rule::MALFORMED, "the Authorization header is not visible ASCII; send the value the SigV4 signer produced"))
            .and_then(Authorization::parse)
    };
    let auth = match parsed {
        Ok(a) => Some(a),
        Err(f) => {
            push(f, true);
            None
        }
    };
    let amz_date = headers.get(X_AMZ_DATE).map(|v| v.to_str().unwrap_or(""));
    let time = amz_date.and_then(parse_amz_date);
    if let Some(a) = &auth {
        let scope = |m: String| Finding::new(rule::SCOPE, m);
        if a.service != SERVICE {
            push(scope(format!("the credential scope names service {}; AdminForgetDevice must be signed for `{SERVICE}`", shown(&a.service))), true);
        }
        if a.terminator != "aws4_request" {
            push(
                scope("the credential scope must end with `aws4_request`".into()),
                true,
            );
        }
        if a.date.len() != 8 || !a.date.bytes().all(|b| b.is_ascii_digit()) {
            push(
                scope("the credential scope date is not 8 digits (YYYYMMDD)".into()),
                true,
            );
        } else if let (Some(d), Some(_)) = (amz_date, time) {
            if !d.starts_with(&a.date) {
                push(scope(format!("the credential scope date {} differs from the date of X-Amz-Date {}; sign with the same UTC date in both", a.date, &d[..8])), true);
            }
        }
        if a.region.is_empty() {
            push(scope("the credential scope has an empty region; name the region the user pool lives in".into()), true);
        }
        let sh = &a.signed_headers;
        let missing: Vec<&str> = REQUIRED_SIGNED
            .into_iter()
            .filter(|r| !sh.iter().any(|h| h == r))
            .collect();
        if !missing.is_empty() {
            let blocking = missing.iter().any(|m| *m != "x-amz-target");
            push(Finding::new(rule::SIGNED_HEADERS, format!("SignedHeaders lacks {}; sign at least host, x-amz-date and x-amz-target (botocore signs content-type;host;x-amz-date;x-amz-target)", missing.join(", "))), blocking);
        }
        let lower_sorted = sh.windows(2).all(|w| w[0] < w[1])
            && sh
                .iter()
                .all(|h| !h.is_empty() && h.bytes().all(|b| !b.is_ascii_uppercase()));
        if !lower_sorted {
            push(Finding::new(rule::SIGNED_HEADERS, "SignedHeaders must list distinct lowercase header names in sorted order, separated by `;`"), true);
        }
        let absent: Vec<String> = sh
            .iter()
            .filter(|h| !h.is_empty() && !headers.contains_key(h.as_str()))
            .map(|h| shown(h))
            .collect();
        if !absent.is_empty() {
            push(Finding::new(rule::SIGNED_HEADERS, format!("SignedHeaders names {} which the request does not carry; sign only headers that are sent", absent.join(", "))), true);
        }
    }
    match (amz_date, time) {
        (None, _) => push(Finding::new(rule::DATE, "the X-Amz-Date header is missing; send the signing time as YYYYMMDDTHHMMSSZ (UTC)"), true),
        (Some(_), None) => push(Finding::new(rule::DATE, "X-Amz-Date is not a valid UTC time of the form YYYYMMDDTHHMMSSZ (e.g. 20261126T010203Z)"), true),
        _ => {}
    }
    out.findings.sort_by_key(|(f, _)| {
        [rule::MISSING, rule::MALFORMED]
            .iter()
            .position(|r| *r == f.rule)
            .unwrap_or(2)
    });
    out.auth = auth;
    out.time = time;
    out
}

/// Structural checks (no secret needed): every finding that applies, missing/malformed first.
pub fn check_structure(headers: &HeaderMap) -> Vec<Finding> {
    inspect(headers)
        .findings
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// Credentials given on the command line as `AKID:SECRET`.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
}

/// Why an `AKID:SECRET` argument was rejected; never carries any part of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("expected AKID:SECRET (the access key id, a colon, then the secret access key), but found no colon")]
    MissingColon,
    #[error("expected AKID:SECRET, but the access key id before the colon is empty")]
    EmptyAccessKeyId,
    #[error("expected AKID:SECRET, but the secret access key after the colon is empty")]
    EmptySecret,
    #[error("expected AKID:SECRET, but the access key id contains `/`, `,`, `=` or whitespace")]
    InvalidAccessKeyId,
}

impl FromStr for Credentials {
    type Err = CredentialsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (akid, secret) = s.split_once(':').ok_or(CredentialsError::MissingColon)?;
        if akid.is_empty() {
            return Err(CredentialsError::EmptyAccessKeyId);
        }
        if secret.is_empty() {
            return Err(CredentialsError::EmptySecret);
        }
        if akid.chars().any(|c| c.is_whitespace() || "/,=".contains(c)) {
            return Err(CredentialsError::InvalidAccessKeyId);
        }
        Ok(Self {
            access_key_id: akid.to_owned(),
            secret_access_key: secret.to_owned(),
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &key_hint(&self.access_key_id))
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
}

/// The headers aws-sigv4 says to set, and the hex signature.
type SignOutput = (Vec<(&'static str, String)>, String);

/// Runs aws-sigv4 over `signed` (name, value) pairs; returns the headers to set and the signature.
/// Host comes from `signed` when given (otherwise from the URI); x-amz-date from `time`;
/// a session token in `creds` is signed and returned as x-amz-security-token.
fn compute(
    method: &str,
    uri: &Uri,
    signed: &[(&str, &str)],
    body: &[u8],
    region: &str,
    time: SystemTime,
    creds: &aws_credential_types::Credentials,
) -> Result<SignOutput, String> {
    let mut settings = SigningSettings::default();
    // Sign exactly what we are given: the default list drops user-agent & co. even when listed.
    settings.excluded_headers = None;
    let identity = creds.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let request = SignableRequest::new(
        method,
        uri.to_string(),
        signed.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, signature) = sign(request, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let (headers, _) = instructions.into_parts();
    Ok((
        headers
            .iter()
            .map(|h| (h.name(), h.value().to_owned()))
            .collect(),
        signature,
    ))
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Recomputes the request's signature with aws-sigv4 from `creds`, using the request's own
/// SignedHeaders, X-Amz-Date and scope region, service `cognito-idp` and the exact body bytes.
pub fn verify_signature(
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    creds: &Credentials,
) -> Result<(), Finding> {
    let ins = inspect(headers);
    if let Some((f, _)) = ins.findings.into_iter().find(|(_, blocking)| *blocking) {
        return Err(f);
    }
    let (Some(auth), Some(time)) = (ins.auth, ins.time) else {
        return Err(Finding::new(
            rule::MALFORMED,
            "the Authorization or X-Amz-Date header could not be read",
        ));
    };
    if auth.access_key_id != creds.access_key_id {
        return Err(Finding::new(rule::ACCESS_KEY, "the request is signed with a different access key id than the one given to --verify-signature; sign with the configured key"));
    }
    let mut signed = Vec::new();
    let mut token = None;
    for name in auth
        .signed_headers
        .iter()
        .filter(|h| h.as_str() != X_AMZ_DATE)
    {
        for value in headers.get_all(name.as_str()) {
            let value = value.to_str().map_err(|_| Finding::new(rule::SIGNED_HEADERS, format!("signed header {} has a value that is not visible ASCII, so the signature cannot be recomputed", shown(name))))?;
            match name.as_str() {
                X_AMZ_TOKEN => token = Some(value.to_owned()),
                _ => signed.push((name.as_str(), value)),
            }
        }
    }
    let aws = aws_credential_types::Credentials::new(
        &creds.access_key_id,
        &creds.secret_access_key,
        token,
        None,
        "tapedeck",
    );
    let listed = auth.signed_headers.join(";");
    let scope = format!(
        "scope date {} and region {}",
        auth.date,
        shown(&auth.region)
    );
    let (out, expected) = compute(method, uri, &signed, body, &auth.region, time, &aws)
        .map_err(|e| Finding::new(rule::SIGNATURE, format!("the signature over SignedHeaders {listed} ({scope}) could not be recomputed: {e}")))?;
    let ours = out
        .iter()
        .find(|(n, _)| *n == "authorization")
        .and_then(|(_, v)| Authorization::parse(v).ok());
    if ours.is_none_or(|a| a.signed_headers != auth.signed_headers) {
        return Err(Finding::new(rule::SIGNATURE, format!("aws-sigv4 would not sign exactly SignedHeaders {listed}, so the signature cannot be recomputed")));
    }
    if !ct_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(Finding::new(rule::SIGNATURE, format!("the signature does not match one recomputed with the configured secret over SignedHeaders {listed} ({scope}); check the secret, the exact body bytes and that nothing rewrote a signed header")));
    }
    Ok(())
}

/// Signs a request for `cognito-idp` in `region` at `time`: returns the headers to set
/// (authorization, x-amz-date, and x-amz-security-token when a session token is given).
/// Signs content-type, host, x-amz-date and x-amz-target like botocore (those present;
/// host falls back to the URI's authority). Errors use rule `sigv4/sign`.
pub fn sign_headers(
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    region: &str,
    time: SystemTime,
    creds: &aws_credential_types::Credentials,
) -> Result<Vec<(HeaderName, HeaderValue)>, Finding> {
    let fail = |m: String| Finding::new(rule::SIGN, m);
    if region.is_empty() || region.contains(['/', ' ']) {
        return Err(fail(
            "cannot sign: the region must be non-empty and contain no `/` or spaces".into(),
        ));
    }
    if !headers.contains_key(HOST) && uri.authority().is_none() {
        return Err(fail(
            "cannot sign: the request has neither a Host header nor an authority in its URI".into(),
        ));
    }
    let mut signed = Vec::new();
    for name in BOTOCORE_SIGNED {
        for value in headers.get_all(name) {
            signed.push((
                name,
                value.to_str().map_err(|_| {
                    fail(format!("cannot sign: header {name} is not visible ASCII"))
                })?,
            ));
        }
    }
    let (out, _) = compute(method, uri, &signed, body, region, time, creds)
        .map_err(|e| fail(format!("cannot sign: {e}")))?;
    out.into_iter()
        .map(|(name, value)| {
            let mut v = HeaderValue::from_str(&value).map_err(|_| {
                fail(format!(
                    "cannot sign: aws-sigv4 produced an invalid {name} value"
                ))
            })?;
            v.set_sensitive(name != X_AMZ_DATE);
            Ok((HeaderName::from_static(name), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20261126T010203Z";
    const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
    const BODY: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
    const TOKEN: &str = "FAKE-session-token+/=";
    // Computed independently with Python 3 (hashlib/hmac only); botocore 1.43 SigV4Auth
    // produces the same two values for this request:
    //
    // import hashlib, hmac
    // def mac(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()
    // def sig(extra):
    //     secret, region, service, amz = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "cognito-idp", "20261126T010203Z"
    //     body = '{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}'
    //     hs = sorted([("content-type", "application/x-amz-json-1.1"), ("host", "127.0.0.1:4566"), ("x-amz-date", amz),
    //                  ("x-amz-target", "AWSCognitoIdentityProviderService.AdminForgetDevice")] + extra)
    //     creq = "\n".join(["POST", "/", ""] + [k + ":" + v for k, v in hs] + ["", ";".join(k for k, _ in hs), hashlib.sha256(body.encode()).hexdigest()])
    //     scope = amz[:8] + "/" + region + "/" + service + "/aws4_request"
    //     sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    //     key = mac(mac(mac(mac(("AWS4" + secret).encode(), amz[:8]), region), service), "aws4_request")
    //     return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    // print(sig([])); print(sig([("x-amz-security-token", "FAKE-session-token+/=")]))
    const SIG: &str = "df357e1fe88601410a77cd3e8de5d4916f6d409d9bf3826111ed38b696cdd69b";
    const SIG_TOKEN: &str = "068b7728918eb434420f2dc02a6fb92fa49f67dd84f267cba298bad6d831beba";
    const SIGNED: &str = "content-type;host;x-amz-date;x-amz-target";

    fn auth(signed: &str, sig: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential={AKID}/20261126/us-east-1/cognito-idp/aws4_request, SignedHeaders={signed}, Signature={sig}")
    }
    fn request(authorization: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("content-type", "application/x-amz-json-1.1"),
            ("host", "127.0.0.1:4566"),
            ("x-amz-date", DATE),
            ("x-amz-target", TARGET),
            ("user-agent", "Boto3/1.40"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        if let Some(a) = authorization {
            h.insert(AUTHORIZATION, a.parse().unwrap());
        }
        h
    }
    fn creds(s: &str) -> Credentials {
        s.parse().unwrap()
    }
    fn verify(h: &HeaderMap, body: &str, c: &Credentials) -> Result<(), Finding> {
        verify_signature("POST", &Uri::from_static("/"), h, body.as_bytes(), c)
    }
    fn signed(h: &HeaderMap, region: &str, token: Option<&str>) -> Vec<(HeaderName, HeaderValue)> {
        let aws =
            aws_credential_types::Credentials::new(AKID, SECRET, token.map(Into::into), None, "t");
        let time = parse_amz_date(DATE).unwrap();
        sign_headers(
            "POST",
            &Uri::from_static("/"),
            h,
            BODY.as_bytes(),
            region,
            time,
            &aws,
        )
        .unwrap()
    }
    fn rules(h: &HeaderMap) -> Vec<&'static str> {
        check_structure(h).iter().map(|f| f.rule).collect()
    }
    fn assert_clean(f: &Finding) {
        for secret in [SIG, SIG_TOKEN, AKID, SECRET, TOKEN] {
            assert!(!f.message.contains(secret), "{f:?} leaks a secret");
        }
    }

    #[test]
    fn known_answer_verifies_and_tampering_is_caught() {
        let good = creds(&format!("{AKID}:{SECRET}"));
        let h = request(Some(&auth(SIGNED, SIG)));
        assert_eq!(check_structure(&h), vec![]);
        assert_eq!(verify(&h, BODY, &good), Ok(()));
        let mut errs =
            vec![verify(&h, &BODY.replace("tapedeck-user", "tapedeck-usr"), &good).unwrap_err()];
        let mut t = h.clone();
        t.insert(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.AdminDeleteUser"
                .parse()
                .unwrap(),
        );
        errs.push(verify(&t, BODY, &good).unwrap_err());
        errs.push(
            verify(
                &h,
                BODY,
                &creds(&format!("{AKID}:{}", SECRET.replace('w', "W"))),
            )
            .unwrap_err(),
        );
        assert!(errs.iter().all(|f| f.rule == rule::SIGNATURE), "{errs:?}");
        assert!(
            errs[0].message.contains(SIGNED)
                && errs[0].message.contains("20261126")
                && errs[0].message.contains("us-east-1")
        );
        let other = verify(&h, BODY, &creds(&format!("AKIDOTHER:{SECRET}"))).unwrap_err();
        assert_eq!(other.rule, rule::ACCESS_KEY);
        assert!(!other.message.contains("AKIDOTHER"));
        errs.push(other);
        errs.iter().for_each(assert_clean);
    }

    #[test]
    fn sign_headers_matches_known_answer_and_verifies() {
        let time = parse_amz_date(DATE).unwrap();
        assert_eq!(
            httpdate::fmt_http_date(time),
            "Thu, 26 Nov 2026 01:02:03 GMT"
        );
        let get = |out: &[(HeaderName, HeaderValue)], n: &str| {
            let found = out.iter().find(|(k, _)| k == n);
            found.map(|(_, v)| v.to_str().unwrap().to_owned())
        };
        let mut h = request(None);
        let out = signed(&h, "us-east-1", None);
        assert_eq!(get(&out, "authorization").unwrap(), auth(SIGNED, SIG));
        assert_eq!(get(&out, "x-amz-date").unwrap(), DATE);
        assert_eq!(out.len(), 2);
        // With a session token: signed, returned as a header, and verified from the header.
        let out = signed(&h, "us-east-1", Some(TOKEN));
        let with_token = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target";
        assert_eq!(
            get(&out, "authorization").unwrap(),
            auth(with_token, SIG_TOKEN)
        );
        assert_eq!(get(&out, X_AMZ_TOKEN).unwrap(), TOKEN);
        h.extend(out);
        let good = creds(&format!("{AKID}:{SECRET}"));
        assert_eq!(verify(&h, BODY, &good), Ok(()));
        h.insert(X_AMZ_TOKEN, "FAKE-other-token".parse().unwrap());
        let f = verify(&h, BODY, &good).unwrap_err();
        assert_eq!(f.rule, rule::SIGNATURE);
        assert_clean(&f);
    }

    #[test]
    fn unsigned_target_is_a_finding_but_still_verifies() {
        let mut h = request(None);
        h.remove("x-amz-target");
        h.extend(signed(&h, "eu-west-1", None));
        h.insert("x-amz-target", TARGET.parse().unwrap());
        assert_eq!(rules(&h), vec![rule::SIGNED_HEADERS]);
        assert!(check_structure(&h)[0]
            .message
            .contains("lacks x-amz-target"));
        let good = creds(&format!("{AKID}:{SECRET}"));
        assert_eq!(verify(&h, BODY, &good), Ok(()));
    }

    #[test]
    fn parse_tolerates_spacing_separators_and_order() {
        let a = Authorization::parse(&format!("  AWS4-HMAC-SHA256   Signature={SIG},SignedHeaders={SIGNED} ,  Credential={AKID}/20261126/us-east-1/cognito-idp/aws4_request "));
        let a = a.unwrap();
        assert_eq!(
            (
                a.access_key_id.as_str(),
                a.region.as_str(),
                a.signed_headers.len()
            ),
            (AKID, "us-east-1", 4)
        );
        let dbg = format!("{a:?}");
        assert!(
            dbg.contains("AKID…") && !dbg.contains(AKID) && !dbg.contains(SIG),
            "{dbg}"
        );
    }

    #[test]
    fn structural_rules() {
        let base = auth(SIGNED, SIG);
        let re = |from: &str, to: &str| base.replace(from, to);
        let (m, sc, sh) = (rule::MALFORMED, rule::SCOPE, rule::SIGNED_HEADERS);
        // (Authorization value, check_structure rules, verify_signature rule)
        let cases: Vec<(String, Vec<&str>, &str)> = vec![
            (re("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA1 "), vec![m], m),
            (
                base[..base.find(", Signature=").unwrap()].to_owned(),
                vec![m],
                m,
            ),
            (re("/aws4_request", ""), vec![m], m),
            (auth(SIGNED, &SIG.to_uppercase()), vec![m], m),
            (auth(SIGNED, &SIG[..63]), vec![m], m),
            (re("Credential=AKIDEXAMPLE", "Credential="), vec![m], m),
            (re("/cognito-idp/", "/execute-api/"), vec![sc], sc),
            (re("aws4_request", "aws4_reqest"), vec![sc], sc),
            (re("/20261126/", "/2026-11-26/"), vec![sc], sc),
            (re("/20261126/", "/20261125/"), vec![sc], sc),
            (re("/us-east-1/", "//"), vec![sc], sc),
            (
                auth("content-type;host;x-amz-date", SIG),
                vec![sh],
                rule::SIGNATURE,
            ),
            (
                auth("host;content-type;x-amz-date;x-amz-target", SIG),
                vec![sh],
                sh,
            ),
            (
                auth("content-type;Host;x-amz-date;x-amz-target", SIG),
                vec![sh, sh],
                sh,
            ),
            (auth(&format!("{SIGNED};x-extra"), SIG), vec![sh], sh),
            (auth("content-type;x-amz-target", SIG), vec![sh], sh),
        ];
        let good = creds(&format!("{AKID}:{SECRET}"));
        let mut all = Vec::new();
        for (value, expected, verify_rule) in cases {
            let h = request(Some(&value));
            assert_eq!(rules(&h), expected, "{value}");
            let v = verify(&h, BODY, &good).unwrap_err();
            assert_eq!(v.rule, verify_rule, "{value}");
            all.extend(check_structure(&h));
            all.push(v);
        }
        let missing = check_structure(&request(Some(&auth("content-type;x-amz-target", SIG))));
        assert!(
            missing[0].message.contains("lacks host, x-amz-date"),
            "{missing:?}"
        );
        let extra = check_structure(&request(Some(&auth(
            "content-type;host;x-amz-date;x-amz-target;x-extra",
            SIG,
        ))));
        assert!(extra[0].message.contains("`x-extra`"), "{extra:?}");

        let mut h = request(None);
        h.remove("x-amz-date");
        assert_eq!(rules(&h), vec![rule::MISSING]);
        assert_eq!(verify(&h, BODY, &good).unwrap_err().rule, rule::MISSING);
        let mut h = request(Some(&auth(SIGNED, SIG)));
        h.remove("x-amz-date");
        assert_eq!(rules(&h), vec![rule::SIGNED_HEADERS, rule::DATE]);
        for bad in [
            "2026-11-26T01:02:03Z",
            "20261126T250203Z",
            "20260230T010203Z",
            "20261126T010203",
        ] {
            h.insert("x-amz-date", bad.parse().unwrap());
            assert_eq!(rules(&h), vec![rule::DATE], "{bad}");
            assert_eq!(verify(&h, BODY, &good).unwrap_err().rule, rule::DATE);
        }
        h.insert(
            AUTHORIZATION,
            format!("AWS4-HMAC-SHA256 Credential={AKID}")
                .parse()
                .unwrap(),
        );
        assert_eq!(rules(&h), vec![rule::MALFORMED, rule::DATE]);
        all.extend(check_structure(&h));
        all.iter().for_each(assert_clean);
    }

    #[test]
    fn credentials_from_str() {
        let c = creds(&format!("{AKID}:{SECRET}"));
        assert_eq!(c.access_key_id(), AKID);
        assert_eq!(c.secret_access_key, SECRET);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(SECRET) && !dbg.contains(AKID), "{dbg}");
        assert_eq!(creds("AK:se:cret").secret_access_key, "se:cret");
        for (input, err) in [
            (SECRET, CredentialsError::MissingColon),
            (
                &format!(":{SECRET}") as &str,
                CredentialsError::EmptyAccessKeyId,
            ),
            (&format!("{AKID}:"), CredentialsError::EmptySecret),
            (
                &format!("AK ID:{SECRET}"),
                CredentialsError::InvalidAccessKeyId,
            ),
        ] {
            let e = input.parse::<Credentials>().unwrap_err();
            assert_eq!(e, err);
            let text = format!("{e} {e:?}");
            assert!(!text.contains(SECRET) && !text.contains(AKID), "{text}");
            assert!(e.to_string().contains("AKID:SECRET"), "{e}");
        }
    }
}
