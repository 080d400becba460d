//! The `.sse` file: a recorded response body byte for byte, and beside it a JSON sidecar
//! (`answer.sse` → `answer.sse.json`) holding what replaying it needs: the protocol, the model,
//! the status and content type, and the chunk boundaries with their arrival times.
//!
//! The body alone is a valid file: any tool reads it as the event stream it is (`cat`, `curl
//! --data-binary`, a test fixture). The sidecar is small, readable and diffable, one chunk a line:
//!
//! ```json
//! {
//!   "format": "runnel-sse",
//!   "version": 1,
//!   "protocol": "openai",
//!   "model": "gpt-4o-mini",
//!   "status": 200,
//!   "content_type": "text/event-stream",
//!   "head_ms": 212.4,
//!   "truncated": false,
//!   "key_runs_masked": 1,
//!   "chunks": [
//!     [215.03, 412],
//!     [260.981, 388]
//!   ]
//! }
//! ```
//!
//! Each chunk is `[arrival ms since the request was sent, bytes]`; the bytes add up to the body's
//! length. `key_runs_masked` (written only when not 0) says how many runs of the request's API key
//! the body held — a server or proxy echoing it in an error — each replaced by as many `*`s, so
//! the offsets and times still hold ([`Recording::key_runs_masked`]). A file is hostile input: both parts are read under limits
//! ([`Limits::recording_bytes`] for the body, [`SIDECAR_BYTES`] for the sidecar) and every field
//! is checked, each failure naming the file and what is wrong. A missing sidecar is no error: the
//! body is replayed in one piece, its protocol guessed by decoding it with each protocol.
//!
//! Writing never follows a symbolic link: [`write`] (a path a person named) replaces only
//! regular files, and [`write_numbered`] (a name Runnel chose) creates both files new, taking
//! the next free name for the pair.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::body::{BodyDecoder, End, Part};
use crate::limits::{Limits, size};
use crate::provider::{PROTOCOLS, Protocol, protocol};
use crate::recording::{RecordedChunk, Recording};

/// The sidecar's `format` field.
pub const FORMAT: &str = "runnel-sse";
/// The sidecar's `version` this build writes and reads.
pub const VERSION: u32 = 1;
/// The most bytes a sidecar may have: enough for [`Limits::recording_chunks`] chunks of a
/// 64 MiB body (about 26 bytes a line).
pub const SIDECAR_BYTES: usize = 32 << 20;
/// How many numbered names [`write_numbered`] tries (`a.sse`, `a-2.sse`, … `a-10000.sse`).
const NAMES_TRIED: u32 = 10_000;
/// The latest arrival time a sidecar may name (about 11 days): no stream is that long, and a
/// replay never waits longer than it.
const MAX_MS: f64 = 1e9;

/// A recording read back from an `.sse` file.
#[derive(Debug, Clone, PartialEq)]
pub struct SseFile {
    /// The response: from the sidecar, or (without one) the body in one chunk at 0 ms with
    /// status 200, the protocol guessed from the body and its framing's content type
    /// (`text/event-stream` for SSE).
    pub recording: Recording,
    /// True when a sidecar gave the arrival times; false when the body came alone.
    pub timed: bool,
}

/// Why an `.sse` file cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SseFileError {
    /// The file (or its sidecar) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file (or its sidecar) could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is larger than a recording may be.
    #[error("{} is larger than the limit of {limit} for {what}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What the file is (a recorded body, a sidecar).
        what: &'static str,
        /// The limit, for a person (`64 MiB`).
        limit: String,
    },
    /// The sidecar is malformed or does not match the body.
    #[error("{} is not a valid sidecar: {reason}", path.display())]
    Sidecar {
        /// The sidecar.
        path: PathBuf,
        /// What is wrong, for a person.
        reason: String,
    },
    /// Something other than a regular file is where a file would be written: it is left as it
    /// is (a symbolic link is never followed).
    #[error("{} is {what}, not a regular file: it is left as it is", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What is there (`a symbolic link`, `a directory`).
        what: &'static str,
    },
    /// A file (or anything else, a dangling symbolic link included) is already at the path.
    #[error("{} already exists", path.display())]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// Every numbered name [`write_numbered`] tries is taken.
    #[error("no free name for {stem}.sse in {}: {tried} names are taken", dir.display())]
    NoFreeName {
        /// The folder.
        dir: PathBuf,
        /// The name before the number.
        stem: String,
        /// How many names were tried.
        tried: u32,
    },
    /// The recording has no response to save (the request never got one).
    #[error("no response arrived, so there is no stream to save")]
    NoResponse,
}

