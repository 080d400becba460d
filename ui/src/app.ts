/**
 * The app: owns the state (open conversation, chosen model, running streams) and wires the views
 * to the IPC commands. Views know nothing about IPC; `ipc.ts` knows nothing about views.
 *
 * Streams: one `AnswerStream` per answer, each with its own Channel. A stream belongs to a
 * conversation and keeps painting into its message element even while another conversation is
 * open; coming back shows that same element.
 *
 * Versions (docs/VERSIONS.md): Regenerate, Retry, Another model and an edit show the new version
 * in place of the one they answer again (Rust keeps it; `‹ ›` brings it back through
 * `show_version`, whose conversation the transcript then shows).
 */
import { AnswerStream } from "./answer-stream";
import { button, h } from "./dom";
import { describeError } from "./errors";
import { demoHint, modelGoneNote, modelLabel, providerName, splitModel } from "./format";
import { icon } from "./icons";
import { InspectorController } from "./inspector/controller";
import { ExportController } from "./exports";
import type { Ipc, StreamHandler } from "./ipc";
import { PanelLayout } from "./panels";
import { matchShortcut, modLabel } from "./shortcuts";
import type { FrameScheduler } from "./stream";
import { Role, type AppInfo, type ConversationSummary, type MessageView, type ProviderView, type Turn, type UiError } from "./types";
import { StartupBanners } from "./views/banner";
import { ChatView } from "./views/chat";
import { CompareView } from "./views/compare";
import { ComposerView } from "./views/composer";
import { MessageElement, type MessageHooks } from "./views/message";
import { PickerView } from "./views/picker";
import { SettingsView } from "./views/settings";
import { SidebarView } from "./views/sidebar";
import { TopBarView } from "./views/topbar";

/**
 * Where a dismissal of the demo provider's hint is kept: for the built-in demo, the same key as
 * before the demo's id came from Rust (`runnel.demo-hint-dismissed`), so an old dismissal holds.
 */
const hintDismissed = (demo: string): string => `runnel.${demo}-hint-dismissed`;

export class App {
  readonly root: HTMLElement;
  private readonly sidebar: SidebarView;
  private readonly chat: ChatView;
  private readonly compare: CompareView;
  private readonly composer: ComposerView;
  private readonly picker: PickerView;
  private readonly settings: SettingsView;
  private readonly topbar: TopBarView;
  private readonly hint: HTMLElement;
  private readonly hintText: HTMLElement;
  private readonly mainView: HTMLElement;
  private readonly bottom: HTMLElement;
  private readonly banners = new StartupBanners();
  private readonly inspector: InspectorController;
  private readonly panels: PanelLayout;
  /** Says that the model last used is gone and which one is used instead. */
  private readonly modelNote: HTMLElement;
  private readonly modelNoteText: HTMLElement;
  private readonly exports: ExportController;

  private info: AppInfo | null = null;
  private catalog: ProviderView[] = [];
  private conversations: ConversationSummary[] = [];
  private currentId: number | null = null;
  private model = "";
  /** The model of the last turn sent anywhere; new conversations start on it. */
  private lastModel = "";
  private settingsOpen = false;
  /** What the main area shows (under Settings, when it is open): a chat or a compare run. */
  private mode: "chat" | "compare" = "chat";
  /** The running stream of each conversation that has one, by conversation id. */
  private readonly live = new Map<number, AnswerStream>();
  private readonly retryOverrides = new WeakMap<MessageElement, () => void>();
  /** The answer the picker was opened from ("Another model"), which a choice answers again. */
  private answerAgainFor: MessageElement | null = null;
  private openToken = 0;
  private readonly hooks: MessageHooks;

