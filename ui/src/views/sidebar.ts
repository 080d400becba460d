/**
 * The sidebar: "+ New", a search box (titles and message text, via `list_conversations(query)`),
 * Import (a conversation exported as JSON), and the conversations grouped by day. Each item renames
 * inline (double-click or ✎: Enter saves, Esc cancels), exports (the export menu: Markdown or
 * JSON) and deletes after one inline confirmation.
 */
import { button, h } from "../dom";
import { exportButton } from "./export-menu";
import { groupByDay } from "../format";
import { icon } from "../icons";
import { modLabel } from "../shortcuts";
import type { ConversationSummary } from "../types";

export interface SidebarHooks {
  onNew(): void;
  /** A new comparison of models. */
  onCompare(): void;
  onOpen(id: number): void;
  onSearch(query: string): void;
  onRename(id: number, title: string): Promise<void>;
  onDelete(id: number): Promise<void>;
  /** The export menu of conversation `id`, under `trigger`. */
  onExport(id: number, trigger: HTMLElement): void;
  /** Import a conversation from a file. */
  onImport(): void;
}

export class SidebarView {
  readonly el: HTMLElement;
  readonly search: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly compareButton: HTMLButtonElement;
  private items: ConversationSummary[] = [];
  /**
   * Each conversation's list item with what it was made from (kind and title): reused while
   * those are unchanged. The list is refreshed after every answer; making all its items again
   * each time left garbage in proportion to the number of conversations, answer after answer.
   */
  private readonly itemCache = new Map<number, { made: string; li: HTMLElement }>();
  private activeId: number | null = null;
  private query = "";
  private searchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly hooks: SidebarHooks) {
    this.search = h("input", {
      type: "search",
      class: "search",
      placeholder: "Search",
      "aria-label": "Search conversations",
      "data-testid": "search",
      autocomplete: "off",
      spellcheck: "false",
    });
    this.search.addEventListener("input", () => {
      if (this.searchTimer) clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => {
        this.query = this.search.value.trim();
        hooks.onSearch(this.query);
      }, 150);
    });
    this.search.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.search.value) {
        e.preventDefault();
        e.stopPropagation();
        this.search.value = "";
        this.query = "";
        hooks.onSearch("");
      }
    });
    this.list = h("nav", { class: "conversations", "aria-label": "Conversations" });
    const newButton = button(
      "New conversation",
      () => hooks.onNew(),
      { class: "new-button", "data-testid": "new-conversation", title: `New conversation (${modLabel()}+N)`, "aria-keyshortcuts": "Control+N Meta+N" },
      icon("plus"),
      h("span", null, "New"),
      h("kbd", { class: "shortcut", "aria-hidden": "true", "data-keys": `${modLabel()} N` }),
    );
    this.compareButton = button(
      "Compare models",
      () => hooks.onCompare(),
      { class: "new-button", "data-testid": "compare-open", title: `Compare models side by side (${modLabel()}+Shift+M)`, "aria-pressed": "false", "aria-keyshortcuts": "Control+Shift+M Meta+Shift+M" },
      icon("columns"),
      h("span", null, "Compare"),
      h("kbd", { class: "shortcut", "aria-hidden": "true", "data-keys": `${modLabel()} ⇧ M` }),
    );
    this.el = h(
      "aside",
      { class: "sidebar", "aria-label": "Sidebar" },
      h(
        "div",
        { class: "sidebar-top" },
        newButton,
        this.compareButton,
        h(
          "div",
          { class: "search-row" },
          h("label", { class: "search-box" }, icon("search"), this.search),
          button("Import a conversation (.json)", () => hooks.onImport(), { class: "icon-button", "data-testid": "import-conversation" }, icon("upload")),
        ),
      ),
      this.list,
    );
  }

  /** Marks the Compare button pressed while a comparison is shown. */
  setComparing(on: boolean): void {
    this.compareButton.setAttribute("aria-pressed", String(on));
  }

  get currentQuery(): string {
    return this.query;
  }

  setConversations(items: ConversationSummary[]): void {
    this.items = items;
    this.render();
  }

  setActive(id: number | null): void {
    this.activeId = id;
    for (const el of Array.from(this.list.querySelectorAll<HTMLElement>("[data-testid=conversation-item]"))) {
      const active = Number(el.dataset.id) === id;
      el.classList.toggle("active", active);
      const open = el.querySelector(".conv-open");
      if (active) open?.setAttribute("aria-current", "page");
      else open?.removeAttribute("aria-current");
    }
  }

  private render(): void {
    const groups = groupByDay(this.items);
    const shown = new Set(this.items.map((c) => c.id));
    for (const id of this.itemCache.keys()) if (!shown.has(id)) this.itemCache.delete(id);
    if (!groups.length) {
      this.list.replaceChildren(h("p", { class: "sidebar-empty" }, this.query ? "No conversation matches" : "No conversations yet"));
      return;
    }
    this.list.replaceChildren(
      ...groups.map(([label, items]) =>
        h("section", { class: "conv-group" }, h("h2", { class: "conv-group-label" }, label), h("ul", { role: "list" }, ...items.map((c) => this.cachedItem(c)))),
      ),
    );
    this.setActive(this.activeId);
  }

  /** `c`'s list item: the one made before if its kind and title are unchanged. */
  private cachedItem(c: ConversationSummary): HTMLElement {
    const made = `${c.kind}\n${c.title}`;
    const cached = this.itemCache.get(c.id);
    if (cached?.made === made) return cached.li;
    const li = this.item(c);
    this.itemCache.set(c.id, { made, li });
    return li;
  }

  private item(c: ConversationSummary): HTMLElement {
    const title = c.title || "New conversation";
    const compare = c.kind === "compare";
    const label = compare ? `Comparison: ${title}` : title;
    const open = button(
      label,
      () => this.hooks.onOpen(c.id),
      { class: "conv-open", title: label },
      compare ? icon("columns") : null,
      h("span", { class: "conv-title" }, title),
    );
    open.addEventListener("dblclick", (e) => {
      e.preventDefault();
      this.startRename(li, c);
    });
    open.addEventListener("keydown", (e) => {
      if (e.key === "F2") {
        e.preventDefault();
        this.startRename(li, c);
      } else if (e.key === "Delete") {
        e.preventDefault();
        this.confirmDelete(li, c);
      }
    });
    const li = h(
      "li",
      { class: compare ? "conv-item conv-compare" : "conv-item", "data-testid": "conversation-item", "data-id": String(c.id), "data-kind": c.kind },
      open,
      h(
        "span",
        { class: "conv-actions" },
        button(`Rename “${title}”`, () => this.startRename(li, c), { class: "icon-button small", "data-testid": "rename-conversation" }, icon("pencil")),
        exportButton(`Export “${title}”`, (trigger) => this.hooks.onExport(c.id, trigger), true),
        button(`Delete “${title}”`, () => this.confirmDelete(li, c), { class: "icon-button small", "data-testid": "delete-conversation" }, icon("trash")),
      ),
    );
    return li;
  }

  private startRename(li: HTMLElement, c: ConversationSummary): void {
    const input = h("input", { type: "text", class: "rename-input", "aria-label": "Conversation title", "data-testid": "rename-input", value: c.title });
    const original = Array.from(li.childNodes);
    let done = false;
    const restore = () => {
      li.replaceChildren(...original);
      li.classList.remove("renaming");
      (li.querySelector(".conv-open") as HTMLElement | null)?.focus();
    };
    const commit = async () => {
      if (done) return;
      done = true;
      const title = input.value.trim();
      if (!title || title === c.title) {
        restore();
        return;
      }
      input.disabled = true;
      try {
        await this.hooks.onRename(c.id, title);
      } catch {
        restore();
      }
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        void commit();
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        done = true;
        restore();
      }
    });
    input.addEventListener("blur", () => void commit());
    li.classList.add("renaming");
    li.replaceChildren(input);
    input.focus();
    input.select();
  }

  private confirmDelete(li: HTMLElement, c: ConversationSummary): void {
    const original = Array.from(li.childNodes);
    const cancel = () => {
      li.replaceChildren(...original);
      li.classList.remove("confirming");
      (li.querySelector(".conv-open") as HTMLElement | null)?.focus();
    };
    const confirm = button(
      `Delete “${c.title || "New conversation"}” for good`,
      async () => {
        confirm.disabled = true;
        try {
          await this.hooks.onDelete(c.id);
        } catch {
          cancel();
        }
      },
      { class: "button button-danger small", "data-testid": "confirm-delete" },
      h("span", null, "Delete"),
    );
    const box = h(
      "div",
      { class: "confirm", role: "group", "aria-label": "Confirm delete" },
      h("span", { class: "confirm-text", title: c.title }, `Delete “${c.title || "New conversation"}”?`),
      confirm,
      button("Cancel", cancel, { class: "button small", "data-testid": "cancel-delete" }),
    );
    box.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        cancel();
      }
    });
    li.classList.add("confirming");
    li.replaceChildren(box);
    confirm.focus();
  }
}
