//! Binding a listener. Servers bind 127.0.0.1 by default; an address that is not
//! loopback needs an explicit opt-in, because a replay or recording server exposes
//! its fixtures and admin API to whoever can reach it. A host name
//! (`localhost:4566`) is resolved, and the rule holds for every address it
//! resolves to.

use std::net::SocketAddr;

use tokio::net::TcpListener;

/// Why a listener could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("refusing to listen on {addr}: it is not a loopback address; pass --allow-remote to expose the server to the network")]
    Remote { addr: SocketAddr },
    #[error("refusing to listen on {spec}: it resolves to {addr}, which is not a loopback address; pass --allow-remote to expose the server to the network")]
    RemoteName { spec: String, addr: SocketAddr },
    #[error("cannot listen on {spec}: {reason}")]
    Resolve { spec: String, reason: String },
    #[error("cannot listen on {addr}: {error}")]
    Io {
        addr: SocketAddr,
        error: std::io::Error,
    },
}

/// Binds `addr`. Non-loopback addresses need `allow_remote`; when given, a
/// warning goes to the log.
pub async fn bind(addr: SocketAddr, allow_remote: bool) -> Result<TcpListener, BindError> {
    if !addr.ip().is_loopback() {
        if !allow_remote {
            return Err(BindError::Remote { addr });
        }
        tracing::warn!(%addr, "listening on a non-loopback address: anyone who can reach it can read the fixtures and the journal");
    }
    TcpListener::bind(addr)
        .await
        .map_err(|error| BindError::Io { addr, error })
}

/// Binds `spec`: an address (`127.0.0.1:4566`, `[::1]:0`) or a host name with
/// a port (`localhost:4566`), resolved. Every address it resolves to must be
/// loopback unless `allow_remote`; the first that can be bound is.
pub async fn bind_spec(spec: &str, allow_remote: bool) -> Result<TcpListener, BindError> {
    if let Ok(addr) = spec.parse::<SocketAddr>() {
        return bind(addr, allow_remote).await;
    }
    let resolve = |reason: String| BindError::Resolve {
        spec: spec.to_owned(),
        reason,
    };
    let port_ok = spec
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !port_ok {
        return Err(resolve(
            "expected HOST:PORT, such as 127.0.0.1:4566 or localhost:4566 (port 0 picks a free one)"
                .to_owned(),
        ));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(spec)
        .await
        .map_err(|e| resolve(format!("cannot resolve the host name: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(resolve("the host name resolves to no address".to_owned()));
    }
    if let Some(addr) = addrs.iter().find(|a| !a.ip().is_loopback()) {
        if !allow_remote {
            return Err(BindError::RemoteName {
                spec: spec.to_owned(),
                addr: *addr,
            });
        }
    }
    let mut last = None;
    for addr in addrs {
        match bind(addr, allow_remote).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("at least one address was tried"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn remote_addresses_need_opt_in() {
        let err = bind("0.0.0.0:0".parse().unwrap(), false).await.unwrap_err();
        assert!(err.to_string().contains("--allow-remote"), "{err}");
        let ok = bind("127.0.0.1:0".parse().unwrap(), false).await.unwrap();
        assert!(ok.local_addr().unwrap().ip().is_loopback());
    }

    #[tokio::test]
    async fn host_names_are_resolved_and_every_address_must_be_loopback() {
        let ok = bind_spec("localhost:0", false).await.unwrap();
        assert!(ok.local_addr().unwrap().ip().is_loopback());
        let err = bind_spec("localhost", false).await.unwrap_err();
        assert!(err.to_string().contains("expected HOST:PORT"), "{err}");
        let err = bind_spec("0.0.0.0:0", false).await.unwrap_err();
        assert!(err.to_string().contains("--allow-remote"), "{err}");
        let err = bind_spec("no-such-host.invalid:1", false)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("no-such-host.invalid:1: cannot resolve"),
            "{err}"
        );
    }
}
