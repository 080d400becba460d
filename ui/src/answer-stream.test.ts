import { beforeEach, describe, expect, it, vi, type Mock } from "vitest";
import { AnswerStream, type AnswerStreamHooks, type AnswerStreamIpc, type StreamFollower } from "./answer-stream";
import type { StreamHandler } from "./ipc";
import { flush, manualFrames, messageView } from "./testing";
import { Role, type MessageView, type Turn, type UiError } from "./types";
import { MessageElement } from "./views/message";

const view = (extra: Partial<MessageView> = {}): MessageView => messageView({ id: -1, conversation_id: 3, ...extra });
const turn = (streamId: number): Turn => ({ user: view({ id: 1, role: Role.user, state: "done" }), assistant: view({ id: 2 }), stream_id: streamId, deleted: [] });
const messageHooks = { providerName: () => null, onEdit: vi.fn(), onRegenerate: vi.fn(), onOpenSettings: vi.fn(), onEditClosed: vi.fn() };

/** Mock functions of each method of `T`, typed as they are. */
type Mocked<T> = { [K in keyof T]-?: Mock<Extract<NonNullable<T[K]>, (...args: never) => unknown>> };
let ipc: Mocked<AnswerStreamIpc>;
let hooks: Mocked<AnswerStreamHooks>;
let follower: Mocked<StreamFollower>;
let answer: MessageElement;
let stream: AnswerStream;
const { schedule, frame } = manualFrames();

beforeEach(() => {
  ipc = { stopStream: vi.fn(async () => null), ackStream: vi.fn(async () => null) };
  hooks = { received: vi.fn(), painted: vi.fn(), started: vi.fn(), ended: vi.fn() };
  follower = { streamStarted: vi.fn(), answerEnded: vi.fn() };
  answer = new MessageElement(view(), messageHooks, true);
  stream = new AnswerStream(answer, ipc, hooks, { schedule, follower });
});

/** A command whose Turn comes when the test says: `on` is the channel's handler it was given. */
function pendingCommand() {
  let on: StreamHandler = () => undefined;
  let reply: (turn: Turn) => void = () => undefined;
  let fail: (error: UiError) => void = () => undefined;
  const command = (handler: StreamHandler) =>
    new Promise<Turn>((ok, no) => {
      on = handler;
      reply = ok;
      fail = no;
    });
  return { command, on: (...args: Parameters<StreamHandler>) => on(...args), reply: (t: Turn) => reply(t), fail: (e: UiError) => fail(e) };
}

describe("an answer's stream", () => {
  it("paints the channel's messages into the answer, acks once the id is known, and ends on the ending", async () => {
    const pending = pendingCommand();
    const started = stream.start(pending.command);
    // Four pieces: the page acks once ACK_EVERY messages are painted.
    ["Hello ", "**y", "ou", "**"].forEach((text, i) => pending.on({ seq: i + 1, type: "text", text }));
    expect(hooks.received).toHaveBeenCalledTimes(4);
    frame();
    expect(answer.el.querySelector("strong")?.textContent).toBe("you");
    expect(hooks.painted).toHaveBeenCalledTimes(1);
    expect(ipc.ackStream).not.toHaveBeenCalled();
    pending.reply(turn(7));
    await started;
    expect(stream.streamId).toBe(7);
    expect(answer.id).toBe(2);
    expect(hooks.started).toHaveBeenCalledWith(turn(7));
    expect(follower.streamStarted).toHaveBeenCalledWith(answer, 7);
    frame();
    expect(ipc.ackStream).toHaveBeenCalledExactlyOnceWith(7, 4);

    pending.on({ seq: 5, type: "finish", reason: "stop", raw_reason: null, saved: { id: 2, state: "done", error: null, stats: null } });
    expect(hooks.ended).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ id: 2, state: "done", content: "Hello **you**" }));
    expect(follower.answerEnded).toHaveBeenCalledWith(answer, 2);
    stream.stop();
    expect(ipc.stopStream).not.toHaveBeenCalled();
  });

  it("a Stop before the command returned the stream's id is sent once it is", async () => {
    const pending = pendingCommand();
    const started = stream.start(pending.command);
    stream.stop();
    await flush();
    expect(ipc.stopStream).not.toHaveBeenCalled();
    pending.reply(turn(9));
    await started;
    expect(ipc.stopStream).toHaveBeenCalledExactlyOnceWith(9);
    stream.stop();
    expect(ipc.stopStream).toHaveBeenCalledTimes(2);
  });

  it("a command that fails ends the answer with its error, and Retry", async () => {
    const pending = pendingCommand();
    const started = stream.start(pending.command);
    pending.on({ seq: 1, type: "text", text: "Partial" });
    const error: UiError = { kind: "not_found", message: "That conversation no longer exists.", status: null, error_type: null, retry_after: null, retryable: false };
    pending.fail(error);
    await started;
    expect(answer.view.state).toBe("error");
    expect(answer.el.querySelector("[data-testid=message-error]")?.textContent).toContain("That conversation no longer exists.");
    expect(answer.el.querySelector("[data-testid=retry]")).not.toBeNull();
    expect(hooks.ended).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ state: "error", error, content: "Partial" }));
    expect(follower.answerEnded).toHaveBeenCalledWith(answer, -1);
    expect(hooks.started).not.toHaveBeenCalled();
    frame();
    expect(hooks.painted).not.toHaveBeenCalled();
  });
});