  constructor(
    private readonly ipc: Ipc,
    private readonly options: { schedule?: FrameScheduler; storage?: Storage | null } = {},
  ) {
    this.hooks = {
      providerName: (model) => providerName(model, this.catalog),
      onEdit: (message, text) => void this.edit(message, text),
      onRegenerate: (message) => void this.regenerate(message),
      onAnswerAgain: (message) => this.openPickerToAnswerAgain(message),
      onShowVersion: (message, answerId) => void this.showVersion(message, answerId),
      onOpenSettings: () => this.openSettings(),
      onEditClosed: () => this.composer.focus(),
      onInspect: (message) => this.toggleInspector(message),
    };
    this.inspector = new InspectorController(
      this.ipc,
      {
        onOpenChanged: (open) => {
          this.root.classList.toggle("inspecting", open);
          this.panels.setInspectorOpen(open);
        },
      },
      { schedule: this.options.schedule },
    );

    this.exports = new ExportController(this.ipc, {
      onImported: (conversation) => void this.refreshConversations().then(() => this.openConversation(conversation.id)),
    });

    this.sidebar = new SidebarView({
      onNew: () => this.newConversation(),
      onCompare: () => this.openCompare(),
      onOpen: (id) => void this.openConversation(id),
      onSearch: () => void this.refreshConversations(),
      onRename: async (id, title) => {
        await this.ipc.renameConversation(id, title);
        await this.refreshConversations();
      },
      onDelete: (id) => this.deleteConversation(id),
      onExport: (id, trigger) => this.exports.toggleMenu(trigger, id),
      onImport: () => this.exports.chooseImport(),
    });

    const mod = modLabel();
    const empty = h(
      "div",
      { class: "empty-state column" },
      h("h1", null, "What can I help with?"),
      h("p", { class: "muted" }, "Answers stream in as they are written. Stop any time with Esc."),
      h(
        "p",
        { class: "shortcuts muted" },
        h("kbd", null, `${mod} K`),
        " model · ",
        h("kbd", null, `${mod} N`),
        " new chat · ",
        h("kbd", null, `${mod} ,`),
        " settings · ",
        h("kbd", null, "↑"),
        " edit last · ",
        h("kbd", null, `${mod} ⇧ M`),
        " compare models",
      ),
    );
    this.chat = new ChatView({ onOpenLink: (url) => void this.ipc.openLink(url).catch(() => undefined) }, empty);

    this.compare = new CompareView(this.ipc, {
      providerName: (model) => providerName(model, this.catalog),
      onStarted: (run) => {
        if (this.mode !== "compare") return;
        this.currentId = run.id;
        void this.refreshConversations();
      },
      onChanged: () => void this.refreshConversations(),
      onKeep: (chat, model) => {
        this.lastModel = model;
        void this.refreshConversations().then(() => this.openConversation(chat.id));
      },
      onOpenSettings: () => this.openSettings(),
      onOpenLink: (url) => void this.ipc.openLink(url).catch(() => undefined),
      onInspect: (answer, live) => this.toggleInspector(answer, live),
    }, { schedule: this.options.schedule, follower: this.inspector });

    this.composer = new ComposerView({
      onSend: (text) => void this.send(text),
      onStop: () => this.stop(),
      onEditLast: () => this.chat.lastUserMessage()?.startEdit(),
    });

    this.picker = new PickerView({
      onChoose: (model) => {
        this.topbar.setPickerOpen(false);
        this.modelNote.hidden = true;
        this.setModel(model);
        const again = this.answerAgainFor;
        this.answerAgainFor = null;
        this.composer.focus();
        if (again) void this.regenerate(again);
      },
      onClose: () => {
        this.topbar.setPickerOpen(false);
        this.answerAgainFor = null;
        this.composer.focus();
      },
      onRefresh: async (provider) => {
        const fresh = await this.ipc.refreshModels(provider);
        this.catalog = this.catalog.map((g) => (g.id === provider ? fresh : g));
        return fresh;
      },
      onOpenSettings: () => {
        this.picker.close();
        this.openSettings();
      },
    });

    this.settings = new SettingsView(this.ipc, {
      onClose: () => this.closeSettings(),
      onProvidersChanged: () => void this.reloadCatalog(),
    });

    this.topbar = new TopBarView(
      {
        onToggleSidebar: () => this.toggleSidebar(),
        onTogglePicker: () => this.togglePicker(),
        onToggleSettings: () => (this.settingsOpen ? this.closeSettings() : this.openSettings()),
        onOpenStreamFile: () => this.inspector.promptFile(),
        onExport: (trigger) => {
          if (this.currentId !== null) this.exports.toggleMenu(trigger, this.currentId);
        },
      },
      this.picker.el,
    );

    this.hintText = h("span", { class: "hint-text" });
    this.hint = h(
      "div",
      { class: "column hint", "data-testid": "first-run-hint", role: "note", hidden: true },
      h(
        "div",
        { class: "hint-box" },
        this.hintText,
        button("Open Settings", () => this.openSettings(), { class: "text-button hint-action" }),
        button("Dismiss this hint", () => this.dismissHint(), { class: "icon-button small", "data-testid": "dismiss-hint" }, icon("close")),
      ),
    );

    this.modelNoteText = h("span", { class: "hint-text" });
    this.modelNote = h(
      "div",
      { class: "column hint model-note", "data-testid": "model-fallback", role: "status", "aria-live": "polite", hidden: true },
      h(
        "div",
        { class: "hint-box" },
        this.modelNoteText,
        button("Dismiss this note", () => this.dismissModelNote(), { class: "icon-button small", "data-testid": "dismiss-model-fallback" }, icon("close")),
      ),
    );

    this.mainView = h("div", { class: "view" }, this.chat.el, this.compare.el, this.settings.el);
    this.settings.el.hidden = true;
    this.compare.el.hidden = true;
    this.bottom = h("div", { class: "bottom" }, this.modelNote, this.hint, this.composer.el);

    this.root = h("div", { class: "app" });
    this.panels = new PanelLayout(this.root, this.sidebar.el, this.inspector.view.el, (layout) => this.ipc.setLayout(layout));
    this.root.append(
      this.sidebar.el,
      this.panels.sidebarSplitter.el,
      h("div", { class: "main" }, this.topbar.el, this.banners.el, this.exports.notice.el, this.mainView, this.bottom),
      this.panels.inspectorSplitter.el,
      this.inspector.view.el,
      this.exports.menu.el,
      this.exports.input,
    );

    document.addEventListener("keydown", (e) => this.onKey(e));
    // The webview must never navigate: links go to the system browser (render/output-clicks.ts),
    // drops do nothing.
    document.addEventListener("click", (e) => {
      if ((e.target as Element | null)?.closest?.("a[href]")) e.preventDefault();
    });
    document.addEventListener("dragover", (e) => e.preventDefault());
    document.addEventListener("drop", (e) => e.preventDefault());
  }

