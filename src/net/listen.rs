//! Binding a listener. Servers bind 127.0.0.1 by default; an address that is not
//! loopback needs an explicit opt-in, because a replay or recording server exposes
//! its fixtures and admin API to whoever can reach it.

use std::net::SocketAddr;

use tokio::net::TcpListener;

/// Why a listener could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("refusing to listen on {addr}: it is not a loopback address; pass --allow-remote to expose the server to the network")]
    Remote { addr: SocketAddr },
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
}
