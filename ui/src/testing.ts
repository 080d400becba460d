/** Values for the page's unit tests (never imported by the app). */
import type { FrameScheduler } from "./stream";
import { Role, type EventRow, type LiveRows, type MessageView, type ProviderView, type Stats, type StreamSummary } from "./types";

/** A provider as the backend sends it: an available, keyless, remote one unless `fields` say otherwise. */
export function providerView(fields: Partial<ProviderView> & Pick<ProviderView, "id">): ProviderView {
  return {
    name: fields.id,
    protocol: "some-protocol",
    protocols: [],
    base_url: "",
    custom: false,
    local: false,
    detectable: false,
    takes_key: false,
    key_required: false,
    key: "none",
    key_env: null,
    models: [],
    prices: [],
    available: true,
    hint: null,
    ...fields,
  };
}

/** A message as Rust sends it: an assistant's answer of the demo model, streaming, unless `fields` say otherwise. */
export function messageView(fields: Partial<MessageView> = {}): MessageView {
  return {
    id: 1,
    conversation_id: 1,
    role: Role.assistant,
    content: "",
    thinking: "",
    model: "demo/runnel-demo",
    state: "streaming",
    error: null,
    stats: null,
    created_at: 0,
    versions: null,
    ...fields,
  };
}

/** Animation frames the test runs by hand: `schedule` queues, `frame()` runs what is queued. */
export function manualFrames(): { schedule: FrameScheduler; frame: () => void } {
  const frames: (() => void)[] = [];
  const schedule: FrameScheduler = (cb) => {
    frames.push(cb);
    return () => undefined;
  };
  return { schedule, frame: () => frames.splice(0).forEach((cb) => cb()) };
}

/** Lets pending promise callbacks run. */
export const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** A stream's numbers as Rust sends them: nothing known yet unless `fields` say otherwise. */
export function stats(fields: Partial<Stats> = {}): Stats {
  return {
    ttft_ms: null,
    tokens_per_sec: null,
    output_tokens: null,
    tokens_estimated: false,
    input_tokens: null,
    duration_ms: 0,
    finish_reason: null,
    ...fields,
  };
}

/** An inspector's summary as Rust sends it, of an OpenAI stream with no events unless `fields` say otherwise. */
export function streamSummary(fields: Partial<StreamSummary> = {}): StreamSummary {
  return { protocol: "openai", model: "gpt", status: 200, events: 0, bytes: 0, ttfb_ms: null, truncated: false, stats: stats(), ...fields };
}

/** A live answer's batch of inspector rows, with the summary Rust would send with it. */
export function liveRows(rows: EventRow[], more = 0, summary: Partial<StreamSummary> = {}): LiveRows {
  return {
    rows,
    more,
    summary: streamSummary({ status: null, ...summary }),
    timeline: { span_ms: 1, events: [], comments: [], content: [], longest_gap_ms: 0 },
  };
}
