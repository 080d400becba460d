/**
 * One answer's stream, from its `Channel` to the screen, in two steps:
 * - `receive`: each message is handed over the moment it arrives, for the cheap part of its work
 *   (the text goes into the DOM as plain text at the growing end), so a word is on the page
 *   before the next frame however busy the frames are;
 * - `paint`: at most once per animation frame while messages arrive, the expensive part (the
 *   Markdown of the open block, following the growing end). It runs before the frame is drawn,
 *   so the plain text is shown formatted.
 * After a paint the highest `seq` received is acked, at most once per frame and once `ACK_EVERY`
 * messages were painted since the last ack, which tells Rust the page keeps up (IPC.md: Rust
 * coalesces text while too much is unacknowledged). A frame formats a bounded amount: while the
 * page is `behind` (a burst), the pump paints again at the next frame, also after the ending,
 * until it has caught up.
 *
 * Messages may arrive before the command that started the stream has returned its `stream_id`;
 * they are painted anyway, and the ack waits until the id is known.
 */
import { pagePerf } from "./perf";
import type { Saved, StreamMessage } from "./types";

/**
 * Whether `m` is the stream's ending, its last message: the one Rust sends with what was saved
 * (on the core's ending event, which the core decides: `StreamEvent::is_ending`).
 */
export function isEnding(m: StreamMessage): m is StreamMessage & { saved: Saved } {
  return m.saved !== undefined;
}

/**
 * Whether the answer has content by `m`: its numbers then have a time to first token, which the
 * core sets at the first content event (`StreamEvent::is_content`).
 */
export function hasContent(m: StreamMessage): boolean {
  return m.stats?.ttft_ms != null;
}

/** Runs `callback` before the next paint; returns a function that cancels it. */
export type FrameScheduler = (callback: () => void) => () => void;

/**
 * requestAnimationFrame, with a timer as a fallback: a hidden or minimized window gets no frames,
 * and a stream must still end (and ack, so Rust coalesces instead of queueing) there.
 */
export const animationFrame: FrameScheduler = (callback) => {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    callback();
  };
  const frame = requestAnimationFrame(run);
  const timer = setTimeout(run, 250);
  return () => {
    done = true;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
};

/**
 * One frame for many pumps: the callbacks of every pump scheduled through it run in one frame,
 * then `after` once (the compare view follows each column's end there, so layout is computed once
 * per frame rather than once per column).
 */
export function sharedFrames(schedule: FrameScheduler, after: () => void): FrameScheduler {
  const queue = new Set<() => void>();
  let cancel: (() => void) | null = null;
  const run = () => {
    cancel = null;
    const callbacks = [...queue];
    queue.clear();
    for (const callback of callbacks) callback();
    after();
  };
  return (callback) => {
    queue.add(callback);
    cancel ??= schedule(run);
    return () => {
      queue.delete(callback);
      if (!queue.size && cancel) {
        cancel();
        cancel = null;
      }
    };
  };
}

/**
 * How many messages are painted before a frame acks them. An ack is an IPC call: at one word a
 * frame, acking every frame cost about a tenth of the window's CPU (docs/PERFORMANCE.md). Rust
 * merges text only past 8 unacknowledged messages, so a page that keeps up never makes it wait.
 */
export const ACK_EVERY = 4;

export interface StreamPumpOptions {
  /** Takes one message as it arrives, in order: only cheap work here. */
  receive: (message: StreamMessage) => void;
  /** The frame's work for everything received since the last paint. */
  paint: () => void;
  /** Whether painting is still behind what was received (asked after each paint and the ending). */
  behind?: () => boolean;
  /** Tells Rust the page painted everything up to `seq`. */
  ack: (streamId: number, seq: number) => void;
  schedule?: FrameScheduler;
}

export class StreamPump {
  private cancelFrame: (() => void) | null = null;
  private streamId: number | null = null;
  private received = 0;
  private painted = 0;
  private acked = 0;
  private ended = false;
  private closed = false;
  private readonly schedule: FrameScheduler;

  constructor(private readonly options: StreamPumpOptions) {
    this.schedule = options.schedule ?? animationFrame;
  }

  /** The channel's `onmessage`: hand the message over now, and make sure a frame is coming. */
  readonly push = (message: StreamMessage): void => {
    if (this.closed) return;
    if (message.seq > this.received) this.received = message.seq;
    if (isEnding(message)) this.ended = true;
    const start = performance.now();
    this.options.receive(message);
    const took = performance.now() - start;
    pagePerf.messages++;
    pagePerf.receiveMs += took;
    if (this.ended) pagePerf.endingMs += took;
    if (this.ended) this.catchUpOrClose();
    else this.request();
  };

  /** The id from the `Turn`; enables acks (and acks what was painted before it was known). */
  setStreamId(id: number): void {
    this.streamId = id;
    if (this.ackDue() && !this.ended) this.request();
  }

  /** The highest seq painted so far. */
  get highestPainted(): number {
    return this.painted;
  }

  /** True once the ending has been received. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Stops painting (the stream ended, or the message element went away for good). */
  close(): void {
    this.closed = true;
    this.cancelFrame?.();
    this.cancelFrame = null;
  }

  private request(): void {
    if (this.cancelFrame || this.closed) return;
    this.cancelFrame = this.schedule(() => this.frame());
  }

  /** After the ending: more frames while the page is behind, else done. */
  private catchUpOrClose(): void {
    if (this.isBehind()) this.request();
    else this.close();
  }

  private ackDue(): boolean {
    return this.painted - this.acked >= ACK_EVERY;
  }

  private isBehind(): boolean {
    return this.options.behind?.() ?? false;
  }

  private frame(): void {
    this.cancelFrame = null;
    if (this.closed) return;
    if (this.received > this.painted || this.isBehind()) {
      const start = performance.now();
      this.options.paint();
      const took = performance.now() - start;
      pagePerf.paints++;
      pagePerf.paintMs += took;
      pagePerf.paintMaxMs = Math.max(pagePerf.paintMaxMs, took);
      this.painted = this.received;
    }
    if (this.ended) return this.catchUpOrClose();
    if (this.streamId !== null && this.ackDue()) {
      this.acked = this.painted;
      this.options.ack(this.streamId, this.painted);
    }
    if (this.isBehind()) this.request();
  }
}
