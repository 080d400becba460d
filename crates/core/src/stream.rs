//! One stream: request → its body read as the protocol's events ([`BodyDecoder`]), on a task of
//! its own.
//!
//! The task owns the HTTP response and reads it as it arrives while the consumer keeps up: events
//! reach the consumer through a bounded channel, and when it is full the task waits before it
//! reads on, so a slow consumer slows the socket (TCP's own flow control reaches the server) instead
//! of piling events up in memory. Stopping cancels the task,
//! which drops the response at once: on HTTP/1.1 the connection closes, on HTTP/2 the stream is
//! reset, also while the server is silent. Dropping the [`ChatStream`] stops it too.

use std::ops::ControlFlow;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, StreamExt};
use reqwest::header::CONTENT_TYPE;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use crate::body::{BodyDecoder, Decoded, End, Part};
use crate::collect::{Collector, Completion};
use crate::endpoint::Endpoint;
use crate::error::{ErrorKind, StreamError, TimeoutPhase};
use crate::event::{RawFrame, StreamEvent};
use crate::http::{read_error_body, send, source_text};
use crate::http_error::{error_from_response, not_an_event_stream};
use crate::limits::{AnswerMeter, Limits, too_large};
use crate::provider::{Finish, Framing, Protocol};
use crate::recording::{Recorder, Recording, RecordingTap};
use crate::redact::{self, Redactor};
use crate::request::ChatRequest;
use crate::timeouts::Timeouts;

/// After the terminator, how long the body may take to end so the connection can be reused.
const DRAIN_AFTER_DONE: Duration = Duration::from_millis(250);

/// Most events sent to the consumer in one message. Events go over in batches — those of the
/// reads at hand (up to this many events), not one message each: a fast stream costs one channel
/// hop and one wake-up per burst of reads, and a large read still never piles up its events.
const BATCH: usize = 256;

/// Messages the channel to the consumer holds before the task waits for it: with [`BATCH`], at
/// most this many batches of events are in flight besides the one read being decoded.
const CHANNEL_MESSAGES: usize = 8;

/// Options for one stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamOptions {
    /// Also emit every SSE frame as [`StreamEvent::Raw`], for an inspector.
    pub raw: bool,
    /// Keep the response as it arrived (status, content type, each body chunk with its arrival
    /// time), handed over in [`Completion::recording`] when the stream ends; bounded by
    /// [`Limits::recording_bytes`] and [`Limits::recording_chunks`].
    pub record: bool,
    /// The model's price, when known: the answer's cost is worked out from the provider's usage
    /// report ([`Metrics::cost_usd`](crate::Metrics::cost_usd)).
    pub price: Option<crate::cost::Price>,
}

/// Stops a stream from any task or thread. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(CancellationToken);

impl StopHandle {
    /// Stops the stream: the connection is dropped now and the stream ends with
    /// [`StreamEvent::Stopped`] (unless it had already ended).
    pub fn stop(&self) {
        self.0.cancel();
    }

    /// Waits until [`stop`](Self::stop) is called (at once if it was).
    pub async fn stopped(&self) {
        self.0.cancelled().await;
    }

    /// True once [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.0.is_cancelled()
    }
}

enum Message {
    Connected(Instant),
    /// The response as it arrived; sent just before the ending event.
    Recorded(Recording),
    /// Events in order, decoded from reads that had brought `bytes` body bytes by `at`.
    Events {
        at: Instant,
        bytes: u64,
        events: Vec<StreamEvent>,
    },
}

/// The events of the last [`Message::Events`] not yet handed out.
struct Batch {
    at: Instant,
    bytes: u64,
    events: std::vec::IntoIter<StreamEvent>,
}

/// A running chat stream: its events in order, its stop handle, and what it collected so far.
pub struct ChatStream {
    receiver: mpsc::Receiver<Message>,
    batch: Batch,
    stop: StopHandle,
    tap: Option<RecordingTap>,
    collector: Collector,
    ended: bool,
}

