/**
 * One answer's stream on the page, from the command that starts it to its ending: the same for
 * a chat's answer and a compare column. It owns the answer's `StreamPump` (channel messages →
 * the `MessageElement`, a paint per frame, acks), a Stop pressed before the command returned the
 * stream's id (sent once the id is known), and a command that fails (the answer shows the error,
 * with Retry). The view that shows the answer adds its own work through the hooks.
 */
import type { Ipc, StreamHandler } from "./ipc";
import { StreamPump, type FrameScheduler } from "./stream";
import type { MessageView, StreamMessage, Turn, UiError } from "./types";
import type { MessageElement } from "./views/message";

/** The commands an answer's stream calls. */
export type AnswerStreamIpc = Pick<Ipc, "stopStream" | "ackStream">;

export interface AnswerStreamHooks {
  /** The answer took `message`, as it arrived: only cheap work here. */
  received?(message: StreamMessage): void;
  /** The answer was painted (once per frame while messages arrive). */
  painted?(): void;
  /** The command returned `turn`: the stream has its id. */
  started?(turn: Turn): void;
  /** The answer ended as `final`: its ending arrived, or its command failed. */
  ended(final: MessageView): void;
}

/** Who else follows answers' streams (the stream inspector): told each one's id, then its saved id. */
export interface StreamFollower {
  streamStarted(answer: MessageElement, streamId: number): void;
  answerEnded(answer: MessageElement, id: number): void;
}

export class AnswerStream {
  private readonly pump: StreamPump;
  private id: number | null = null;
  private stopRequested = false;
  private ended = false;

  constructor(
    readonly answer: MessageElement,
    private readonly ipc: AnswerStreamIpc,
    private readonly hooks: AnswerStreamHooks,
    private readonly options: { schedule?: FrameScheduler; follower?: StreamFollower } = {},
  ) {
    this.pump = new StreamPump({
      schedule: options.schedule,
      receive: (message) => {
        // On the ending the answer shows its state now and leaves its text's final formatting to
        // the next paint; the hooks and the follower learn of the end now.
        const end = answer.receive(message);
        hooks.received?.(message);
        if (end) this.end(end);
      },
      paint: () => {
        answer.paint();
        hooks.painted?.();
      },
      behind: () => answer.behind,
      ack: (streamId, seq) => void ipc.ackStream(streamId, seq).catch(() => undefined),
    });
  }

  /** The stream's id, once its command returned it. */
  get streamId(): number | null {
    return this.id;
  }

  /** Runs the command that starts the stream, handing it the channel's handler; resolves once it returned or failed. */
  async start(command: (on: StreamHandler) => Promise<Turn>): Promise<void> {
    try {
      const turn = await command(this.pump.push);
      this.answer.adopt(turn.assistant);
      this.id = turn.stream_id;
      this.pump.setStreamId(turn.stream_id);
      this.hooks.started?.(turn);
      this.options.follower?.streamStarted(this.answer, turn.stream_id);
      if (this.stopRequested) this.stop();
    } catch (e) {
      // The command itself failed (nothing streamed): the answer shows the error, with Retry.
      this.pump.close();
      const answer = this.answer;
      answer.endStream({ ...answer.view, state: "error", error: e as UiError, content: answer.content });
      this.end(answer.view);
    }
  }

  /** Stops the stream: now if its id is known, else as soon as the command returns it. */
  stop(): void {
    if (this.ended) return;
    if (this.id === null) this.stopRequested = true;
    else void this.ipc.stopStream(this.id).catch(() => undefined);
  }

  private end(final: MessageView): void {
    this.ended = true;
    this.options.follower?.answerEnded(this.answer, final.id);
    this.hooks.ended(final);
  }
}