/// The sidecar's fields, in the order they are written.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    protocol: String,
    #[serde(default)]
    model: Option<String>,
    status: u16,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    head_ms: Option<f64>,
    #[serde(default)]
    truncated: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    key_runs_masked: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// The sidecar as read: the header and the chunks.
#[derive(Debug, Deserialize)]
struct Sidecar {
    #[serde(flatten)]
    header: Header,
    chunks: Vec<(f64, usize)>,
}

/// Where the sidecar of `path` is: the same name with `.json` added (`a.sse` → `a.sse.json`).
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".json");
    PathBuf::from(name)
}

/// Writes `recording` to `path` (the body, byte for byte) and its sidecar beside it; returns the
/// sidecar's path. A regular file at either path is replaced (the person named it); anything
/// else there, a symbolic link above all, is refused and left as it is before either is touched.
pub fn write(path: &Path, recording: &Recording) -> Result<PathBuf, SseFileError> {
    let text = sidecar(recording)?;
    let sidecar = sidecar_path(path);
    for path in [path, &sidecar] {
        check_replaceable(path)?;
    }
    for path in [path, &sidecar] {
        remove_file(path)?;
    }
    // New files: if a link appeared since the check, creating fails instead of following it.
    create_pair(path, &sidecar, recording, &text)?;
    Ok(sidecar)
}

/// Writes `recording` into `dir` as `stem.sse` and its sidecar, or as `stem-2.sse`, `stem-3.sse`,
/// …: the first name free for both files, never over anything already there (a dangling
/// symbolic link included). Writes that run at once take different names. Returns the body's path.
pub fn write_numbered(dir: &Path, stem: &str, recording: &Recording) -> Result<PathBuf, SseFileError> {
    let text = sidecar(recording)?;
    for number in 1..=NAMES_TRIED {
        let path = match number {
            1 => dir.join(format!("{stem}.sse")),
            number => dir.join(format!("{stem}-{number}.sse")),
        };
        match create_pair(&path, &sidecar_path(&path), recording, &text) {
            Err(SseFileError::Exists { .. }) => continue,
            written => return written.map(|()| path),
        }
    }
    Err(SseFileError::NoFreeName {
        dir: dir.to_owned(),
        stem: stem.to_owned(),
        tried: NAMES_TRIED,
    })
}

/// Creates the body at `path` and the sidecar `text` at `sidecar` as new files
/// ([`OpenOptions::create_new`], which fails on anything already there and never follows a
/// symbolic link), and fills them. On a failure, removes what it created: a pair is written whole
/// or not at all.
fn create_pair(path: &Path, sidecar: &Path, recording: &Recording, text: &str) -> Result<(), SseFileError> {
    let body = create_new(path)?;
    let sidecar_file = create_new(sidecar).inspect_err(|_| {
        let _ = fs::remove_file(path);
    })?;
    let filled = fill(body, path, recording.chunks.iter().map(|chunk| &chunk.bytes[..]))
        .and_then(|()| fill(sidecar_file, sidecar, [text.as_bytes()]));
    if filled.is_err() {
        let _ = fs::remove_file(path);
        let _ = fs::remove_file(sidecar);
    }
    filled
}

/// Opens `path` as a new file.
fn create_new(path: &Path) -> Result<File, SseFileError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => SseFileError::Exists { path: path.to_owned() },
            _ => write_error(path)(source),
        })
}

/// Writes `parts` to `file` (at `path`, which errors name) and flushes it.
fn fill<'a>(file: File, path: &Path, parts: impl IntoIterator<Item = &'a [u8]>) -> Result<(), SseFileError> {
    let mut file = io::BufWriter::new(file);
    for part in parts {
        file.write_all(part).map_err(write_error(path))?;
    }
    file.flush().map_err(write_error(path))
}

/// Nothing or a regular file is at `path` (checked without following a symbolic link).
fn check_replaceable(path: &Path) -> Result<(), SseFileError> {
    let kind = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata.file_type(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(write_error(path)(source)),
    };
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    };
    Err(SseFileError::NotAFile {
        path: path.to_owned(),
        what,
    })
}