impl ChatStream {
    /// Starts `request` against `endpoint` (at its chat `url`) on a task of its own. Must be
    /// called inside a Tokio runtime.
    pub(crate) fn spawn(
        http: &reqwest::Client,
        url: String,
        endpoint: &Endpoint,
        request: &ChatRequest,
        timeouts: Timeouts,
        limits: Limits,
        options: StreamOptions,
    ) -> Self {
        let started = Instant::now();
        let (sender, receiver) = mpsc::channel(CHANNEL_MESSAGES);
        let stop = StopHandle::default();
        let recorder = options
            .record
            .then(|| Recorder::new(endpoint.protocol.id(), &request.model, &limits));
        let tap = recorder.as_ref().map(Recorder::tap);
        let body = endpoint.protocol.chat_body(request, &endpoint.quirks);
        tracing::debug!(provider = %endpoint.provider, %url, model = %request.model, "stream starting");
        let http_request = http
            .post(url)
            .headers(endpoint.protocol.headers(endpoint.key.as_ref()))
            .header(CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&body).expect("a JSON value serializes"));
        let driver = Driver {
            sender,
            started,
            bytes: 0,
            raw: options.raw,
            timeouts,
            protocol: endpoint.protocol,
            limits,
            meter: AnswerMeter::new(limits),
            finished: false,
            recorder,
            redactor: endpoint
                .key
                .as_ref()
                .map(|key| Redactor::new(key.expose()))
                .unwrap_or_default(),
        };
        tokio::spawn(driver.run(http_request, stop.0.clone()));
        let mut stream = Self::receiving(receiver, stop, tap, started, limits);
        stream.collector.set_price(options.price);
        stream
    }

    /// A stream that could not be sent: it ends at once with `error`.
    pub(crate) fn failed(error: StreamError, limits: Limits) -> Self {
        let started = Instant::now();
        let (sender, receiver) = mpsc::channel(1);
        let _ = sender.try_send(Message::Events {
            at: started,
            bytes: 0,
            events: vec![StreamEvent::Error(error)],
        });
        Self::receiving(receiver, StopHandle::default(), None, started, limits)
    }

    fn receiving(
        receiver: mpsc::Receiver<Message>,
        stop: StopHandle,
        tap: Option<RecordingTap>,
        started: Instant,
        limits: Limits,
    ) -> Self {
        Self {
            receiver,
            batch: Batch {
                at: started,
                bytes: 0,
                events: Vec::new().into_iter(),
            },
            stop,
            tap,
            collector: Collector::with_limits(started, limits),
            ended: false,
        }
    }

    /// The recording as it grows, when the stream is recorded ([`StreamOptions::record`]): an
    /// inspector opened mid-stream reads it from its first chunk.
    pub fn recording_tap(&self) -> Option<RecordingTap> {
        self.tap.clone()
    }

    /// A handle that stops this stream from anywhere.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops this stream now.
    pub fn stop(&self) {
        self.stop.stop();
    }

    /// True when the next event is already here: [`next`](Self::next) returns it without
    /// waiting for the network. A printer flushes its output when this turns false.
    pub fn has_ready(&self) -> bool {
        !self.ended && (!self.batch.events.as_slice().is_empty() || !self.receiver.is_empty())
    }

    /// The next event; `None` after the ending event (finish, error or stopped).
    pub async fn next(&mut self) -> Option<StreamEvent> {
        while !self.ended {
            if let Some(event) = self.batch.events.next() {
                self.collector.apply(self.batch.at, self.batch.bytes, &event);
                self.ended = event.is_ending();
                return Some(event);
            }
            let message = self.receiver.recv().await;
            match message {
                Some(Message::Connected(at)) => self.collector.connected(at),
                Some(Message::Recorded(recording)) => self.collector.recorded(recording),
                Some(Message::Events { at, bytes, events }) => {
                    self.batch = Batch {
                        at,
                        bytes,
                        events: events.into_iter(),
                    };
                }
                None => {
                    // The task ended without an ending event: only a panic does that.
                    self.ended = true;
                    let event = StreamEvent::Error(StreamError::new(ErrorKind::Protocol, "the stream task failed"));
                    self.collector
                        .apply(Instant::now(), self.collector.completion().metrics.bytes, &event);
                    return Some(event);
                }
            }
        }
        None
    }

    /// What the stream has produced so far; complete once [`next`](Self::next) returned the
    /// ending event.
    pub fn completion(&self) -> &Completion {
        self.collector.completion()
    }

    /// Reads the stream to its end and returns everything it produced.
    pub async fn finish(mut self) -> Completion {
        while self.next().await.is_some() {}
        std::mem::replace(&mut self.collector, Collector::new(Instant::now())).into_completion()
    }
}