  private get storage(): Storage | null {
    if (this.options.storage !== undefined) return this.options.storage;
    try {
      return window.localStorage;
    } catch {
      return null;
    }
  }

  /** Mounts the window and focuses the composer at once; data arrives right after. */
  async start(mount: HTMLElement): Promise<void> {
    mount.replaceChildren(this.root);
    this.composer.focus();
    const [info, settings, catalog] = await Promise.all([
      this.ipc.appInfo(),
      this.ipc.getSettings().catch(() => null),
      this.ipc.modelCatalog().catch(() => [] as ProviderView[]),
      this.refreshConversations(),
    ]);
    this.info = info;
    this.banners.show(info.startup_problems ?? []);
    this.catalog = catalog;
    if (settings?.layout) {
      this.panels.apply(settings.layout);
      this.setSidebar(settings.layout.sidebar_open, false);
    }
    let model = settings?.last_model || info.default_model;
    if (info.first_run || !this.isAvailable(model)) model = info.default_model;
    if (info.gone_model) this.showModelGone(info.gone_model, model);
    this.lastModel = model;
    this.setModel(model);
    // Local servers may answer after the catalog above was read (the app's own look at start-up
    // can still be under way): look for them and offer what answered, in the picker too if it is
    // open by then.
    // An .sse file dropped onto the window opens in the stream inspector.
    void this.ipc.watchFileDrops((paths) => void this.inspector.openFile(paths[0])).catch(() => undefined);
    void this.ipc
      .detectLocalServers()
      .then((found) => (found.length ? this.reloadCatalog() : undefined))
      .catch(() => undefined);
  }

