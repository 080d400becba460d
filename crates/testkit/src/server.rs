//! The fake HTTP/1.1 server: accepts on 127.0.0.1, records requests, and plays
//! scripted replies one request per connection.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::connection::ConnectionLog;
use crate::reply::{End, Reply};
use crate::request::{RecordedRequest, read_request};
use crate::tls::Identity;

/// How long a finished connection stays open, after the server's FIN, to drain
/// the client's bytes and see it close.
const LINGER: Duration = Duration::from_secs(10);

/// Body chunks up to this size are framed into one buffer and written at once; larger ones are
/// written as they are.
const COPY_LIMIT: usize = 16 * 1024;

/// The body sent when a request finds neither a route nor a queued reply.
const UNSCRIPTED: &str = r#"{"error":{"message":"no reply scripted","type":"testkit"}}"#;

/// A real HTTP/1.1 server on `127.0.0.1:<ephemeral port>` that answers with
/// scripted [`Reply`]s.
///
/// Each connection carries one request and gets `Connection: close`. A request
/// is answered by the [route](FakeServer::route) for its path if there is one,
/// else by the next [queued](FakeServer::enqueue) reply, else with a 500
/// `{"error":{"message":"no reply scripted","type":"testkit"}}`.
///
/// Dropping the server stops accepting and aborts every connection it still holds.
///
/// [`FakeServer::start_tls`] serves the same over HTTPS, with a certificate of its own.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
    tls: Option<Arc<Identity>>,
}

struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<()>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Reply>,
    routes: HashMap<String, Reply>,
    requests: Vec<RecordedRequest>,
    connections: Vec<ConnectionLog>,
}

impl FakeServer {
    /// Binds `127.0.0.1:0` and starts accepting; call it inside a tokio runtime.
    pub async fn start() -> FakeServer {
        FakeServer::start_with(None).await
    }

    /// Like [`start`](FakeServer::start), over TLS: a fresh self-signed certificate for
    /// `127.0.0.1` and `localhost`, which a client must trust
    /// ([`certificate_pem`](FakeServer::certificate_pem)). Connections are logged when
    /// accepted, before the handshake.
    pub async fn start_tls() -> FakeServer {
        FakeServer::start_with(Some(Arc::new(Identity::generate()))).await
    }

    async fn start_with(tls: Option<Arc<Identity>>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address of the listener");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: watch::Sender::new(()),
        });
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone(), tls.clone()));
        FakeServer {
            addr,
            shared,
            accept_task,
            tls,
        }
    }

    /// The base URL, `http://127.0.0.1:PORT` (`https://` for a TLS server; no trailing slash).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// A TLS server's certificate, PEM-encoded (the root a client must trust); `None` for
    /// plain HTTP.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.tls.as_deref().map(|identity| identity.certificate_pem.as_str())
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply: the next request without a route gets the oldest queued reply.
    pub fn enqueue(&self, reply: Reply) {
        self.shared.update(|s| s.queue.push_back(reply));
    }

    /// Answers every request whose path (query string ignored) equals `path`
    /// with `reply`, before the queue is consulted; replaces an earlier route.
    pub fn route(&self, path: &str, reply: Reply) {
        self.shared.update(|s| s.routes.insert(path.to_string(), reply));
    }

    /// All requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.read(|s| s.requests.clone())
    }

    /// Waits until at least `n` requests arrived and returns all of them; panics on timeout.
    pub async fn wait_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let found = self
            .shared
            .wait_for(timeout, |s| (s.requests.len() >= n).then(|| s.requests.clone()))
            .await;
        found.unwrap_or_else(|| {
            panic!(
                "timed out after {timeout:?} waiting for {n} requests (have {})",
                self.requests().len()
            )
        })
    }

    /// The log of the `index`-th accepted connection (0-based); panics if there is none yet.
    pub fn connection(&self, index: usize) -> ConnectionLog {
        self.shared
            .read(|s| s.connections.get(index).cloned())
            .unwrap_or_else(|| panic!("no connection #{index} (accepted {})", self.connection_count()))
    }

    /// Waits until the `index`-th connection (0-based) is accepted and returns its log; panics on timeout.
    pub async fn wait_connection(&self, index: usize, timeout: Duration) -> ConnectionLog {
        let found = self
            .shared
            .wait_for(timeout, |s| s.connections.get(index).cloned())
            .await;
        found.unwrap_or_else(|| {
            panic!(
                "timed out after {timeout:?} waiting for connection #{index} (accepted {})",
                self.connection_count()
            )
        })
    }

    /// How many connections were accepted so far.
    pub fn connection_count(&self) -> usize {
        self.shared.read(|s| s.connections.len())
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl Shared {
    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.send_replace(());
        out
    }

    /// Waits until `f` returns `Some`, or `timeout` passes.
    async fn wait_for<T>(&self, timeout: Duration, f: impl Fn(&State) -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.changed.subscribe();
        loop {
            if let Some(found) = self.read(&f) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
                return self.read(&f);
            }
        }
    }

    /// Records the request and picks its reply: route, else queue, else the 500.
    fn answer(&self, request: RecordedRequest) -> Reply {
        self.update(|s| {
            let reply = s
                .routes
                .get(request.path_without_query())
                .cloned()
                .or_else(|| s.queue.pop_front())
                .unwrap_or_else(|| Reply::json(500, UNSCRIPTED));
            s.requests.push(request);
            reply
        })
    }
}

