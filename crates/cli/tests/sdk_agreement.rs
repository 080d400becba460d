//! Runnel reads what the official SDKs read from the same bytes (issue 19): for each protocol, a
//! fake of its API plays a stream, the official SDK (`openai`, `google-genai`, `ollama`, in the
//! venv `scripts/setup` makes from `tests/sdk/requirements.txt`) reads it through the script in
//! `tests/sdk/` that prints what it read in `runnel chat --events`'s vocabulary, `runnel chat
//! --events` reads the same bytes, and the two readings must agree on the text, the thinking,
//! the refusal, the tool calls (name and arguments), the usage (input, output and reasoning tokens, the
//! server's generation time), the
//! finish reason (the provider's own word) and the error (its provider code). Where Runnel's
//! careful-client policy reads more than the SDK — a stream that ends before its terminal event
//! is an `incomplete` error for Runnel and a silent end for the SDK — the test asserts exactly
//! that difference, after the same text.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::{output, runnel};
use runnel_testkit::{Chunking, End, FakeServer, Framing, Reply, fixture};

/// A protocol whose official SDK the test reads with: the SDK's reader script, where the SDK and
/// Runnel are pointed, and the path both must request.
struct Api {
    /// Runnel's protocol id.
    protocol: &'static str,
    /// The reader in `tests/sdk/`.
    script: &'static str,
    /// The path of the streaming request, as both clients must send it.
    chat_path: &'static str,
    /// The reply that carries a stream's bytes, with the API's content type.
    reply: fn(Vec<u8>) -> Reply,
    /// The base URL the SDK takes, from the fake server's.
    sdk_base_url: fn(&str) -> String,
    /// `runnel chat`'s arguments that point it at the fake server's URL with this protocol.
    runnel_args: fn(&str) -> Vec<String>,
    /// The environment `runnel chat` gets: the named provider's key.
    runnel_env: &'static [(&'static str, &'static str)],
}

const OPENAI_RESPONSES: Api = Api {
    protocol: "openai-responses",
    script: "openai_responses.py",
    chat_path: "/v1/responses",
    reply: Reply::sse,
    sdk_base_url: |url| format!("{url}/v1"),
    // The command: the named provider, its protocol picked, its server put in its place.
    runnel_args: |url| {
        let base_url = format!("{url}/v1");
        strings(&[
            "--provider",
            "openai",
            "--protocol",
            "openai-responses",
            "--base-url",
            &base_url,
        ])
    },
    runnel_env: &[("OPENAI_API_KEY", "sk-sdk-agreement-0123456789")],
};

const GEMINI: Api = Api {
    protocol: "gemini",
    script: "gemini.py",
    chat_path: "/v1beta/models/m:streamGenerateContent",
    reply: Reply::sse,
    sdk_base_url: |url| url.to_owned(),
    // The command: the named provider, its server put in its place.
    runnel_args: |url| strings(&["--provider", "gemini", "--protocol", "gemini", "--base-url", url]),
    runnel_env: &[("GEMINI_API_KEY", "sdk-agreement-0123456789")],
};

const OLLAMA: Api = Api {
    protocol: "ollama",
    script: "ollama_chat.py",
    chat_path: "/api/chat",
    reply: Reply::ndjson,
    sdk_base_url: |url| url.to_owned(),
    // The command: the named provider, its server put in its place.
    runnel_args: |url| strings(&["--provider", "ollama", "--protocol", "ollama", "--base-url", url]),
    runnel_env: &[],
};

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// How a case's stream ends, and so what the two readings must show.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ending {
    /// Both read the same ending: the same finish reason, or the same provider error.
    Same,
    /// The stream ends cleanly before its terminal event: the SDK just stops, Runnel reports an
    /// `incomplete` error; everything before it agrees.
    CutShort,
    /// The connection drops in the middle of an event, the HTTP body unfinished: the SDK raises
    /// its HTTP library's exception, Runnel reports a `network` error naming the broken
    /// connection; everything before it agrees.
    Dropped,
}

/// One stream both clients read.
struct Case {
    api: &'static Api,
    /// What the stream is, for the report.
    name: &'static str,
    body: Vec<u8>,
    chunking: Chunking,
    framing: Framing,
    end: End,
    ending: Ending,
}

fn case(api: &'static Api, fixture_name: &'static str, chunking: Chunking, ending: Ending) -> Case {
    Case {
        api,
        name: fixture_name,
        body: fixture(fixture_name),
        chunking,
        framing: Framing::Chunked,
        end: End::Finish,
        ending,
    }
}