  // ---- model ---------------------------------------------------------------------------------

  /** Says that `gone`, the model last used, no longer exists and `using` replaces it. */
  private showModelGone(gone: string, using: string): void {
    this.modelNoteText.textContent = modelGoneNote(gone, using, this.catalog);
    this.modelNote.hidden = false;
  }

  private dismissModelNote(): void {
    this.modelNote.hidden = true;
    this.composer.focus();
  }

  private isAvailable(model: string): boolean {
    const { provider, model: id } = splitModel(model);
    const group = this.catalog.find((g) => g.id === provider);
    return !!group && group.available && !!id;
  }

  private setModel(model: string): void {
    this.model = model;
    this.topbar.setModel(model);
    this.updateHint();
  }

  private updateHint(): void {
    const info = this.info;
    const onDemo = !!info && splitModel(this.model).provider === info.demo_provider;
    const show = !!info && (info.first_run || !info.has_key) && onDemo && this.storage?.getItem(hintDismissed(info.demo_provider)) !== "1";
    if (show) this.hintText.textContent = demoHint(this.catalog, info.demo_provider);
    this.hint.hidden = !show;
  }

  private dismissHint(): void {
    if (this.info) this.storage?.setItem(hintDismissed(this.info.demo_provider), "1");
    this.hint.hidden = true;
    this.composer.focus();
  }

  /**
   * Ctrl/⌘+K and the model button. With the focus on the last answer (one of its buttons), the
   * picker answers it again with the model chosen, as its "Another model" does.
   */
  private togglePicker(): void {
    // A comparison chooses its own models; the picker is the chat's.
    if (this.mode !== "chat") return;
    if (this.picker.isOpen) {
      this.picker.close();
      return;
    }
    const last = this.chat.lastAssistant();
    const focused = document.activeElement;
    if (last && focused && last.el.contains(focused) && !last.streaming) {
      this.openPickerToAnswerAgain(last);
      return;
    }
    if (this.settingsOpen) this.closeSettings();
    this.topbar.setPickerOpen(true);
    this.picker.open(this.catalog, this.model);
  }

  /** The picker, headed "Answer again with…": the model chosen answers `message`'s turn again. */
  private openPickerToAnswerAgain(message: MessageElement): void {
    if (this.mode !== "chat" || (this.currentId !== null && this.live.has(this.currentId))) return;
    if (this.picker.isOpen) this.picker.close();
    this.topbar.setPickerOpen(true);
    this.picker.open(this.catalog, this.model, "Answer again with…");
    this.answerAgainFor = message;
  }

  private async reloadCatalog(): Promise<void> {
    try {
      const [catalog, info] = await Promise.all([this.ipc.modelCatalog(), this.ipc.appInfo().catch(() => null)]);
      this.catalog = catalog;
      this.picker.setCatalog(catalog);
      // Whether a key is set is Rust's to say (an endpoint may answer without one).
      if (this.info && info) this.info = { ...this.info, has_key: info.has_key };
      this.updateHint();
    } catch {
      // keep the catalog we have
    }
  }

  // ---- conversations ----------------------------------------------------------------------------

  /** The sidebar marks conversation `id` open, and the header offers to export it. */
  private markActive(id: number | null): void {
    this.sidebar.setActive(id);
    this.topbar.setExportable(id !== null);
  }

  private async refreshConversations(): Promise<void> {
    try {
      const query = this.sidebar.currentQuery;
      this.conversations = await this.ipc.listConversations(query ? query : null);
      this.sidebar.setConversations(this.conversations);
      this.markActive(this.currentId);
    } catch {
      // the list stays as it was
    }
  }