impl Drop for ChatStream {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

/// The task side of a stream.
struct Driver {
    sender: mpsc::Sender<Message>,
    started: Instant,
    bytes: u64,
    /// Emit every frame as [`StreamEvent::Raw`] ([`StreamOptions::raw`]).
    raw: bool,
    timeouts: Timeouts,
    /// Whose error bodies and events these are.
    protocol: &'static dyn Protocol,
    limits: Limits,
    /// The answer so far, against `limits`.
    meter: AnswerMeter,
    /// The terminator arrived and the ending was sent.
    finished: bool,
    /// The response so far, when the stream is recorded.
    recorder: Option<Recorder>,
    /// Masks the key in any error text a server echoes back.
    redactor: Redactor,
}

impl Driver {
    async fn run(mut self, request: reqwest::RequestBuilder, cancel: CancellationToken) {
        let ending = tokio::select! {
            biased;
            _ = cancel.cancelled() => Some(StreamEvent::Stopped),
            ending = redact::scope(self.redactor.clone(), self.read(request)) => ending,
        };
        // `None`: the stream finished and its ending was already sent (it may be stopped while
        // the rest of the body drains, which changes nothing).
        let Some(ending) = ending.filter(|_| !self.finished) else {
            return;
        };
        let ending = match ending {
            StreamEvent::Error(error) => StreamEvent::Error(error.redact(&self.redactor)),
            other => other,
        };
        tracing::debug!(bytes = self.bytes, ?ending, "stream ended");
        self.end(ending).await;
    }

    /// Sends the recording, if any, then the ending event, so that the consumer's completion
    /// holds the recording by the time it sees the ending. Both go at once, once the channel
    /// has room for both: a stop that comes while this waits sends nothing yet and leaves the
    /// recording for the `Stopped` ending.
    async fn end(&mut self, ending: StreamEvent) {
        // A consumer that went away has stopped the stream; nothing to report to.
        let Ok(mut permits) = self.sender.reserve_many(2).await else {
            return;
        };
        if let Some(recorder) = self.recorder.take()
            && let Some(permit) = permits.next()
        {
            let mut recording = recorder.finish();
            recording.mask_key(&self.redactor);
            permit.send(Message::Recorded(recording));
        }
        if let Some(permit) = permits.next() {
            permit.send(Message::Events {
                at: Instant::now(),
                bytes: self.bytes,
                events: vec![ending],
            });
        }
    }

    /// Sends `events` as one message, waiting while the consumer's channel is full.
    async fn send(&mut self, events: Vec<StreamEvent>) {
        // A consumer that went away has stopped the stream; nothing to report to.
        let _ = self
            .sender
            .send(Message::Events {
                at: Instant::now(),
                bytes: self.bytes,
                events,
            })
            .await;
    }