/// `openai_responses_text.sse` with an event of a type no reader knows after its first text
/// delta: both must ignore it.
fn responses_with_unknown_event() -> Vec<u8> {
    let text = String::from_utf8(fixture("openai_responses_text.sse")).unwrap();
    let first_delta = text.find("event: response.output_text.delta").unwrap();
    let unknown = "event: response.gopher.delta\ndata: {\"type\":\"response.gopher.delta\",\"delta\":{\"x\":1},\"output_index\":\"one\",\"sequence_number\":99}\n\n";
    format!("{}{unknown}{}", &text[..first_delta], &text[first_delta..]).into_bytes()
}

/// Every case: add a protocol's by adding its `Api` and its lines here.
fn cases() -> Vec<Case> {
    let api = &OPENAI_RESPONSES;
    let random = Chunking::Random { seed: 19, max: 7 };
    let gemini = &GEMINI;
    let ollama = &OLLAMA;
    let text = fixture("openai_responses_text.sse");
    // Cut inside the 8th text delta's data line: mid-event.
    let mid_event = find_nth(&text, b"response.output_text.delta\",", 8) + 10;
    vec![
        case(api, "openai_responses_text.sse", Chunking::Whole, Ending::Same),
        case(api, "openai_responses_text.sse", Chunking::EveryByte, Ending::Same),
        case(api, "openai_responses_reasoning.sse", random.clone(), Ending::Same),
        case(api, "openai_responses_tool_call.sse", Chunking::EveryByte, Ending::Same),
        case(api, "openai_responses_incomplete.sse", random.clone(), Ending::Same),
        case(api, "openai_responses_failed.sse", Chunking::Whole, Ending::Same),
        case(api, "openai_responses_error.sse", Chunking::Whole, Ending::Same),
        case(api, "openai_responses_error_nested.sse", Chunking::Whole, Ending::Same),
        case(
            api,
            "openai_responses_no_completed.sse",
            Chunking::EveryByte,
            Ending::CutShort,
        ),
        Case {
            name: "openai_responses_text.sse with an unknown event",
            body: responses_with_unknown_event(),
            ..case(api, "openai_responses_text.sse", Chunking::Fixed(5), Ending::Same)
        },
        Case {
            name: "openai_responses_text.sse dropped inside its 8th text delta",
            end: End::DropAfter(mid_event),
            ..case(api, "openai_responses_text.sse", Chunking::Fixed(64), Ending::Dropped)
        },
        Case {
            name: "openai_responses_text.sse, close-delimited, ended inside its 8th text delta",
            end: End::DropAfter(mid_event),
            framing: Framing::CloseDelimited,
            ..case(api, "openai_responses_text.sse", Chunking::EveryByte, Ending::CutShort)
        },
        case(gemini, "gemini_text.sse", Chunking::EveryByte, Ending::Same),
        case(
            gemini,
            "gemini_thinking.sse",
            Chunking::Random { seed: 7, max: 9 },
            Ending::Same,
        ),
        case(gemini, "gemini_function_call.sse", Chunking::Whole, Ending::Same),
        case(gemini, "gemini_max_tokens.sse", Chunking::Whole, Ending::Same),
        case(gemini, "gemini_safety.sse", Chunking::Whole, Ending::Same),
        case(gemini, "gemini_prompt_blocked.sse", Chunking::Whole, Ending::Same),
        case(gemini, "gemini_error_midstream.sse", Chunking::Whole, Ending::Same),
        case(gemini, "gemini_no_finish.sse", Chunking::EveryByte, Ending::CutShort),
        case(ollama, "ollama_text.ndjson", Chunking::EveryByte, Ending::Same),
        case(ollama, "ollama_thinking.ndjson", random, Ending::Same),
        case(ollama, "ollama_tool_call.ndjson", Chunking::Whole, Ending::Same),
        case(ollama, "ollama_length.ndjson", Chunking::Whole, Ending::Same),
        case(ollama, "ollama_error.ndjson", Chunking::Whole, Ending::Same),
        case(ollama, "ollama_no_done.ndjson", Chunking::EveryByte, Ending::CutShort),
    ]
}

/// Where the `n`th (1-based) occurrence of `needle` starts in `haystack`.
fn find_nth(haystack: &[u8], needle: &[u8], n: usize) -> usize {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .nth(n - 1)
        .map(|(at, _)| at)
        .expect("the needle occurs often enough")
}

/// An error as a reader reported it.
#[derive(Debug, Clone, PartialEq)]
struct ErrorRead {
    /// Runnel's error kind (`incomplete`, `network`, `server`, …); the SDK has none.
    kind: Option<String>,
    /// The provider's error code or type, when the reader saw one.
    error_type: Option<String>,
    /// The SDK's exception class, when the SDK raised one.
    sdk_class: Option<String>,
    message: String,
}

