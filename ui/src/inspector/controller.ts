/**
 * What the inspector shows and where it gets it: an answer's recorded stream (`stream_events`),
 * a running answer's rows as they come (`inspect_stream`, from its first event; when it ends, the
 * saved recording replaces them), or an `.sse` file (`open_stream_file`). A finished stream's rows
 * come a window at a time: the first here, the others as the list scrolls to them. Rows that
 * arrive for a source no longer shown are dropped (each source gets a token).
 */
import type { Ipc } from "../ipc";
import type { UiError } from "../types";
import { InspectorView } from "../views/inspector";
import type { FrameScheduler } from "../stream";
import { copyText } from "../clipboard";
import { type FetchWindow, PAGE_ROWS } from "./sources";

/** An inspector error in words: Rust's own message names the answer or file and what is wrong. */
function errorText(error: UiError): string {
  return error.message || `Could not read the stream (${error.kind})`;
}

/** An answer the inspector can show: its element's id, model and toggle button. */
export interface Inspectable {
  readonly id: number;
  readonly el: HTMLElement;
  readonly view: { model: string | null };
}

export interface InspectorControllerHooks {
  /** The panel opened or closed. */
  onOpenChanged(open: boolean): void;
}

export class InspectorController {
  readonly view: InspectorView;
  private target: Inspectable | null = null;
  private messageId: number | null = null;
  private liveStreamId: number | null = null;
  /** The answer is shown live as soon as its stream id is known. */
  private awaitingStream = false;
  private token = 0;

  constructor(
    private readonly ipc: Ipc,
    private readonly hooks: InspectorControllerHooks,
    options: { schedule?: FrameScheduler } = {},
  ) {
    this.view = new InspectorView(
      {
        onClose: () => this.close(),
        onExport: () => {
          if (this.messageId === null) return Promise.reject(new Error("nothing to export"));
          return this.ipc.exportStream(this.messageId).catch((e: UiError) => Promise.reject(new Error(errorText(e))));
        },
        onCopy: (text) => copyText(text),
        onOpenFile: (path) => void this.openFile(path),
      },
      options,
    );
  }

  /** The answer shown, if any. */
  get current(): Inspectable | null {
    return this.view.isOpen ? this.target : null;
  }

  /**
   * Shows `answer`'s stream. `live`: it is streaming now, on stream `streamId` (null until its
   * command returned: it is shown live once `streamStarted` says so).
   */
  showAnswer(answer: Inspectable, live: { streamId: number | null } | null): void {
    const token = this.begin(answer);
    const model = answer.view.model;
    this.view.open("Stream inspector", live ? `${model ?? "answer"} · streaming` : model ?? "answer", false);
    this.view.showFileForm(false);
    if (!live) {
      void this.loadAnswer(answer.id, token);
      return;
    }
    this.view.startLive();
    if (live.streamId === null) this.awaitingStream = true;
    else void this.inspectLive(live.streamId, answer.id, token);
  }

  /** `answer`'s stream got its id: if the inspector waits for it, it goes live. */
  streamStarted(answer: Inspectable, streamId: number): void {
    if (this.current !== answer || !this.awaitingStream) return;
    this.awaitingStream = false;
    void this.inspectLive(streamId, answer.id, this.token);
  }

  /**
   * `answer`'s stream ended and was saved as message `id`: the saved recording replaces the live
   * rows (which stay until it is read).
   */
  answerEnded(answer: Inspectable, id: number): void {
    if (this.current !== answer) return;
    const token = ++this.token;
    this.liveStreamId = null;
    this.awaitingStream = false;
    this.view.setSubtitle(answer.view.model ?? "answer");
    void this.loadAnswer(id, token);
  }

  /** Opens the panel on an empty file field, to type or paste an `.sse` file's path into. */
  promptFile(): void {
    this.begin(null);
    this.view.open("Open an .sse file", "A stream saved by Export or `runnel chat --save-sse`", false);
    this.view.say("");
    this.view.showFileForm(true);
  }

  /** Opens the `.sse` file at `path` (with its sidecar when there is one). */
  async openFile(path: string): Promise<void> {
    const token = this.begin(null);
    const name = path.split(/[\\/]/).pop() || path;
    this.view.open(name, path, false);
    this.view.showFileForm(true, path);
    try {
      const fetch: FetchWindow = (start, count, filter) => this.ipc.openStreamFile(path, start, count, filter);
      const first = await fetch(0, PAGE_ROWS, "");
      if (token === this.token) this.view.showStream(first, fetch);
    } catch (e) {
      if (token === this.token) this.view.showError(errorText(e as UiError));
    }
  }

  /** Closes the panel (a live inspection stops). */
  close(): void {
    if (!this.view.isOpen) return;
    this.begin(null);
    this.view.close();
    this.hooks.onOpenChanged(false);
  }

  /** Toggles the panel on `answer`. */
  toggle(answer: Inspectable, live: { streamId: number | null } | null): void {
    if (this.current === answer) this.close();
    else this.showAnswer(answer, live);
  }

  /** A new source: stops the previous live inspection, marks the toggles. */
  private begin(answer: Inspectable | null): number {
    if (this.liveStreamId !== null) void this.ipc.stopInspecting(this.liveStreamId).catch(() => undefined);
    this.liveStreamId = null;
    this.awaitingStream = false;
    this.target?.el.querySelector("[data-testid=inspector-toggle]")?.setAttribute("aria-pressed", "false");
    this.target = answer;
    this.messageId = null;
    answer?.el.querySelector("[data-testid=inspector-toggle]")?.setAttribute("aria-pressed", "true");
    const wasOpen = this.view.isOpen;
    if (!wasOpen) queueMicrotask(() => this.hooks.onOpenChanged(true));
    return ++this.token;
  }

  private async inspectLive(streamId: number, answerId: number, token: number): Promise<void> {
    this.liveStreamId = streamId;
    let running = false;
    try {
      running = await this.ipc.inspectStream(streamId, (batch) => {
        if (token === this.token) this.view.appendRows(batch);
      });
    } catch (e) {
      if (token === this.token) this.view.showError(errorText(e as UiError));
      return;
    }
    // Already over: the page will learn it from the stream's ending (`answerEnded`); until then
    // the saved recording is what there is.
    if (!running && token === this.token) void this.loadAnswer(answerId, token);
  }

  private async loadAnswer(id: number, token: number): Promise<void> {
    try {
      const fetch: FetchWindow = (start, count, filter) => this.ipc.streamEvents(id, start, count, filter);
      const first = await fetch(0, PAGE_ROWS, "");
      if (token !== this.token) return;
      this.messageId = id;
      this.view.showStream(first, fetch);
      this.view.setExportable(true);
    } catch (e) {
      if (token === this.token) this.view.showError(errorText(e as UiError));
    }
  }
}
