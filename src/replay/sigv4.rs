//! SigV4 checks on incoming requests.