/// Token counts as a reader reported them (a count it did not report is `None`).
#[derive(Debug, Default, Clone, PartialEq)]
struct UsageRead {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
    /// The server's own time generating the answer, in nanoseconds.
    generation_ns: Option<u64>,
}

/// What a reader read from one stream: the parts the test compares.
#[derive(Debug, Default, Clone, PartialEq)]
struct Reading {
    text: String,
    thinking: String,
    refusal: String,
    /// Each call's name and its whole arguments (as JSON when they parse, so that an SDK that
    /// hands over parsed arguments compares with the streamed text).
    tool_calls: Vec<(String, Value)>,
    /// The last usage reported.
    usage: Option<UsageRead>,
    /// The finish's raw reason, the provider's word.
    finish: Option<String>,
    error: Option<ErrorRead>,
}

/// Reads `--events` lines (Runnel's or an SDK reader's) into a [`Reading`].
fn reading(lines: &str, who: &str) -> Reading {
    let mut read = Reading::default();
    let mut arguments: Vec<String> = Vec::new();
    let word = |event: &Value, field: &str| event[field].as_str().map(str::to_owned);
    for line in lines.lines().filter(|line| !line.trim().is_empty()) {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("{who} printed a line that is not JSON ({error}): {line}"));
        let text = event["text"].as_str().unwrap_or_default();
        match event["type"].as_str().unwrap_or_default() {
            "text" => read.text.push_str(text),
            "thinking" => read.thinking.push_str(text),
            "refusal" => read.refusal.push_str(text),
            "tool_call" => {
                let index = event["index"].as_u64().expect("a tool call's index") as usize;
                if index == read.tool_calls.len() {
                    read.tool_calls
                        .push((word(&event, "name").unwrap_or_default(), Value::Null));
                    arguments.push(String::new());
                }
                arguments[index].push_str(event["arguments"].as_str().unwrap_or_default());
            }
            "usage" => {
                read.usage = Some(UsageRead {
                    input_tokens: event["input_tokens"].as_u64(),
                    output_tokens: event["output_tokens"].as_u64(),
                    reasoning_tokens: event["reasoning_tokens"].as_u64(),
                    generation_ns: event["generation_ns"].as_u64(),
                })
            }
            "finish" => read.finish = word(&event, "raw_reason"),
            "error" => {
                read.error = Some(ErrorRead {
                    kind: word(&event, "kind"),
                    error_type: word(&event, "error_type"),
                    sdk_class: word(&event, "sdk_class"),
                    message: word(&event, "message").unwrap_or_default(),
                })
            }
            _ => {}
        }
    }
    for ((_, parsed), text) in read.tool_calls.iter_mut().zip(arguments) {
        *parsed = serde_json::from_str(&text).unwrap_or(Value::String(text));
    }
    read
}

/// The venv with the official SDKs, made by `scripts/setup`: its Python, checked to hold the
/// pinned versions.
fn sdk_python() -> PathBuf {
    let venv = std::env::var_os("RUNNEL_SDK_VENV")
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").expect("HOME is set")).join(".cache/runnel/sdk-venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "the official SDKs' venv is missing ({} has no bin/python): run scripts/setup",
        venv.display()
    );
    let pinned = std::fs::read_to_string(sdk_dir().join("requirements.txt")).unwrap();
    let installed = std::fs::read_to_string(venv.join("requirements.txt")).unwrap_or_default();
    assert_eq!(
        installed,
        pinned,
        "the SDKs in {} are not the versions tests/sdk/requirements.txt pins: run scripts/setup",
        venv.display()
    );
    python
}

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sdk")
}

/// What the official SDK and `runnel chat --events` each read from one case's bytes.
async fn read_both(case: &Case, python: &Path) -> (Reading, Reading, Vec<String>) {
    let server = FakeServer::start().await;
    let reply = (case.api.reply)(case.body.clone())
        .chunking(case.chunking.clone())
        .framing(case.framing.clone())
        .end(case.end.clone());
    server.route(case.api.chat_path, reply);
    let url = server.url();

    let mut sdk = Command::new(python);
    for var in runnel_testkit::user_env() {
        sdk.env_remove(var);
    }
    sdk.env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(sdk_dir().join(case.api.script))
        .arg((case.api.sdk_base_url)(&url));
    let (code, sdk_out, sdk_err) = tokio::task::spawn_blocking(move || output(&mut sdk)).await.unwrap();
    assert_eq!(code, 0, "{} crashed on {}: {sdk_err}", case.api.script, case.name);

    let mut chat = runnel("sdk-agreement");
    chat.envs(case.api.runnel_env.iter().copied())
        .args(["chat", "--model", "m", "--events"])
        .args((case.api.runnel_args)(&url))
        .arg("hi");
    let (_, runnel_out, _) = tokio::task::spawn_blocking(move || output(&mut chat)).await.unwrap();

    let paths = server.requests().into_iter().map(|request| request.path).collect();
    (
        reading(&sdk_out, case.api.script),
        reading(&runnel_out, "runnel"),
        paths,
    )
}

