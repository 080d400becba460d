//! A loopback address where new connections hang, for connect-timeout tests.
//!
//! A listener with a backlog of 0 that never accepts is filled with
//! connections until its accept queue is full; from then on Linux drops every
//! new SYN, so a connect neither succeeds nor is refused until the client gives
//! up. Everything stays on 127.0.0.1.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

/// A successful loopback connect takes microseconds; one that takes this long has hung.
const HUNG_AFTER: Duration = Duration::from_millis(100);
/// Fillers tried before giving up (backlog 0 needs one or two).
const MAX_FILLERS: usize = 16;

/// A loopback address whose connects hang; keep it alive for as long as the
/// address is used (it owns the listener and the connections that fill it).
#[derive(Debug)]
pub struct Tarpit {
    /// `http://127.0.0.1:PORT`, the base URL of the tarpit.
    pub url: String,
    /// The tarpit's socket address.
    pub addr: SocketAddr,
    _listener: TcpListener,
    _fillers: Vec<TcpStream>,
}

/// Creates a [`Tarpit`]: blocks for about 100 ms while it proves that a
/// connect to it hangs; panics if it cannot make one (the accept queue never filled).
pub fn tarpit() -> Tarpit {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("create tarpit socket");
    let bind_to: SocketAddr = ([127, 0, 0, 1], 0).into();
    socket.bind(&bind_to.into()).expect("bind tarpit to 127.0.0.1:0");
    socket.listen(0).expect("listen with backlog 0");
    let listener: TcpListener = socket.into();
    let addr = listener.local_addr().expect("tarpit address");
    let mut fillers = Vec::new();
    // Fill the accept queue until a connect hangs: its SYN was dropped, and so
    // will every later one be while the fillers stay connected and unaccepted.
    while fillers.len() < MAX_FILLERS {
        match TcpStream::connect_timeout(&addr, HUNG_AFTER) {
            Ok(stream) => fillers.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Tarpit {
                    url: format!("http://{addr}"),
                    addr,
                    _listener: listener,
                    _fillers: fillers,
                };
            }
            Err(e) => panic!("tarpit filler connect to {addr} failed: {e}"),
        }
    }
    panic!("tarpit at {addr}: {MAX_FILLERS} connects succeeded, the accept queue never filled");
}