/// Accepts forever; each connection runs in its own task, owned by a `JoinSet`
/// so that aborting this task aborts them all.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, tls: Option<Arc<Identity>>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let log = ConnectionLog::new();
        shared.update(|s| s.connections.push(log.clone()));
        connections.spawn(connect(stream, shared.clone(), log, tls.clone()));
    }
}

/// Sets up one connection (TLS handshake included) and serves it.
async fn connect(stream: TcpStream, shared: Arc<Shared>, log: ConnectionLog, tls: Option<Arc<Identity>>) {
    // Without Nagle every chunk leaves as soon as it is written.
    let _ = stream.set_nodelay(true);
    match tls {
        None => {
            let (reader, writer) = stream.into_split();
            serve(reader, writer, shared, log).await;
        }
        Some(identity) => match identity.accept(stream).await {
            Ok(stream) => {
                let (reader, writer) = tokio::io::split(stream);
                serve(reader, writer, shared, log).await;
            }
            // The client refused the certificate or hung up during the handshake.
            Err(_) => log.mark_closed_by_client(),
        },
    }
}

/// Serves one connection: reads the request, writes the reply while watching
/// for the client to close, then ends the connection as the reply says.
async fn serve<R, W>(mut reader: R, mut writer: W, shared: Arc<Shared>, log: ConnectionLog)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let request = match read_request(&mut reader).await {
        Ok(request) => request,
        Err(e) => {
            if e.kind() != io::ErrorKind::InvalidData {
                log.mark_closed_by_client();
            }
            return;
        }
    };
    let reply = shared.answer(request);
    let client_closed = watch_for_close(reader, &log);
    tokio::pin!(client_closed);
    let reply = match reply.rendezvous.clone() {
        None => reply,
        Some(rendezvous) => tokio::select! {
            () = &mut client_closed => return,
            met = rendezvous.meet() => if met {
                reply
            } else {
                let error = serde_json::json!({"error": {"message": rendezvous.missed(), "type": "testkit"}});
                Reply::json(504, &error.to_string())
            },
        },
    };
    tokio::select! {
        () = &mut client_closed => return,
        written = write_reply(&mut writer, &reply, &log) => if written.is_err() {
            log.mark_closed_by_client();
            return;
        },
    }
    match reply.end {
        End::Hang | End::Endless(_) => client_closed.await,
        End::Finish | End::DropAfter(_) => {
            let _ = writer.shutdown().await;
            let _ = tokio::time::timeout(LINGER, client_closed).await;
        }
    }
}

/// Reads (and discards) until the client closes or the read fails, then records it.
async fn watch_for_close(mut reader: impl AsyncRead + Unpin, log: &ConnectionLog) {
    let mut buf = [0u8; 4096];
    while let Ok(1..) = reader.read(&mut buf).await {}
    log.mark_closed_by_client();
}

/// Writes the head, then each body chunk with its own write and flush, pausing
/// `delay` between chunks, then the terminator if the reply finishes properly.
async fn write_reply(writer: &mut (impl AsyncWrite + Unpin), reply: &Reply, log: &ConnectionLog) -> io::Result<()> {
    if !reply.first_byte_delay.is_zero() {
        tokio::time::sleep(reply.first_byte_delay).await;
    }
    send(writer, &reply.head()).await?;
    for (i, chunk) in reply.chunks().into_iter().enumerate() {
        if i > 0 && !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        send_chunk(writer, reply, chunk).await?;
        log.add_written(chunk.len());
    }
    if let End::Endless(pattern) = &reply.end {
        let encoded = reply.encode_chunk(pattern);
        loop {
            if !reply.delay.is_zero() {
                tokio::time::sleep(reply.delay).await;
            }
            send(writer, &encoded).await?;
            log.add_written(pattern.len());
        }
    }
    let terminator = reply.terminator();
    if !terminator.is_empty() {
        send(writer, terminator).await?;
    }
    Ok(())
}

/// Writes one body chunk and flushes: in one write when small, as it is (no copy) when large,
/// so that a server writing tens of MB at once spends no time copying them.
async fn send_chunk(writer: &mut (impl AsyncWrite + Unpin), reply: &Reply, chunk: &[u8]) -> io::Result<()> {
    if chunk.len() <= COPY_LIMIT {
        return send(writer, &reply.encode_chunk(chunk)).await;
    }
    for part in reply.frame_chunk(chunk) {
        writer.write_all(&part).await?;
    }
    writer.flush().await
}

async fn send(writer: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) -> io::Result<()> {
    writer.write_all(bytes).await?;
    writer.flush().await
}
