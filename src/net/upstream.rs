//! The upstream client: one pooled HTTP/1.1 client per proxy, plain HTTP or TLS
//! (rustls, with the system's root certificates plus an optional `--ca-file`),
//! with a connect timeout and a read timeout covering the whole response.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;

/// Largest upstream response body the proxy accepts.
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// Timeouts for upstream calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// From sending the request to having read the whole response.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(30),
        }
    }
}

/// Why an upstream could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{url}: {reason}")]
    Url { url: String, reason: String },
    #[error("--ca-file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

/// Why an exchange with the upstream failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot reach the upstream {upstream}: {reason}")]
    Unreachable { upstream: String, reason: String },
    #[error("the upstream {upstream} did not answer within {secs} s")]
    Timeout { upstream: String, secs: u64 },
    #[error("the upstream {upstream} failed mid-exchange: {reason}")]
    Failed { upstream: String, reason: String },
}

/// A response read whole from the upstream.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A configured upstream endpoint.
#[derive(Clone)]
pub struct Upstream {
    base: Uri,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeouts: Timeouts,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("base", &self.base)
            .finish()
    }
}

impl Upstream {
    /// Sets up a client for `url` (`http://` or `https://`, no path beyond `/`).
    pub fn new(url: &str, ca_file: Option<&Path>, timeouts: Timeouts) -> Result<Self, SetupError> {
        let bad = |reason: &str| SetupError::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let base: Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        match base.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(bad("use an http:// or https:// URL")),
        }
        if base.authority().is_none() {
            return Err(bad("the URL has no host"));
        }
        if !matches!(base.path(), "" | "/") || base.query().is_some() {
            return Err(bad("give the endpoint's root URL, without a path or query"));
        }
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(timeouts.connect));
        http.set_nodelay(true);
        http.enforce_http(false);
        let tls = tls_config(ca_file)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Upstream {
            base,
            client,
            timeouts,
        })
    }

    /// `host[:port]` of the upstream, as written in fixtures' provenance.
    pub fn authority(&self) -> &str {
        self.base.authority().map_or("", |a| a.as_str())
    }

    /// The upstream's host name, without port.
    pub fn host(&self) -> &str {
        self.base.host().unwrap_or_default()
    }

    /// The full URL of `path_and_query` at the upstream.
    pub(crate) fn uri_for(&self, path_and_query: &str) -> Uri {
        let scheme = self.base.scheme_str().unwrap_or("http");
        format!("{scheme}://{}{path_and_query}", self.authority())
            .parse()
            .expect("a valid base and path make a valid URI")
    }

    /// Whether a TCP connection to the upstream can be opened, within the
    /// connect timeout: a cheap way to tell "unreachable" from "refused a step".
    pub async fn probe(&self) -> Result<(), UpstreamError> {
        let port = self
            .base
            .port_u16()
            .unwrap_or(match self.base.scheme_str() {
                Some("https") => 443,
                _ => 80,
            });
        let host = self
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let unreachable = |reason: String| UpstreamError::Unreachable {
            upstream: self.authority().to_owned(),
            reason,
        };
        match tokio::time::timeout(
            self.timeouts.connect,
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(unreachable(e.to_string())),
            Err(_) => Err(unreachable(format!(
                "no connection within {} s",
                self.timeouts.connect.as_secs().max(1)
            ))),
        }
    }

    /// Sends one request and reads the whole response, within the timeouts.
    pub async fn send(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<UpstreamResponse, UpstreamError> {
        let upstream = self.authority().to_owned();
        let mut req = http::Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| {
                if e.is_connect() {
                    UpstreamError::Unreachable {
                        upstream: upstream.clone(),
                        reason: error_chain(&e),
                    }
                } else {
                    UpstreamError::Failed {
                        upstream: upstream.clone(),
                        reason: error_chain(&e),
                    }
                }
            })?;
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_RESPONSE)
                .collect()
                .await
                .map_err(|e| UpstreamError::Failed {
                    upstream: upstream.clone(),
                    reason: format!("reading the response body: {e}"),
                })?
                .to_bytes();
            Ok(UpstreamResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.timeouts.read, exchange).await {
            Ok(result) => result,
            Err(_) => Err(UpstreamError::Timeout {
                upstream,
                secs: self.timeouts.read.as_secs().max(1),
            }),
        }
    }
}

/// The error and its causes, joined: hyper's top-level message alone
/// ("client error (Connect)") does not say what went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, SetupError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let ca_err = |reason: String| SetupError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| ca_err(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| ca_err(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_err("no PEM certificates found".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| ca_err(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