  newConversation(): void {
    this.openToken++;
    this.closeSettings();
    this.showMode("chat");
    this.currentId = null;
    this.markActive(null);
    this.chat.setMessages([]);
    this.setModel(this.lastModel || this.model);
    this.syncStreaming();
    this.composer.focus();
  }

  async openConversation(id: number): Promise<void> {
    const token = ++this.openToken;
    this.closeSettings();
    let conversation;
    try {
      conversation = await this.ipc.getConversation(id);
    } catch (e) {
      this.chat.announce(describeError(e as UiError));
      return;
    }
    if (token !== this.openToken) return;
    this.currentId = id;
    this.markActive(id);
    if (conversation.kind === "compare") {
      this.compare.openSaved(conversation, this.catalog);
      this.showMode("compare");
      this.syncStreaming();
      return;
    }
    this.showMode("chat");
    const live = this.live.get(id);
    const elements = conversation.messages.map((m) =>
      live && live.answer.id === m.id ? live.answer : new MessageElement(m, this.hooks),
    );
    if (live && !elements.includes(live.answer)) elements.push(live.answer);
    this.chat.setMessages(elements);
    const summary = this.conversations.find((c) => c.id === id);
    const lastAnswer = [...conversation.messages].reverse().find((m) => m.role === Role.assistant && m.model);
    // Continue on the model this conversation last used, if it can still be used.
    const previous = summary?.last_model || lastAnswer?.model;
    this.setModel(previous && this.isAvailable(previous) ? previous : this.lastModel || this.model);
    this.syncStreaming();
    this.composer.focus();
  }

  private async deleteConversation(id: number): Promise<void> {
    this.live.get(id)?.stop();
    this.compare.forget(id);
    await this.ipc.deleteConversation(id);
    if (this.currentId === id) this.newConversation();
    await this.refreshConversations();
  }

  // ---- turns --------------------------------------------------------------------------------

  private placeholder(role: Role, conversationId: number, content: string, model: string | null): MessageView {
    return {
      id: -Date.now(),
      conversation_id: conversationId,
      role,
      content,
      thinking: "",
      model,
      state: role === Role.user ? "done" : "streaming",
      error: null,
      stats: null,
      created_at: Date.now(),
      versions: null,
    };
  }

  async send(text: string): Promise<void> {
    if (this.currentId !== null && this.live.has(this.currentId)) return;
    let conversationId = this.currentId;
    const model = this.model;
    if (conversationId === null) {
      try {
        const created = await this.ipc.createConversation();
        conversationId = created.id;
        this.currentId = created.id;
        this.conversations = [created, ...this.conversations];
        this.sidebar.setConversations(this.conversations);
        this.markActive(created.id);
      } catch (e) {
        this.composer.value = text;
        this.chat.announce(describeError(e as UiError));
        return;
      }
    }
    const cid = conversationId;
    const user = new MessageElement(this.placeholder(Role.user, cid, text, null), this.hooks);
    const answer = new MessageElement(this.placeholder(Role.assistant, cid, "", model), this.hooks, true);
    this.chat.append(user, answer);
    this.lastModel = model;
    this.retryOverrides.set(answer, () => {
      this.chat.removeFrom(user);
      void this.send(text);
    });
    await this.run(cid, answer, (on) => this.ipc.sendMessage(cid, text, model, on), user);
  }

  private async regenerate(message: MessageElement): Promise<void> {
    const cid = this.currentId;
    if (cid === null || this.live.has(cid)) return;
    const override = this.retryOverrides.get(message);
    if (override) {
      this.retryOverrides.delete(message);
      override();
      return;
    }
    const model = this.model;
    const answer = new MessageElement(this.placeholder(Role.assistant, cid, "", model), this.hooks, true);
    // The answer answered again stays a version of the turn (‹ › brings it back): the new one
    // takes its place.
    const question = this.chat.lastUserMessage();
    if (question) this.chat.remove(...this.chat.messages.slice(this.chat.messages.indexOf(question) + 1));
    this.chat.append(answer);
    this.lastModel = model;
    await this.run(cid, answer, (on) => this.ipc.regenerate(cid, model, on));
  }

