import { describe, expect, it, vi } from "vitest";
import { StreamPump, type FrameScheduler } from "./stream";
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

describe("StreamPump", () => {
  it("coalesces many messages arriving within one frame into one paint", () => {
    const frames = manualFrames();
    const apply = vi.fn();
    const ack = vi.fn();
    const pump = new StreamPump({ apply, ack, schedule: frames.schedule });
    pump.setStreamId(7);
    for (let i = 1; i <= 50; i++) pump.push(text(i));
    expect(frames.scheduled).toBe(1); // one frame requested, not fifty
    expect(apply).not.toHaveBeenCalled();
    frames.frame();
    expect(apply).toHaveBeenCalledTimes(1);
    expect(apply.mock.calls[0][0]).toHaveLength(50);
    expect(apply.mock.calls[0][0].map((m: StreamMessage) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("acks once per frame with the highest seq painted", () => {
    const frames = manualFrames();
    const ack = vi.fn();
    const pump = new StreamPump({ apply: () => {}, ack, schedule: frames.schedule });
    pump.setStreamId(3);
    pump.push(text(1));
    pump.push(text(2));
    pump.push(text(3));
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenLastCalledWith(3, 3);
    pump.push(text(4));
    pump.push({ type: "usage", seq: 5, input_tokens: 1, output_tokens: 2 });
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(2);
    expect(ack).toHaveBeenLastCalledWith(3, 5);
    expect(pump.highestPainted).toBe(5);
  });

  it("does not paint or ack before a frame, nor ack without new paint", () => {
    const frames = manualFrames();
    const ack = vi.fn();
    const pump = new StreamPump({ apply: () => {}, ack, schedule: frames.schedule });
    pump.setStreamId(1);
    frames.frame();
    expect(ack).not.toHaveBeenCalled();
    pump.push(text(1));
    expect(ack).not.toHaveBeenCalled();
    frames.frame();
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(1);
  });

  it("paints before the stream id is known and acks once it is", () => {
    const frames = manualFrames();
    const apply = vi.fn();
    const ack = vi.fn();
    const pump = new StreamPump({ apply, ack, schedule: frames.schedule });
    pump.push(text(1));
    pump.push(text(2));
    frames.frame();
    expect(apply).toHaveBeenCalledTimes(1);
    expect(ack).not.toHaveBeenCalled();
    pump.setStreamId(9);
    frames.frame();
    expect(ack).toHaveBeenCalledWith(9, 2);
    expect(apply).toHaveBeenCalledTimes(1); // nothing new to paint
  });

  it("stops after the ending: no ack for it, nothing painted later", () => {
    const frames = manualFrames();
    const apply = vi.fn();
    const ack = vi.fn();
    const pump = new StreamPump({ apply, ack, schedule: frames.schedule });
    pump.setStreamId(2);
    pump.push(text(1));
    frames.frame();
    expect(ack).toHaveBeenCalledTimes(1);
    pump.push(text(2));
    pump.push({ type: "stopped", seq: 3, saved: { id: 1, state: "stopped", error: null, stats: null } });
    frames.frame();
    expect(pump.isEnded).toBe(true);
    expect(ack).toHaveBeenCalledTimes(1);
    pump.push(text(4));
    expect(frames.scheduled).toBe(0);
    expect(apply).toHaveBeenCalledTimes(2);
  });

  it("the default scheduler paints on the next animation frame", async () => {
    const apply = vi.fn();
    const pump = new StreamPump({ apply, ack: () => {} });
    pump.push(text(1));
    pump.push(text(2));
    expect(apply).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 300));
    expect(apply).toHaveBeenCalledTimes(1);
  });
});