/// Removes the file at `path`, if one is there: the file is then created new, so a hard link to
/// it elsewhere keeps its content.
fn remove_file(path: &Path) -> Result<(), SseFileError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(write_error(path)(error)),
        _ => Ok(()),
    }
}

/// The sidecar `write` puts beside the body of `recording`: for keeping a recording elsewhere
/// than in files (the app's database), read back with [`parse`].
pub fn sidecar(recording: &Recording) -> Result<String, SseFileError> {
    let status = recording.status.ok_or(SseFileError::NoResponse)?;
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        protocol: recording.protocol.clone(),
        model: recording.model.clone(),
        status,
        content_type: recording.content_type.clone(),
        head_ms: recording.head_ms.map(round_ms),
        truncated: recording.truncated,
        key_runs_masked: recording.key_runs_masked,
    };
    Ok(sidecar_text(&header, &recording.chunks))
}

/// An I/O failure writing `path`.
fn write_error(path: &Path) -> impl Fn(io::Error) -> SseFileError + '_ {
    move |source| SseFileError::Write {
        path: path.to_owned(),
        source,
    }
}

/// The sidecar's text: the header's fields, then one chunk a line.
fn sidecar_text(header: &Header, chunks: &[RecordedChunk]) -> String {
    let head = serde_json::to_string_pretty(header).expect("a header serializes");
    let mut text = head
        .strip_suffix("\n}")
        .expect("a pretty object ends with `}`")
        .to_owned();
    text.push_str(",\n  \"chunks\": [");
    for (index, chunk) in chunks.iter().enumerate() {
        let separator = if index == 0 { "\n" } else { ",\n" };
        let at_ms = serde_json::to_string(&round_ms(chunk.at_ms)).expect("a finite number serializes");
        text.push_str(&format!("{separator}    [{at_ms}, {}]", chunk.bytes.len()));
    }
    text.push_str(if chunks.is_empty() { "]\n}\n" } else { "\n  ]\n}\n" });
    text
}

/// Milliseconds to the microsecond: enough for any pace, short to read.
fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// Reads the `.sse` file at `path` and its sidecar, if it has one, within `limits`.
pub fn read(path: &Path, limits: &Limits) -> Result<SseFile, SseFileError> {
    let body = Bytes::from(read_bounded(path, limits.recording_bytes, "a recorded body")?);
    let sidecar = sidecar_path(path);
    let text = match read_bounded(&sidecar, SIDECAR_BYTES, "a sidecar") {
        Ok(text) => text,
        Err(SseFileError::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(untimed(body));
        }
        Err(error) => return Err(error),
    };
    let recording = parse(body, &text, &sidecar, limits)?;
    Ok(SseFile { recording, timed: true })
}

/// The recording made of `body` and the sidecar `text` (read from `sidecar`, which errors name),
/// every field checked as [`read`] checks a file's.
pub fn parse(body: Bytes, text: &[u8], sidecar: &Path, limits: &Limits) -> Result<Recording, SseFileError> {
    let invalid = |reason: String| SseFileError::Sidecar {
        path: sidecar.to_owned(),
        reason,
    };
    if body.len() > limits.recording_bytes {
        return Err(SseFileError::TooLarge {
            path: sidecar.to_owned(),
            what: "a recorded body",
            limit: size(limits.recording_bytes),
        });
    }
    let Sidecar { header, chunks } = serde_json::from_slice(text).map_err(|error| invalid(error.to_string()))?;
    check_header(&header).map_err(invalid)?;
    let body_path = sidecar.with_extension("");
    let chunks = split(&body, &chunks, limits)
        .map_err(|reason| invalid(format!("{reason}; is it the sidecar of {}?", body_path.display())))?;
    Ok(Recording {
        protocol: header.protocol,
        model: header.model,
        status: Some(header.status),
        content_type: header.content_type,
        head_ms: header.head_ms,
        chunks,
        truncated: header.truncated,
        key_runs_masked: header.key_runs_masked,
    })
}

