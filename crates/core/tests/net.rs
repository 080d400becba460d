//! The network around a stream, for real on 127.0.0.1: redirects never carry a key to another
//! origin, proxies from the environment never see loopback traffic, and TLS streams and stops.

mod common;

use std::time::Duration;

use common::{SECRET, endpoint, request, run_to_end};
use runnel_core::net::{self, Proxies};
use runnel_core::provider::protocol;
use runnel_core::{
    Completion, Endpoint, Engine, ErrorKind, MemoryStore, Outcome, StreamError, StreamEvent, StreamOptions, Timeouts,
    resolve,
};
use runnel_testkit::{End, FakeServer, Reply, fixture, openai_stream, openai_text_of};

const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(2),
    first_byte: Duration::from_secs(5),
    idle: Duration::from_secs(5),
};

fn failure(completion: &Completion) -> &StreamError {
    match &completion.outcome {
        Outcome::Error { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn assert_finished(completion: &Completion) {
    assert!(
        matches!(completion.outcome, Outcome::Done { .. }),
        "{:?}",
        completion.outcome
    );
}

fn engine_with(proxies: &Proxies) -> Engine {
    Engine::with_client(
        net::client_builder(&TIMEOUTS, proxies).unwrap().build().unwrap(),
        TIMEOUTS,
    )
}

/// Runs this test binary again as `child` describes, off the runtime (whose servers it calls).
async fn run_child(mut child: std::process::Command) -> bool {
    let status = tokio::task::spawn_blocking(move || child.status())
        .await
        .unwrap()
        .unwrap();
    status.success()
}

// ---- redirects ----------------------------------------------------------------------------

#[tokio::test]
async fn a_key_never_follows_a_redirect_to_another_origin() {
    for protocol_id in ["anthropic", "openai"] {
        let elsewhere = FakeServer::start().await;
        elsewhere.enqueue(Reply::sse(fixture("anthropic_text.sse")));
        let provider = FakeServer::start().await;
        let chat_path = if protocol_id == "openai" {
            "/v1/chat/completions"
        } else {
            "/v1/messages"
        };
        let target = format!("{}{chat_path}", elsewhere.url());
        provider.route(chat_path, Reply::json(307, "{}").header("location", &target));

        let completion = run_to_end(&common::engine(), &endpoint(&provider, protocol_id)).await;
        let error = failure(&completion);
        assert_eq!(error.kind, ErrorKind::Config, "{protocol_id}: {error:?}");
        assert!(
            error.message.contains(&target) && error.message.contains("set the base URL"),
            "{}",
            error.message
        );
        assert!(!error.message.contains(SECRET));
        assert_eq!(provider.requests().len(), 1);
        assert_eq!(
            elsewhere.connection_count(),
            0,
            "{protocol_id}: nothing reached the other origin"
        );
    }
}

#[tokio::test]
async fn listing_models_does_not_follow_a_redirect_to_another_origin_either() {
    let elsewhere = FakeServer::start().await;
    let provider = FakeServer::start().await;
    let target = format!("{}/v1/models", elsewhere.url());
    provider.route("/v1/models", Reply::json(302, "{}").header("location", &target));
    let error = common::engine()
        .models(&endpoint(&provider, "openai"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Config, "{error:?}");
    assert!(error.message.contains(&target), "{}", error.message);
    assert_eq!(elsewhere.connection_count(), 0);
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_with_the_key() {
    let provider = FakeServer::start().await;
    provider.route(
        "/old/v1/messages",
        Reply::json(308, "{}").header("location", "/v1/messages"),
    );
    provider.route("/v1/messages", Reply::sse(fixture("anthropic_text.sse")));
    let moved = Endpoint::new(
        "test",
        protocol("anthropic").unwrap(),
        &format!("{}/old", provider.url()),
        Some(runnel_core::ApiKey::new(SECRET)),
    );
    let completion = run_to_end(&common::engine(), &moved).await;
    assert_finished(&completion);
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].path, "/v1/messages");
    assert_eq!(requests[1].header("x-api-key"), Some(SECRET));
}

// ---- proxies ------------------------------------------------------------------------------

/// Every proxy variable pointing at `proxy`, and no `NO_PROXY`.
fn all_proxies_at(proxy: &FakeServer) -> Proxies {
    let url = proxy.url();
    Proxies::from_vars(&move |name| {
        matches!(
            name,
            "HTTP_PROXY" | "HTTPS_PROXY" | "ALL_PROXY" | "http_proxy" | "https_proxy" | "all_proxy"
        )
        .then(|| url.clone())
    })
}

#[tokio::test]
async fn loopback_never_goes_through_a_proxy() {
    let proxy = FakeServer::start().await;
    let engine = engine_with(&all_proxies_at(&proxy));

    let provider = FakeServer::start().await;
    provider.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    provider.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let by_ip = run_to_end(&engine, &endpoint(&provider, "anthropic")).await;
    assert_finished(&by_ip);
    let by_name = Endpoint::new(
        "test",
        protocol("anthropic").unwrap(),
        &format!("http://localhost:{}", provider.addr().port()),
        None,
    );
    let by_name = run_to_end(&engine, &by_name).await;
    assert_finished(&by_name);

    let (demo, _) = resolve("demo", None, &MemoryStore::default()).unwrap();
    let demo = run_to_end(&engine, &demo).await;
    assert_finished(&demo);

    assert_eq!(provider.requests().len(), 2);
    assert_eq!(proxy.connection_count(), 0, "the proxy was never contacted");
}

#[tokio::test]
async fn other_hosts_go_through_the_proxy() {
    let proxy = FakeServer::start().await;
    // The proxy itself answers: no name is looked up and nothing leaves 127.0.0.1.
    proxy.enqueue(Reply::sse(openai_stream(3)));
    let engine = engine_with(&all_proxies_at(&proxy));
    let far = Endpoint::new("far", protocol("openai").unwrap(), "http://example.invalid/v1", None);
    let completion = run_to_end(&engine, &far).await;
    assert_finished(&completion);
    assert_eq!(completion.text, openai_text_of(3));
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "http://example.invalid/v1/chat/completions");
}

/// Run by [`engine_new_takes_proxies_from_the_environment`] in a child process whose
/// environment names the proxy: `Engine::new` must read it, and keep loopback direct.
#[tokio::test]
#[ignore = "run in a child process by engine_new_takes_proxies_from_the_environment"]
async fn child_streams_with_proxies_from_the_environment() {
    let (Ok(provider), Ok(far)) = (std::env::var("RUNNEL_TEST_PROVIDER"), std::env::var("RUNNEL_TEST_FAR")) else {
        return;
    };
    let engine = Engine::new(TIMEOUTS).unwrap();
    for url in [provider, far] {
        let endpoint = Endpoint::new("t", protocol("openai").unwrap(), &url, None);
        let completion = run_to_end(&engine, &endpoint).await;
        assert!(
            matches!(completion.outcome, Outcome::Done { .. }),
            "{url}: {:?}",
            completion.outcome
        );
    }
}

#[tokio::test]
async fn engine_new_takes_proxies_from_the_environment() {
    let proxy = FakeServer::start().await;
    proxy.enqueue(Reply::sse(openai_stream(2)));
    let provider = FakeServer::start().await;
    provider.enqueue(Reply::sse(openai_stream(2)));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "child_streams_with_proxies_from_the_environment",
            "--include-ignored",
            "--quiet",
        ])
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("all_proxy")
        .env("http_proxy", proxy.url())
        .env("ALL_PROXY", proxy.url())
        .env("RUNNEL_TEST_PROVIDER", format!("{}/v1", provider.url()))
        .env("RUNNEL_TEST_FAR", "http://example.invalid/v1");
    assert!(run_child(child).await);
    assert_eq!(provider.requests().len(), 1, "loopback went direct");
    let via_proxy = proxy.requests();
    assert_eq!(via_proxy.len(), 1, "only the far host went through the proxy");
    assert!(
        via_proxy[0].path.starts_with("http://example.invalid/"),
        "{}",
        via_proxy[0].path
    );
}

