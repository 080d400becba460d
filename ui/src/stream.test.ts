import { describe, expect, it, vi } from "vitest";
import { ACK_EVERY, StreamPump, sharedFrames, type FrameScheduler } from "./stream";
import type { StreamMessage } from "./types";

/** A scheduler that runs frames only when the test says so. */
function manualFrames() {
  const pending: (() => void)[] = [];
  const schedule: FrameScheduler = (cb) => {
    pending.push(cb);
    return () => {
      const i = pending.indexOf(cb);
      if (i >= 0) pending.splice(i, 1);
    };
  };
  return {
    schedule,
    get scheduled() {
      return pending.length;
    },
    frame() {
      const cbs = pending.splice(0);
      for (const cb of cbs) cb();
    },
  };
}

const text = (seq: number, t = `t${seq}`): StreamMessage => ({ type: "text", seq, text: t });

/** Pushes text messages `from`..=`to`. */
function pushTexts(pump: StreamPump, from: number, to: number): void {
  for (let seq = from; seq <= to; seq++) pump.push(text(seq));
}

describe("StreamPump", () => {
  it("hands each message over as it arrives and paints once per frame", () => {
    const frames = manualFrames();
    const receive = vi.fn();
    const paint = vi.fn();
    const pump = new StreamPump({ receive, paint, ack: () => {}, schedule: frames.schedule });
    pump.setStreamId(7);
    for (let i = 1; i <= 50; i++) pump.push(text(i));
    expect(receive).toHaveBeenCalledTimes(50); // on the page before any frame
    expect(receive.mock.calls.map(([m]) => (m as StreamMessage).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(frames.scheduled).toBe(1); // one frame requested, not fifty
    expect(paint).not.toHaveBeenCalled();
    frames.frame();
    expect(paint).toHaveBeenCalledTimes(1);
  });

  it("acks the highest seq painted, at a frame, once ACK_EVERY messages are painted since the last ack", () => {
    expect(ACK_EVERY).toBeGreaterThan(1);
    expect(ACK_EVERY).toBeLessThan(8); // Rust merges text past 8 unacknowledged (IPC.md)
    const frames = manualFrames();
    const ack = vi.fn();
    const pump = new StreamPump({ receive: () => {}, paint: () => {}, ack, schedule: frames.schedule });
    pump.setStreamId(3);
    pushTexts(pump, 1, ACK_EVERY - 1);
    frames.frame();
    expect(ack).not.toHaveBeenCalled(); // painted, but fewer than ACK_EVERY
    pump.push(text(ACK_EVERY));
    expect(ack).not.toHaveBeenCalled(); // received, not painted yet
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenLastCalledWith(3, ACK_EVERY);
    pushTexts(pump, ACK_EVERY + 1, 2 * ACK_EVERY + 2);
    pump.push({ type: "usage", seq: 2 * ACK_EVERY + 3, input_tokens: 1, output_tokens: 2 });
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(2); // one ack per frame, however many it painted
    expect(ack).toHaveBeenLastCalledWith(3, 2 * ACK_EVERY + 3);
    expect(pump.highestPainted).toBe(2 * ACK_EVERY + 3);
  });

  it("does not paint or ack before a frame, nor paint or ack without new messages", () => {
    const frames = manualFrames();
    const ack = vi.fn();
    const paint = vi.fn();
    const pump = new StreamPump({ receive: () => {}, paint, ack, schedule: frames.schedule });
    pump.setStreamId(1);
    frames.frame();
    expect(ack).not.toHaveBeenCalled();
    pushTexts(pump, 1, ACK_EVERY);
    expect(ack).not.toHaveBeenCalled();
    frames.frame();
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(1);
    expect(paint).toHaveBeenCalledTimes(1);
  });

  it("paints before the stream id is known and acks once it is", () => {
    const frames = manualFrames();
    const paint = vi.fn();
    const ack = vi.fn();
    const pump = new StreamPump({ receive: () => {}, paint, ack, schedule: frames.schedule });
    pushTexts(pump, 1, ACK_EVERY);
    frames.frame();
    expect(paint).toHaveBeenCalledTimes(1);
    expect(ack).not.toHaveBeenCalled();
    pump.setStreamId(9);
    frames.frame();
    expect(ack).toHaveBeenCalledWith(9, ACK_EVERY);
    expect(paint).toHaveBeenCalledTimes(1); // nothing new to paint
  });

  it("stops at the ending: received at once, no frame, no ack for it, nothing after it", () => {
    const frames = manualFrames();
    const receive = vi.fn();
    const paint = vi.fn();
    const ack = vi.fn();
    const pump = new StreamPump({ receive, paint, ack, schedule: frames.schedule });
    pump.setStreamId(2);
    pushTexts(pump, 1, ACK_EVERY);
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(1);
    pushTexts(pump, ACK_EVERY + 1, 2 * ACK_EVERY);
    pump.push({ type: "stopped", seq: 2 * ACK_EVERY + 1, saved: { id: 1, state: "stopped", error: null, stats: null } });
    expect(pump.isEnded).toBe(true);
    expect(receive).toHaveBeenCalledTimes(2 * ACK_EVERY + 1);
    expect(frames.scheduled).toBe(0); // the ending painted itself; the frame was cancelled
    pump.push(text(2 * ACK_EVERY + 2));
    expect(receive).toHaveBeenCalledTimes(2 * ACK_EVERY + 1);
    expect(frames.scheduled).toBe(0);
    expect(paint).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledTimes(1);
  });

  it("paints again at the next frames while behind (a burst's backlog), also after the ending, then stops", () => {
    const frames = manualFrames();
    let backlog = 0; // frames of formatting still due
    const paint = vi.fn(() => {
      if (backlog) backlog--;
    });
    const ack = vi.fn();
    const pump = new StreamPump({ receive: () => {}, paint, ack, behind: () => backlog > 0, schedule: frames.schedule });
    pump.setStreamId(4);
    backlog = 3;
    pushTexts(pump, 1, ACK_EVERY);
    frames.frame();
    expect(paint).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenLastCalledWith(4, ACK_EVERY); // the text is on the page, formatted or not
    expect(frames.scheduled).toBe(1); // no new message, but still behind
    frames.frame();
    expect(paint).toHaveBeenCalledTimes(2);
    pump.push({ type: "finish", seq: ACK_EVERY + 1, reason: "stop", raw_reason: "stop", saved: { id: 1, state: "done", error: null, stats: null } });
    expect(frames.scheduled).toBe(1); // the ending does not stop the catching up
    frames.frame();
    expect(paint).toHaveBeenCalledTimes(3);
    expect(backlog).toBe(0);
    expect(frames.scheduled).toBe(0); // caught up: closed
    expect(ack).toHaveBeenCalledTimes(1); // nothing acked after the ending
    pump.push(text(ACK_EVERY + 2));
    expect(frames.scheduled).toBe(0);
  });

  it("the default scheduler paints on the next animation frame", async () => {
    const paint = vi.fn();
    const pump = new StreamPump({ receive: () => {}, paint, ack: () => {} });
    pump.push(text(1));
    pump.push(text(2));
    expect(paint).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 300));
    expect(paint).toHaveBeenCalledTimes(1);
  });
});

describe("sharedFrames", () => {
  it("runs every pump's frame in one frame, then `after` once", () => {
    const frames = manualFrames();
    const order: string[] = [];
    const shared = sharedFrames(frames.schedule, () => order.push("after"));
    const pumps = [1, 2, 3].map(
      (n) => new StreamPump({ receive: () => {}, paint: () => order.push(`paint ${n}`), ack: () => {}, schedule: shared }),
    );
    for (const pump of pumps) pump.push(text(1));
    expect(frames.scheduled).toBe(1);
    frames.frame();
    expect(order).toEqual(["paint 1", "paint 2", "paint 3", "after"]);
    // A pump that ends cancels its own callback; the others still paint.
    pumps[0].push(text(2));
    pumps[1].push(text(2));
    pumps[0].push({ type: "stopped", seq: 3, saved: { id: 1, state: "stopped", error: null, stats: null } });
    frames.frame();
    expect(order.slice(4)).toEqual(["paint 2", "after"]);
  });
});