/// Reads all of `path`, refusing it past `limit` bytes without reading further (an endless file
/// such as `/dev/zero` included).
fn read_bounded(path: &Path, limit: usize, what: &'static str) -> Result<Vec<u8>, SseFileError> {
    let failed = |source| SseFileError::Read {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(failed)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(failed)?;
    if bytes.len() > limit {
        return Err(SseFileError::TooLarge {
            path: path.to_owned(),
            what,
            limit: size(limit),
        });
    }
    Ok(bytes)
}

fn check_header(header: &Header) -> Result<(), String> {
    if header.format != FORMAT {
        return Err(format!("its format is `{}`, not `{FORMAT}`", header.format));
    }
    if header.version != VERSION {
        return Err(format!(
            "it is version {}, and this runnel reads version {VERSION}",
            header.version
        ));
    }
    if protocol(&header.protocol).is_none() {
        let known: Vec<_> = PROTOCOLS.iter().map(|protocol| protocol.id()).collect();
        return Err(format!(
            "unknown protocol `{}` (known: {})",
            header.protocol,
            known.join(", ")
        ));
    }
    if !(100..=599).contains(&header.status) {
        return Err(format!("status {} is not an HTTP status", header.status));
    }
    if let Some(content_type) = &header.content_type
        && !content_type
            .bytes()
            .all(|byte| byte == b'\t' || (0x20..0x7f).contains(&byte))
    {
        return Err("the content type holds characters a header cannot carry".to_owned());
    }
    if let Some(head_ms) = header.head_ms
        && !is_time(head_ms)
    {
        return Err(format!("head_ms {head_ms} is not a time"));
    }
    Ok(())
}

/// Cuts `body` at the sidecar's chunk boundaries (no copy), checking every time and length.
fn split(body: &Bytes, chunks: &[(f64, usize)], limits: &Limits) -> Result<Vec<RecordedChunk>, String> {
    if chunks.len() > limits.recording_chunks {
        return Err(format!(
            "it lists {} chunks, more than the limit of {}",
            chunks.len(),
            limits.recording_chunks
        ));
    }
    let described = chunks.iter().try_fold(0usize, |sum, (_, len)| sum.checked_add(*len));
    if described != Some(body.len()) {
        let described = described.map_or_else(|| "more".to_owned(), |sum| sum.to_string());
        return Err(format!(
            "its chunks add up to {described} bytes, but the body has {}",
            body.len()
        ));
    }
    let mut start = 0;
    let mut previous = 0.0;
    let mut out = Vec::with_capacity(chunks.len());
    for (index, &(at_ms, len)) in chunks.iter().enumerate() {
        if !is_time(at_ms) {
            return Err(format!("chunk {index} arrives at {at_ms} ms, which is not a time"));
        }
        if at_ms < previous {
            return Err(format!(
                "chunk {index} arrives at {at_ms} ms, before the chunk ahead of it ({previous} ms)"
            ));
        }
        if len == 0 {
            return Err(format!("chunk {index} is empty"));
        }
        out.push(RecordedChunk {
            at_ms,
            bytes: body.slice(start..start + len),
        });
        start += len;
        previous = at_ms;
    }
    Ok(out)
}

/// A number of milliseconds a recording can hold.
fn is_time(ms: f64) -> bool {
    (0.0..=MAX_MS).contains(&ms)
}

/// A body without a sidecar: one chunk at 0 ms, a 200 stream in the protocol it decodes as, with
/// that protocol's content type (`text/event-stream` for SSE, `application/x-ndjson` for NDJSON).
fn untimed(body: Bytes) -> SseFile {
    let protocol = guess_protocol(&body);
    let mut recording = Recording::new(protocol.id(), None);
    recording.status = Some(200);
    recording.content_type = Some(protocol.framing().content_type().to_owned());
    if !body.is_empty() {
        recording.chunks.push(RecordedChunk {
            at_ms: 0.0,
            bytes: body,
        });
    }
    SseFile {
        recording,
        timed: false,
    }
}

/// The protocol that reads `body` best, each framing it its own way (SSE, NDJSON): one that
/// reaches its terminator, else the one that decodes the most content before an error; the first
/// registered one on a tie.
pub fn guess_protocol(body: &[u8]) -> &'static dyn Protocol {
    PROTOCOLS
        .iter()
        .rev()
        .copied()
        .max_by_key(|protocol| decodes(*protocol, body))
        .expect("at least one protocol is registered")
}