// ---- TLS ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_stream_over_tls_completes_and_stops() {
    let server = FakeServer::start_tls().await;
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let root = reqwest::Certificate::from_pem(server.certificate_pem().unwrap().as_bytes()).unwrap();
    let client = net::client_builder(&TIMEOUTS, &Proxies::default())
        .unwrap()
        .tls_certs_only([root])
        .build()
        .unwrap();
    let engine = Engine::with_client(client, TIMEOUTS);

    server.enqueue(Reply::sse(openai_stream(5)));
    let completion = run_to_end(&engine, &endpoint(&server, "openai")).await;
    assert_finished(&completion);
    assert_eq!(completion.text, openai_text_of(5));
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );

    // A stream that keeps going until stopped: the server sees the TLS connection close.
    server.enqueue(
        Reply::sse(openai_stream(10_000))
            .delay(Duration::from_millis(5))
            .end(End::Hang),
    );
    let mut stream = engine.stream(&endpoint(&server, "openai"), &request(), StreamOptions::default());
    while let Some(event) = stream.next().await {
        if matches!(event, StreamEvent::TextDelta { .. }) {
            break;
        }
    }
    stream.stop();
    assert_eq!(stream.finish().await.outcome, Outcome::Stopped);
    let connection = server.wait_connection(1, Duration::from_secs(2)).await;
    assert!(
        connection.wait_closed_by_client(Duration::from_secs(2)).await.is_some(),
        "the server saw the stop"
    );

    // The certificate is really checked: a client without it refuses the server.
    let completion = run_to_end(&common::engine(), &endpoint(&server, "openai")).await;
    assert_eq!(failure(&completion).kind, ErrorKind::Network);
}