  private async edit(message: MessageElement, text: string): Promise<void> {
    const cid = this.currentId;
    if (cid === null || this.live.has(cid)) {
      this.composer.focus();
      return;
    }
    const model = this.model;
    const messageId = message.id;
    const user = new MessageElement(this.placeholder(Role.user, cid, text, null), this.hooks);
    const answer = new MessageElement(this.placeholder(Role.assistant, cid, "", model), this.hooks, true);
    // The edited turn and what followed stay a version away (‹ › under the new answer).
    this.chat.removeFrom(message);
    this.chat.append(user, answer);
    this.lastModel = model;
    await this.run(cid, answer, (on) => this.ipc.editMessage(cid, messageId, text, model, on), user);
  }

  /**
   * Starts one answer's stream and paints it into `answer` until its ending. What Rust deleted
   * before it started (the `Turn`: an empty answer answered again) leaves the transcript.
   */
  private async run(
    conversationId: number,
    answer: MessageElement,
    command: (on: StreamHandler) => Promise<Turn>,
    user?: MessageElement,
  ): Promise<void> {
    const stream: AnswerStream = new AnswerStream(
      answer,
      this.ipc,
      {
        painted: () => this.chat.afterPaint(answer),
        started: (turn) => {
          user?.update(turn.user);
          // Ids name the messages shown before this turn: SQLite may give the new answer the id
          // of one it deleted just before (the largest), so the turn's own messages never match.
          this.chat.remove(...this.chat.withIds(turn.deleted).filter((m) => m !== answer && m !== user));
          this.retryOverrides.delete(answer);
          void this.refreshConversations();
        },
        ended: (final) => this.answerEnded(conversationId, stream, final),
      },
      { schedule: this.options.schedule, follower: this.inspector },
    );
    this.live.set(conversationId, stream);
    this.syncStreaming();
    if (conversationId === this.currentId) this.chat.answering(modelLabel(answer.view.model));
    this.composer.focus();
    await stream.start(command);
  }

  private answerEnded(conversationId: number, stream: AnswerStream, final: MessageView): void {
    if (this.live.get(conversationId) === stream) this.live.delete(conversationId);
    this.syncStreaming();
    this.chat.refreshLast();
    if (conversationId === this.currentId) {
      this.chat.answerEnded();
      const words =
        final.state === "done"
          ? "Answer complete"
          : final.state === "stopped"
            ? "Stopped"
            : final.error
              ? describeError(final.error, providerName(final.model, this.catalog))
              : "The answer failed";
      this.chat.announce(words);
    }
    void this.refreshConversations();
  }

  /**
   * `‹` / `›` under `message`: shows version `answerId` of its turn, and the conversation as it
   * goes on from there; the focus stays on the switcher.
   */
  private async showVersion(message: MessageElement, answerId: number): Promise<void> {
    const cid = this.currentId;
    if (cid === null || this.live.has(cid)) return;
    const position = this.chat.messages.indexOf(message);
    const forward = answerId > message.id;
    let conversation;
    try {
      conversation = await this.ipc.showVersion(cid, answerId);
    } catch (e) {
      this.chat.announce(describeError(e as UiError));
      return;
    }
    if (cid !== this.currentId) return;
    const elements = conversation.messages.map((m) => new MessageElement(m, this.hooks));
    this.chat.setMessages(elements, "keep scroll");
    const shown = elements[position];
    shown?.focusVersionStep(forward ? "version-next" : "version-prev");
    const versions = shown?.view.versions;
    if (versions) this.chat.announce(`Version ${versions.index} of ${versions.answers.length}`);
  }

  stop(): void {
    if (this.mode === "compare") {
      this.compare.stopAll();
      return;
    }
    if (this.currentId !== null) this.live.get(this.currentId)?.stop();
  }