    /// Reads the response to its end. Returns the ending event, or `None` when the stream
    /// finished and the ending was already sent.
    async fn read(&mut self, request: reqwest::RequestBuilder) -> Option<StreamEvent> {
        let response = match send(request, &self.timeouts).await {
            Ok(response) => response,
            Err(error) => return Some(StreamEvent::Error(error)),
        };
        let _ = self.sender.send(Message::Connected(Instant::now())).await;
        let status = response.status();
        if let Some(recorder) = &mut self.recorder {
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
            recorder.head(ms_since(self.started), status.as_u16(), content_type);
        }
        if !status.is_success() {
            return Some(StreamEvent::Error(self.read_error(response).await));
        }
        if let Some(content_type) = other_content_type(response.headers(), self.protocol.framing()) {
            // A captive portal's page, a JSON answer to `stream: true`, a proxy's notice.
            let headers = response.headers().clone();
            let body = self.read_error_body(response).await;
            return Some(StreamEvent::Error(not_an_event_stream(
                self.protocol,
                &content_type,
                &headers,
                &body,
            )));
        }
        let mut body = response.bytes_stream().peekable();
        let mut decoder = BodyDecoder::new(self.protocol, self.limits.event_bytes);
        // The batch being filled, and the full ones of this read waiting to be sent.
        let mut events = Vec::new();
        let mut full: Vec<Vec<StreamEvent>> = Vec::new();
        loop {
            let chunk = match timeout(self.timeouts.idle, body.next()).await {
                Err(_) => {
                    return Some(StreamEvent::Error(StreamError::timeout(
                        TimeoutPhase::Idle,
                        self.timeouts.idle,
                    )));
                }
                Ok(None) => break,
                // A transport failure, as the SDKs raise it (a connection error), keeping the text;
                // a body that simply ends early is `incomplete` (`BodyDecoder::finish`).
                Ok(Some(Err(error))) => {
                    let message = format!(
                        "the connection broke mid-stream ({}); the answer is partial",
                        source_text(&error)
                    );
                    return Some(StreamEvent::Error(StreamError::new(ErrorKind::Network, message)));
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            self.bytes += chunk.len() as u64;
            if let Some(recorder) = &mut self.recorder {
                recorder.chunk(ms_since(self.started), &chunk);
            }
            // Each event is decoded as soon as it is framed; a read's events go in batches, sent
            // before the next read (the events one read holds are bounded by its size).
            let mut ended = None;
            let framed = decoder.feed(&chunk, |part| {
                let Part::Event(decoded) = part else {
                    return ControlFlow::Continue(()); // comments are not kept
                };
                ended = self.take(decoded, &mut events);
                if ended.is_some() {
                    return ControlFlow::Break(());
                }
                if events.len() >= BATCH {
                    full.push(std::mem::take(&mut events));
                }
                ControlFlow::Continue(())
            });
            for batch in full.drain(..) {
                self.send(batch).await;
            }
            if let Err(too_big) = framed {
                self.emit_all(&mut events).await;
                return Some(StreamEvent::Error(too_large("one event of the stream", too_big.limit)));
            }
            match ended {
                // The next read, when it is already here, joins this batch: a burst of small
                // reads costs the consumer one message and one wake-up, not one each.
                None if matches!(Pin::new(&mut body).peek().now_or_never(), Some(Some(Ok(_)))) => {}
                None => self.emit_all(&mut events).await,
                Some(Ok(finish)) => {
                    self.complete(&mut events, finish).await;
                    // Let the body end so the connection can go back to the pool.
                    let _ = timeout(DRAIN_AFTER_DONE, async { while let Some(Ok(_)) = body.next().await {} }).await;
                    return None;
                }
                Some(Err(error)) => {
                    self.emit_all(&mut events).await;
                    return Some(StreamEvent::Error(error));
                }
            }
        }
        // The body ended: the event it cut off is kept for what it carried, and completes the
        // stream only as a whole terminator (`BodyDecoder::finish`).
        let mut ended = None;
        let end = decoder.finish(|part| {
            if let Part::Event(decoded) = part {
                ended = self.take(decoded, &mut events);
            }
        });
        match ended {
            Some(Ok(finish)) => {
                self.complete(&mut events, finish).await;
                None
            }
            Some(Err(error)) => {
                self.emit_all(&mut events).await;
                Some(StreamEvent::Error(error))
            }
            None => {
                self.emit_all(&mut events).await;
                Some(end.into_event())
            }
        }
    }

    /// Sends `events`, then the ending: the `Finish` the terminator brought.
    async fn complete(&mut self, events: &mut Vec<StreamEvent>, finish: Finish) {
        self.emit_all(events).await;
        self.end(finish.into()).await;
        self.finished = true;
    }

    /// Takes one decoded event's events into `events` (after its raw frame, when asked for), held
    /// against the limits: an event past one is dropped with those after it, and the limit's
    /// error ends the stream. Returns how the event ended the stream, if it did.
    fn take(&mut self, decoded: Decoded<'_>, events: &mut Vec<StreamEvent>) -> Option<Result<Finish, StreamError>> {
        let start = events.len();
        if self.raw {
            events.push(StreamEvent::Raw(RawFrame {
                at_ms: ms_since(self.started),
                event: decoded.frame.name().to_owned(),
                data: decoded.frame.data,
            }));
        }
        events.append(decoded.events);
        if let Err((position, error)) = self.meter.admit(&events[start..]) {
            events.truncate(start + position);
            return Some(Err(error));
        }
        match decoded.end {
            Some(End::Complete(finish)) => Some(Ok(finish.clone())),
            Some(End::Failed(error)) => Some(Err(error.clone())),
            _ => None,
        }
    }

    /// Sends `events` (if any) as one batch.
    async fn emit_all(&mut self, events: &mut Vec<StreamEvent>) {
        if !events.is_empty() {
            self.send(std::mem::take(events)).await;
        }
    }

    async fn read_error(&mut self, response: reqwest::Response) -> StreamError {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = self.read_error_body(response).await;
        error_from_response(self.protocol, status, &headers, &body)
    }

    /// The start of a body that is not an answer, up to [`Limits::error_body_bytes`]: a person
    /// reads the start, and a partial one is still worth showing.
    async fn read_error_body(&mut self, response: reqwest::Response) -> Vec<u8> {
        let body = read_error_body(response, self.timeouts.idle, &self.limits).await;
        self.bytes += body.len() as u64;
        if let Some(recorder) = &mut self.recorder {
            recorder.chunk(ms_since(self.started), &body);
        }
        body
    }
}

/// Milliseconds since `started` (when the request was sent): the time of raw frames and recorded
/// chunks.
fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The content type of a response that is not a stream in `framing` (an event stream, NDJSON),
/// if it is one of those. A response without a content type is read as a stream: some local
/// servers omit it.
fn other_content_type(headers: &reqwest::header::HeaderMap, framing: Framing) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    (!framing.accepts(&text)).then(|| text.into_owned())
}