/// How Runnel's reading differs from the SDK's in `case`, beyond what its ending allows.
fn disagreements(case: &Case, sdk: &Reading, runnel: &Reading, paths: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut differ = |what: &str, sdk: &dyn std::fmt::Debug, runnel: &dyn std::fmt::Debug| {
        found.push(format!("{what}: the SDK read {sdk:?}, Runnel {runnel:?}"));
    };
    let path = |path: &String| path.split('?').next().unwrap_or_default().to_owned();
    let expected = vec![case.api.chat_path.to_owned(); 2];
    if paths.iter().map(path).collect::<Vec<_>>() != expected {
        differ("requested paths (SDK's, then Runnel's)", &expected, &paths);
    }
    if sdk.text != runnel.text {
        differ("text", &sdk.text, &runnel.text);
    }
    if sdk.thinking != runnel.thinking {
        differ("thinking", &sdk.thinking, &runnel.thinking);
    }
    if sdk.refusal != runnel.refusal {
        differ("refusal", &sdk.refusal, &runnel.refusal);
    }
    if sdk.tool_calls != runnel.tool_calls {
        differ("tool calls (name, arguments)", &sdk.tool_calls, &runnel.tool_calls);
    }
    // Usage is the answer's count, which Runnel reports with its finish. A stream that does not
    // finish has none for Runnel, where an SDK may hand over a running count from before the
    // cut or the error (Gemini's usageMetadata rides on every chunk).
    if sdk.finish.is_some() {
        if sdk.usage != runnel.usage {
            differ(
                "usage (input, output, reasoning tokens, generation time)",
                &sdk.usage,
                &runnel.usage,
            );
        }
    } else if runnel.usage.is_some() {
        differ(
            "usage of a stream that did not finish (Runnel should report none)",
            &sdk.usage,
            &runnel.usage,
        );
    }
    if sdk.finish != runnel.finish {
        differ("finish reason", &sdk.finish, &runnel.finish);
    }
    let runnel_kind = runnel.error.as_ref().and_then(|error| error.kind.as_deref());
    match case.ending {
        Ending::Same => match (&sdk.error, &runnel.error) {
            (None, None) => {}
            (Some(theirs), Some(ours)) => {
                if theirs.error_type.is_some() && theirs.error_type != ours.error_type {
                    differ("error code", &theirs.error_type, &ours.error_type);
                }
                if !ours.message.contains(&theirs.message) {
                    differ(
                        "error message (Runnel's should contain the SDK's)",
                        &theirs.message,
                        &ours.message,
                    );
                }
            }
            (theirs, ours) => differ("error", theirs, ours),
        },
        Ending::CutShort => {
            if sdk.error.is_some() || sdk.finish.is_some() {
                differ(
                    "the SDK's ending (it should just stop)",
                    &(&sdk.finish, &sdk.error),
                    &"",
                );
            }
            if runnel_kind != Some("incomplete") {
                differ("Runnel's ending (it should be an incomplete error)", &"", &runnel.error);
            }
        }
        Ending::Dropped => {
            if sdk.error.as_ref().and_then(|error| error.sdk_class.as_ref()).is_none() {
                differ("the SDK's ending (it should raise)", &sdk.error, &"");
            }
            let broke = runnel
                .error
                .as_ref()
                .is_some_and(|error| error.message.contains("connection broke mid-stream"));
            if runnel_kind != Some("network") || !broke {
                differ(
                    "Runnel's ending (it should be a network error: the connection broke)",
                    &"",
                    &runnel.error,
                );
            }
        }
    }
    found
}

#[tokio::test]
async fn runnel_reads_what_the_official_sdks_read_from_the_same_bytes() {
    let python = sdk_python();
    let mut report = Vec::new();
    let cases = cases();
    for case in &cases {
        let (sdk, runnel, paths) = read_both(case, &python).await;
        // A reader that read nothing would agree with another that read nothing.
        assert!(
            !sdk.text.is_empty() || !sdk.tool_calls.is_empty() || sdk.error.is_some() || sdk.finish.is_some(),
            "{} read nothing from {}: {sdk:?}",
            case.api.script,
            case.name
        );
        for found in disagreements(case, &sdk, &runnel, &paths) {
            report.push(format!(
                "{} ({:?}), {}: {found}",
                case.name, case.chunking, case.api.protocol
            ));
        }
    }
    assert!(
        report.is_empty(),
        "Runnel and the official SDKs read the same bytes differently:\n{}",
        report.join("\n")
    );
}