// ---- env keys -----------------------------------------------------------------------------

const OPENAI_ENV_KEY: &str = "sk-openai-from-env-1234";
const ANTHROPIC_ENV_KEY: &str = "sk-ant-from-env-5678";

/// Run by [`env_keys_go_only_to_their_own_provider`] in a child process whose environment holds
/// the SDKs' key and base-URL variables.
#[tokio::test]
#[ignore = "run in a child process by env_keys_go_only_to_their_own_provider"]
async fn child_resolves_every_provider_with_env_keys() {
    let Ok(custom) = std::env::var("RUNNEL_TEST_CUSTOM") else {
        return;
    };
    let store = MemoryStore::default();
    let engine = common::engine();
    for (provider, base_url) in [
        ("openai", None),
        ("anthropic", None),
        ("custom", Some(custom.as_str())),
        ("vllm", Some(custom.as_str())),
    ] {
        let (endpoint, _) = resolve(provider, base_url, &store).unwrap();
        assert_finished(&run_to_end(&engine, &endpoint).await);
    }
}

#[tokio::test]
async fn env_keys_go_only_to_their_own_provider() {
    let openai = FakeServer::start().await;
    openai.enqueue(Reply::sse(openai_stream(1)));
    let anthropic = FakeServer::start().await;
    anthropic.enqueue(Reply::sse(fixture("anthropic_text.sse")));
    let custom = FakeServer::start().await;
    custom.enqueue(Reply::sse(openai_stream(1)));
    custom.enqueue(Reply::sse(openai_stream(1)));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "child_resolves_every_provider_with_env_keys",
            "--include-ignored",
            "--quiet",
        ])
        .env("OPENAI_API_KEY", OPENAI_ENV_KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", openai.url()))
        .env("ANTHROPIC_API_KEY", ANTHROPIC_ENV_KEY)
        .env("ANTHROPIC_BASE_URL", anthropic.url())
        .env("RUNNEL_TEST_CUSTOM", format!("{}/v1", custom.url()))
        .env_remove("VLLM_API_KEY")
        .env_remove("VLLM_BASE_URL");
    assert!(run_child(child).await);

    let to_openai = &openai.requests()[0];
    assert_eq!(
        to_openai.header("authorization"),
        Some(format!("Bearer {OPENAI_ENV_KEY}").as_str())
    );
    assert_eq!(to_openai.header("x-api-key"), None);
    let to_anthropic = &anthropic.requests()[0];
    assert_eq!(to_anthropic.header("x-api-key"), Some(ANTHROPIC_ENV_KEY));
    assert_eq!(to_anthropic.header("authorization"), None);
    let to_custom = custom.requests();
    assert_eq!(to_custom.len(), 2);
    for request in &to_custom {
        assert_eq!(
            (request.header("authorization"), request.header("x-api-key")),
            (None, None)
        );
    }
}
