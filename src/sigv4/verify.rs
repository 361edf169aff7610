//! Recomputing a signature from known credentials, and signing afresh.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::header::HOST;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};

use super::*;

/// Credentials given on the command line as `AKID:SECRET`.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    pub(crate) secret_access_key: String,
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

/// What aws-sigv4 computed: the headers to set, and the hex signature.
#[derive(Debug)]
pub(crate) struct Computed {
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) signature: String,
}

/// Why aws-sigv4 could not sign.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ComputeError {
    /// The signing parameters (identity, region, name, time) were incomplete.
    #[error(transparent)]
    Params(#[from] v4::signing_params::BuildError),
    /// The request (its URI or a header) cannot be signed.
    #[error(transparent)]
    Request(#[from] aws_sigv4::http_request::SigningError),
}

/// Runs aws-sigv4 over `signed` (name, value) pairs; returns the headers to set and the signature.
/// Host comes from `signed` when given (otherwise from the URI); x-amz-date from `time`;
/// a session token in `creds` is signed and returned as x-amz-security-token.
pub(crate) fn compute(
    method: &str,
    uri: &Uri,
    signed: &[(&str, &str)],
    body: &[u8],
    region: &str,
    time: SystemTime,
    creds: &aws_credential_types::Credentials,
) -> Result<Computed, ComputeError> {
    let mut settings = SigningSettings::default();
    // Sign exactly what we are given: the default list drops user-agent & co. even when listed.
    settings.excluded_headers = None;
    let identity = creds.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service())
        .time(time)
        .settings(settings)
        .build()?
        .into();
    let request = SignableRequest::new(
        method,
        uri.to_string(),
        signed.iter().copied(),
        SignableBody::Bytes(body),
    )?;
    let (instructions, signature) = sign(request, &params)?.into_parts();
    let (headers, _) = instructions.into_parts();
    Ok(Computed {
        headers: headers
            .iter()
            .map(|h| (h.name(), h.value().to_owned()))
            .collect(),
        signature,
    })
}

pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
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
    for name in auth.signed_header_names().filter(|h| *h != X_AMZ_DATE) {
        for value in headers.get_all(name) {
            let value = value.to_str().map_err(|_| Finding::new(rule::SIGNED_HEADERS, format!("signed header {} has a value that is not visible ASCII, so the signature cannot be recomputed", shown(name))))?;
            match name {
                X_AMZ_TOKEN => token = Some(value.to_owned()),
                _ => signed.push((name, value)),
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
    let listed = auth.signed_headers;
    let scope = format!("scope date {} and region {}", auth.date, shown(auth.region));
    let computed = compute(method, uri, &signed, body, auth.region, time, &aws).map_err(|e| {
        Finding::new(
            rule::SIGNATURE,
            format!(
                "the signature over SignedHeaders {listed} ({scope}) could not be recomputed: {e}"
            ),
        )
    })?;
    let ours = computed
        .headers
        .iter()
        .find(|(n, _)| *n == "authorization")
        .and_then(|(_, v)| Authorization::parse(v).ok());
    if ours.is_none_or(|a| a.signed_headers != auth.signed_headers) {
        return Err(Finding::new(rule::SIGNATURE, format!("aws-sigv4 would not sign exactly SignedHeaders {listed}, so the signature cannot be recomputed")));
    }
    if !ct_eq(computed.signature.as_bytes(), auth.signature.as_bytes()) {
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
    let computed = compute(method, uri, &signed, body, region, time, creds)
        .map_err(|e| fail(format!("cannot sign: {e}")))?;
    computed
        .headers
        .into_iter()
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