/// How far `protocol` reads `body`, as a stream would: whether it reached its terminator, and how
/// many content events it decoded before that or an error.
fn decodes(protocol: &dyn Protocol, body: &[u8]) -> (bool, usize) {
    let mut decoder = BodyDecoder::new(protocol, Limits::default().event_bytes);
    let mut content = 0;
    let mut complete = false;
    let mut count = |part: Part<'_>| match part {
        Part::Event(decoded) => {
            content += decoded.events.iter().filter(|event| event.is_content()).count();
            complete = matches!(decoded.end, Some(End::Complete(_)));
            if decoded.end.is_some() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        Part::Comment(_) => ControlFlow::Continue(()),
    };
    // The stream may end at an event (the reading stops there), or with the body.
    if decoder.feed(body, &mut count) == Ok(ControlFlow::Continue(())) {
        decoder.finish(|part| {
            let _ = count(part);
        });
    }
    (complete, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAI: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n";
    const ANTHROPIC: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    fn recording(body: &[u8], cuts: &[usize]) -> Recording {
        let mut recording = Recording::new("openai", Some("gpt-x".into()));
        recording.status = Some(200);
        recording.content_type = Some("text/event-stream; charset=utf-8".into());
        recording.head_ms = Some(1.234_567_8);
        let mut start = 0;
        for (index, &end) in cuts.iter().chain([&body.len()]).enumerate() {
            recording.chunks.push(RecordedChunk {
                at_ms: 10.0 * index as f64 + 0.5,
                bytes: Bytes::copy_from_slice(&body[start..end]),
            });
            start = end;
        }
        recording
    }

    fn write_sidecar(dir: &tempfile::TempDir, body: &[u8], sidecar: &str) -> PathBuf {
        let path = dir.path().join("a.sse");
        std::fs::write(&path, body).unwrap();
        std::fs::write(sidecar_path(&path), sidecar).unwrap();
        path
    }

    fn sidecar_error(body: &[u8], sidecar: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = write_sidecar(&dir, body, sidecar);
        let error = read(&path, &Limits::default()).unwrap_err();
        assert!(matches!(error, SseFileError::Sidecar { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("a.sse.json is not a valid sidecar: "), "{message}");
        message
    }

    #[test]
    fn a_recording_round_trips_byte_for_byte_with_its_times() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answer.sse");
        let written = recording(OPENAI, &[1, 7, 40]);
        let sidecar = write(&path, &written).unwrap();
        assert_eq!(sidecar, dir.path().join("answer.sse.json"));
        assert_eq!(std::fs::read(&path).unwrap(), OPENAI);
        let text = std::fs::read_to_string(&sidecar).unwrap();
        assert!(text.contains("\n    [0.5, 1],\n    [10.5, 6],\n"), "{text}");
        let read = read(&path, &Limits::default()).unwrap();
        assert!(read.timed);
        let mut expected = written;
        expected.head_ms = Some(1.235);
        assert_eq!(read.recording, expected);
    }

    #[test]
    fn an_empty_body_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.sse");
        let mut empty = recording(b"", &[]);
        empty.chunks.clear();
        empty.status = Some(500);
        write(&path, &empty).unwrap();
        assert_eq!(read(&path, &Limits::default()).unwrap().recording.chunks, []);
    }

    #[test]
    fn a_recording_without_a_response_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let error = write(&dir.path().join("x.sse"), &Recording::new("openai", None)).unwrap_err();
        assert!(matches!(error, SseFileError::NoResponse));
    }

    #[test]
    fn without_a_sidecar_the_body_is_one_chunk_in_the_protocol_it_decodes_as() {
        let dir = tempfile::tempdir().unwrap();
        for (body, protocol) in [(OPENAI, "openai"), (ANTHROPIC, "anthropic")] {
            let path = dir.path().join(format!("{protocol}.sse"));
            std::fs::write(&path, body).unwrap();
            let file = read(&path, &Limits::default()).unwrap();
            assert!(!file.timed);
            assert_eq!(file.recording.protocol, protocol);
            assert_eq!(file.recording.status, Some(200));
            assert_eq!(file.recording.body(), body);
            assert_eq!(file.recording.chunks[0].at_ms, 0.0);
        }
        assert_eq!(
            guess_protocol(b"not a stream").id(),
            "openai",
            "a tie goes to the first"
        );
    }

    #[test]
    fn a_malformed_sidecar_says_what_is_wrong() {
        let header = r#""format":"runnel-sse","version":1,"protocol":"openai","status":200"#;
        let cases = [
            ("{".to_owned(), "EOF while parsing"),
            (r#"{"format":"runnel-sse"}"#.to_owned(), "missing field"),
            (
                format!(r#"{{{header},"chunks":[[0,1]]}}"#),
                "its chunks add up to 1 bytes, but the body has 4; is it the sidecar of",
            ),
            (
                format!(r#"{{{header},"chunks":[[5,2],[4,2]]}}"#),
                "chunk 1 arrives at 4 ms, before the chunk ahead of it (5 ms)",
            ),
            (format!(r#"{{{header},"chunks":[[-1,4]]}}"#), "chunk 0 arrives at -1 ms"),
            (format!(r#"{{{header},"chunks":[[1e300,4]]}}"#), "which is not a time"),
            (format!(r#"{{{header},"chunks":[[0,0],[0,4]]}}"#), "chunk 0 is empty"),
            (
                format!(r#"{{{header},"chunks":[[0,18446744073709551615],[0,5]]}}"#),
                "add up to more bytes",
            ),
            (r#"{"format":"runnel-sse","version":2,"protocol":"openai","status":200,"chunks":[]}"#.to_owned(),
                "it is version 2, and this runnel reads version 1",
            ),
            (r#"{"format":"har","version":1,"protocol":"openai","status":200,"chunks":[]}"#.to_owned(),
                "its format is `har`",
            ),
            (r#"{"format":"runnel-sse","version":1,"protocol":"gopher","status":200,"chunks":[]}"#.to_owned(),
                "unknown protocol `gopher` (known: openai, anthropic",
            ),
            (r#"{"format":"runnel-sse","version":1,"protocol":"openai","status":9000,"chunks":[]}"#.to_owned(),
                "status 9000 is not an HTTP status",
            ),
            (r#"{"format":"runnel-sse","version":1,"protocol":"openai","status":200,"content_type":"a\r\nx: y","chunks":[]}"#.to_owned(),
                "characters a header cannot carry",
            ),
        ];
        for (sidecar, expected) in cases {
            let message = sidecar_error(b"data", &sidecar);
            assert!(message.contains(expected), "{sidecar}: {message}");
        }
    }

    #[test]
    fn files_past_their_limits_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.sse");
        std::fs::write(&path, vec![b'x'; 11]).unwrap();
        let limits = Limits {
            recording_bytes: 10,
            ..Limits::default()
        };
        let error = read(&path, &limits).unwrap_err();
        assert!(matches!(error, SseFileError::TooLarge { .. }));
        assert!(
            error
                .to_string()
                .ends_with("big.sse is larger than the limit of 10 bytes for a recorded body"),
            "{error}"
        );
        let endless = read(Path::new("/dev/zero"), &limits).unwrap_err();
        assert!(matches!(endless, SseFileError::TooLarge { .. }), "{endless:?}");

        let chunks = Limits {
            recording_chunks: 1,
            ..Limits::default()
        };
        let path = write_sidecar(
            &dir,
            b"ab",
            r#"{"format":"runnel-sse","version":1,"protocol":"openai","status":200,"chunks":[[0,1],[1,1]]}"#,
        );
        let error = read(&path, &chunks).unwrap_err().to_string();
        assert!(error.contains("it lists 2 chunks, more than the limit of 1"), "{error}");
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    #[test]
    fn a_numbered_write_never_follows_a_symbolic_link_and_takes_the_next_name() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let (victim, precious) = (elsewhere.path().join("victim"), elsewhere.path().join("precious"));
        fs::write(&precious, "keep me").unwrap();
        // A dangling link at the first name, one at the second name's sidecar, and a link to a
        // file at the third: each name is taken, and no target is created or truncated.
        symlink(&victim, dir.path().join("a.sse")).unwrap();
        symlink(elsewhere.path().join("victim2"), dir.path().join("a-2.sse.json")).unwrap();
        symlink(&precious, dir.path().join("a-3.sse")).unwrap();
        let written = recording(OPENAI, &[5]);
        let path = write_numbered(dir.path(), "a", &written).unwrap();
        assert_eq!(path, dir.path().join("a-4.sse"));
        assert_eq!(read(&path, &Limits::default()).unwrap().recording.body(), OPENAI);
        assert_eq!(names(elsewhere.path()), ["precious"], "no link was followed");
        assert_eq!(fs::read(&precious).unwrap(), b"keep me");
        assert_eq!(
            names(dir.path()),
            ["a-2.sse.json", "a-3.sse", "a-4.sse", "a-4.sse.json", "a.sse"],
            "the body made for a-2.sse was removed with its name"
        );
    }

    #[test]
    fn a_sidecar_name_taken_alone_skips_the_pair() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.sse.json"), "theirs").unwrap();
        let path = write_numbered(dir.path(), "a", &recording(OPENAI, &[])).unwrap();
        assert_eq!(path, dir.path().join("a-2.sse"));
        assert_eq!(names(dir.path()), ["a-2.sse", "a-2.sse.json", "a.sse.json"]);
        assert_eq!(fs::read(dir.path().join("a.sse.json")).unwrap(), b"theirs");
    }

    #[test]
    fn numbered_writes_of_one_recording_at_once_take_different_names_each_complete() {
        const WRITERS: usize = 8;
        let written = recording(OPENAI, &[1, 7, 40]);
        for _round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let start = std::sync::Barrier::new(WRITERS);
            let paths: Vec<PathBuf> = std::thread::scope(|scope| {
                let writers: Vec<_> = (0..WRITERS)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            write_numbered(dir.path(), "same", &written).unwrap()
                        })
                    })
                    .collect();
                writers.into_iter().map(|writer| writer.join().unwrap()).collect()
            });
            let mut distinct = paths.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), WRITERS, "each write has a name of its own: {paths:?}");
            for path in &paths {
                let file = read(path, &Limits::default()).unwrap();
                assert_eq!(file.recording.chunks, written.chunks, "{}", path.display());
            }
            assert_eq!(names(dir.path()).len(), 2 * WRITERS);
        }
    }

    #[test]
    fn a_named_write_replaces_a_regular_file_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answer.sse");
        fs::write(&path, "old body").unwrap();
        fs::write(sidecar_path(&path), "old sidecar").unwrap();
        write(&path, &recording(OPENAI, &[3])).unwrap();
        assert_eq!(read(&path, &Limits::default()).unwrap().recording.body(), OPENAI);

        let folder = dir.path().join("folder.sse");
        fs::create_dir(&folder).unwrap();
        let error = write(&folder, &recording(OPENAI, &[])).unwrap_err();
        assert!(
            matches!(
                error,
                SseFileError::NotAFile {
                    what: "a directory",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_named_write_never_follows_a_symbolic_link() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let precious = elsewhere.path().join("precious");
        fs::write(&precious, "keep me").unwrap();
        let cases = [
            // A link to a file, a dangling link, and a regular body whose sidecar name is a link.
            ("linked.sse", Some(precious.clone()), None),
            ("dangling.sse", Some(elsewhere.path().join("victim")), None),
            ("body.sse", None, Some(elsewhere.path().join("victim2"))),
        ];
        for (name, body_link, sidecar_link) in cases {
            let path = dir.path().join(name);
            match &body_link {
                Some(target) => symlink(target, &path).unwrap(),
                None => fs::write(&path, "old body").unwrap(),
            }
            if let Some(target) = &sidecar_link {
                symlink(target, sidecar_path(&path)).unwrap();
            }
            let error = write(&path, &recording(OPENAI, &[])).unwrap_err();
            assert!(
                matches!(
                    error,
                    SseFileError::NotAFile {
                        what: "a symbolic link",
                        ..
                    }
                ),
                "{name}: {error:?}"
            );
            assert!(
                error
                    .to_string()
                    .ends_with("is a symbolic link, not a regular file: it is left as it is")
            );
            if body_link.is_none() {
                assert_eq!(fs::read(&path).unwrap(), b"old body", "{name}: nothing is touched");
            }
        }
        assert_eq!(names(elsewhere.path()), ["precious"], "no link was followed");
        assert_eq!(fs::read(&precious).unwrap(), b"keep me");
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let error = read(Path::new("/nonexistent/answer.sse"), &Limits::default()).unwrap_err();
        assert!(
            error.to_string().starts_with("cannot read /nonexistent/answer.sse: "),
            "{error}"
        );
    }
}
