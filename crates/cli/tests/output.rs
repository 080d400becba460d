//! What the CLI's speed-ups must not change (docs/PERFORMANCE.md, "The CLI"): a keyless endpoint
//! never reaches the keychain and an `http://` one never needs TLS roots; buffered output is the
//! whole answer, byte for byte, and still reaches stdout as soon as each read arrives.

use std::io::Read;
use std::os::unix::net::UnixListener;
use std::process::Stdio;
use std::time::Duration;

mod common;

use common::{interrupt, output, runnel};
use runnel_testkit::{Chunking, FakeServer, Reply, openai_stream, openai_text_of};

/// `runnel chat` at a keyless OpenAI-compatible endpoint (`ollama`) on `server`.
fn keyless_chat(server: &FakeServer, service: &str) -> std::process::Command {
    let mut command = runnel(service);
    command.args([
        "chat",
        "-m",
        "ollama/m",
        "--protocol",
        "openai",
        "--base-url",
        &format!("{}/v1", server.url()),
        "hi",
    ]);
    command
}

#[tokio::test]
async fn a_keyless_http_endpoint_needs_neither_the_keychain_nor_tls_roots() {
    let server = FakeServer::start().await;
    server.enqueue(Reply::sse(openai_stream(3)));
    // A session bus that notes every connection, and CA roots that cannot be read: either would
    // be touched if start-up asked the keychain or set up TLS for this http:// endpoint.
    let dir = tempfile::tempdir().unwrap();
    let bus = UnixListener::bind(dir.path().join("bus")).unwrap();
    bus.set_nonblocking(true).unwrap();
    let mut command = keyless_chat(&server, "keyless");
    command
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.path().join("bus").display()),
        )
        .env("SSL_CERT_FILE", dir.path().join("no-roots.pem"))
        .env("SSL_CERT_DIR", dir.path().join("no-roots"));
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
    assert_eq!(
        (code, stdout.as_str()),
        (0, format!("{}\n", openai_text_of(3)).as_str()),
        "{stderr}"
    );
    assert!(bus.accept().is_err(), "the keychain's D-Bus was contacted");

    // The same roots make an https:// endpoint fail clearly, at its first request.
    let mut command = runnel("keyless-https");
    command
        .env("SSL_CERT_FILE", dir.path().join("no-roots.pem"))
        .env("SSL_CERT_DIR", dir.path().join("no-roots"))
        .args([
            "chat",
            "-m",
            "ollama/m",
            "--protocol",
            "openai",
            "--base-url",
            "https://127.0.0.1:9/v1",
            "hi",
        ]);
    let (code, stdout, stderr) = output(&mut command);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.contains("error: config: cannot start the HTTP client"),
        "{stderr}"
    );
}

#[tokio::test]
async fn buffered_output_is_the_whole_answer_under_any_chunking() {
    let server = FakeServer::start().await;
    let deltas = 20_000;
    for chunking in [
        Chunking::Random { seed: 7, max: 700 },
        Chunking::Fixed(64 * 1024),
        Chunking::Whole,
    ] {
        server.enqueue(Reply::sse(openai_stream(deltas)).chunking(chunking.clone()));
        let mut command = keyless_chat(&server, "buffered");
        let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut command)).await.unwrap();
        assert_eq!(code, 0, "{chunking:?}: {stderr}");
        assert!(
            stdout == format!("{}\n", openai_text_of(deltas)),
            "{chunking:?}: the text differs"
        );
    }
}

#[tokio::test]
async fn the_text_of_each_read_reaches_stdout_while_the_stream_is_still_open() {
    let server = FakeServer::start().await;
    // The first read brings the role chunk and two deltas; the rest comes a minute later.
    let body = openai_stream(3);
    let third = body.windows(4).position(|w| w == b"tok2").unwrap();
    let first_read = body[..third].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    server.enqueue(
        Reply::sse(body)
            .chunking(Chunking::Sizes(vec![first_read, usize::MAX]))
            .delay(Duration::from_secs(60)),
    );
    let mut child = keyless_chat(&server, "prompt")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let read = tokio::task::spawn_blocking(move || {
        let mut first = [0u8; 10];
        stdout.read_exact(&mut first).map(|()| first)
    });
    let first = tokio::time::timeout(Duration::from_secs(20), read).await;
    interrupt(&child);
    let status = child.wait().unwrap();
    let first = first.expect("the first read's text reached stdout").unwrap().unwrap();
    assert_eq!(&first, b"tok0 tok1 ");
    assert_eq!(
        status.code(),
        Some(130),
        "stopped with Ctrl-C while the server was silent"
    );
}
