//! Port allocation on 127.0.0.1.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

use super::error::{Result, failed};

/// Returns a TCP port on 127.0.0.1 that was free a moment ago and that this process has not
/// returned before.
///
/// The port is found by binding port 0 and closing the socket, so another process can still
/// take it before the server binds it. Servers therefore retry with a new port when their first
/// start fails with `HarnessError::AddressInUse`. Remembering the ports returned keeps two
/// servers of one test process apart even while one of them is stopped.
pub fn free_port() -> Result<u16> {
    static RETURNED: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

    for _ in 0..100 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|error| failed(format!("could not bind 127.0.0.1:0 to find a free port: {error}")))?;
        let port = listener
            .local_addr()
            .map_err(|error| failed(format!("could not read the port of a bound socket: {error}")))?
            .port();
        drop(listener);

        if RETURNED.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return Ok(port);
        }
    }
    Err(failed("no unused port found on 127.0.0.1 after 100 tries"))
}