  // ---- inspector ----------------------------------------------------------------------------------

  /** Ctrl/⌘+I: the inspector on the last answer of the open chat, or closed. */
  private inspectLast(): void {
    const last = this.mode === "chat" && !this.settingsOpen ? this.chat.lastAssistant() : undefined;
    if (this.inspector.current || !last) this.inspector.close();
    else this.toggleInspector(last);
    if (this.inspector.current) this.inspector.view.focusFilter();
  }

  /**
   * Opens the stream inspector on `message`, or closes it there: live while it streams (`live`
   * says on which stream; a chat's answer is looked up when not given).
   */
  private toggleInspector(message: MessageElement, live?: { streamId: number | null } | null): void {
    const running = live !== undefined ? live : ([...this.live.values()].find((stream) => stream.answer === message) ?? null);
    this.inspector.toggle(message, running ? { streamId: running.streamId } : null);
  }

  // ---- compare ------------------------------------------------------------------------------------

  /** A new comparison of models, in the main area. */
  openCompare(): void {
    this.openToken++;
    this.closeSettings();
    this.currentId = null;
    this.markActive(null);
    this.showMode("compare");
    this.compare.openNew(this.catalog);
  }

  /** Shows the chat (with its composer) or the compare view in the main area. */
  private showMode(mode: "chat" | "compare"): void {
    this.mode = mode;
    this.sidebar.setComparing(mode === "compare");
    this.topbar.setModelShown(mode === "chat");
    if (mode === "compare") this.picker.close();
    if (this.settingsOpen) return;
    this.chat.el.hidden = mode !== "chat";
    this.bottom.hidden = mode !== "chat";
    this.compare.el.hidden = mode !== "compare";
  }

  /** Send/Stop and aria-busy follow the open conversation's stream. */
  private syncStreaming(): void {
    const streaming = this.currentId !== null && this.live.has(this.currentId);
    this.composer.setStreaming(streaming);
    this.chat.setBusy(streaming);
    for (const message of this.chat.messages) message.lockVersions(streaming);
  }

  // ---- settings, sidebar, keys ------------------------------------------------------------------

  openSettings(): void {
    if (this.settingsOpen) return;
    this.picker.close();
    this.settingsOpen = true;
    this.chat.el.hidden = true;
    this.compare.el.hidden = true;
    this.bottom.hidden = true;
    this.settings.el.hidden = false;
    this.topbar.setSettingsOpen(true);
    void this.settings.open();
  }

  closeSettings(): void {
    if (!this.settingsOpen) return;
    this.settingsOpen = false;
    this.settings.el.hidden = true;
    this.topbar.setSettingsOpen(false);
    this.showMode(this.mode);
    if (this.mode === "compare") this.compare.focus();
    else this.composer.focus();
  }

  private toggleSidebar(): void {
    this.setSidebar(this.root.classList.contains("sidebar-closed"));
  }

  /** Opens or closes the sidebar; `keep`: as the person's choice, for the next start too. */
  private setSidebar(open: boolean, keep = true): void {
    this.root.classList.toggle("sidebar-closed", !open);
    this.sidebar.el.hidden = !open;
    this.topbar.setSidebarOpen(open);
    this.panels.setSidebarOpen(open, keep);
  }

  private onKey(e: KeyboardEvent): void {
    const action = matchShortcut(e);
    if (action) {
      e.preventDefault();
      if (action === "picker") this.togglePicker();
      else if (action === "new") this.newConversation();
      else if (action === "settings") (this.settingsOpen ? this.closeSettings() : this.openSettings());
      else if (action === "sidebar") this.toggleSidebar();
      else if (action === "compare") this.openCompare();
      else if (action === "inspector") this.inspectLast();
      return;
    }
    if (e.key === "Escape" && !e.defaultPrevented) {
      if (this.picker.isOpen) this.picker.close();
      else if (this.settingsOpen) this.closeSettings();
      else this.stop();
    }
  }
}
