/**
 * One answer's stream, from its `Channel` to the screen: messages are queued as they arrive and
 * applied at most once per animation frame; after each paint the highest `seq` painted is acked
 * (at most once per frame), which tells Rust the page keeps up (IPC.md: Rust coalesces text while
 * too much is unacknowledged).
 *
 * Messages may arrive before the command that started the stream has returned its `stream_id`;
 * they are painted anyway, and the ack waits until the id is known.
 */
import type { Saved, StreamMessage } from "./types";

/**
 * Whether `m` is the stream's ending (the core's finish, error or stopped event), its last
 * message, which Rust sends with what was saved.
 */
export function isEnding(m: StreamMessage): m is StreamMessage & { type: "finish" | "error" | "stopped"; saved: Saved } {
  return m.type === "finish" || m.type === "error" || m.type === "stopped";
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

export interface StreamPumpOptions {
  /** Applies every message that arrived since the last frame, in order, in one go. */
  apply: (batch: StreamMessage[]) => void;
  /** Tells Rust the page painted everything up to `seq`. */
  ack: (streamId: number, seq: number) => void;
  schedule?: FrameScheduler;
}

export class StreamPump {
  private queue: StreamMessage[] = [];
  private cancelFrame: (() => void) | null = null;
  private streamId: number | null = null;
  private painted = 0;
  private acked = 0;
  private ended = false;
  private closed = false;
  private readonly schedule: FrameScheduler;

  constructor(private readonly options: StreamPumpOptions) {
    this.schedule = options.schedule ?? animationFrame;
  }

  /** The channel's `onmessage`: queue, and make sure a frame is coming. */
  readonly push = (message: StreamMessage): void => {
    if (this.closed) return;
    this.queue.push(message);
    this.request();
  };

  /** The id from the `Turn`; enables acks (and acks what was painted before it was known). */
  setStreamId(id: number): void {
    this.streamId = id;
    if (this.painted > this.acked && !this.ended) this.request();
  }

  /** The highest seq painted so far. */
  get highestPainted(): number {
    return this.painted;
  }

  /** True once the ending has been applied. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Stops painting (the message element went away for good). */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.cancelFrame?.();
    this.cancelFrame = null;
  }

  private request(): void {
    if (this.cancelFrame || this.closed) return;
    this.cancelFrame = this.schedule(() => this.frame());
  }

  private frame(): void {
    this.cancelFrame = null;
    if (this.closed) return;
    const batch = this.queue;
    this.queue = [];
    if (batch.length) {
      this.options.apply(batch);
      for (const m of batch) {
        if (m.seq > this.painted) this.painted = m.seq;
        if (isEnding(m)) this.ended = true;
      }
    }
    // The stream is over after its ending: Rust has forgotten it, an ack would only be refused.
    if (!this.ended && this.streamId !== null && this.painted > this.acked) {
      this.acked = this.painted;
      this.options.ack(this.streamId, this.painted);
    }
    if (this.ended) this.close();
  }
}
