/**
 * Exporting and importing a conversation, as the window shows it: the export menu (Markdown or
 * JSON), a popover placed under the button that opened it (the chat header's or a sidebar
 * item's), and the notice under the header saying where a file was saved, with "Show in folder",
 * or what an import restored or why it could not. Arrow keys move through the menu, Esc and a
 * click elsewhere close it; what a choice does is the controller's business.
 */
import { button, h } from "../dom";
import { icon } from "../icons";
import type { ExportFormat } from "../types";

export class ExportMenu {
  readonly el: HTMLElement;
  private readonly items: HTMLButtonElement[];
  private trigger: HTMLElement | null = null;
  private choose: ((format: ExportFormat) => void) | null = null;

  constructor() {
    const item = (format: ExportFormat, label: string, detail: string) =>
      button(
        label,
        () => this.chosen(format),
        { class: "menu-item", role: "menuitem", tabindex: "-1", "data-testid": `export-${format}` },
        h("span", { class: "menu-item-label" }, label),
        h("span", { class: "menu-item-detail" }, detail),
      );
    this.items = [
      item("markdown", "Markdown", "for reading: the turns shown, with stats"),
      item("json", "JSON", "every version, to import again"),
    ];
    for (const el of this.items) el.removeAttribute("title");
    this.el = h(
      "div",
      { class: "menu export-menu", role: "menu", "aria-label": "Export the conversation as", "data-testid": "export-menu", hidden: true },
      ...this.items,
    );
    this.el.addEventListener("keydown", (e) => this.onKey(e));
    document.addEventListener("pointerdown", (e) => {
      const target = e.target as Node | null;
      if (!this.el.hidden && target && !this.el.contains(target) && !this.trigger?.contains(target)) this.close(false);
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** Opens the menu under `trigger` (closes it when it is already open there); `choose` gets the format. */
  toggle(trigger: HTMLElement, choose: (format: ExportFormat) => void): void {
    if (this.isOpen && this.trigger === trigger) {
      this.close();
      return;
    }
    this.close(false);
    this.trigger = trigger;
    this.choose = choose;
    trigger.setAttribute("aria-expanded", "true");
    const box = trigger.getBoundingClientRect();
    this.el.hidden = false;
    // Under its button, kept inside the window: a button near the right edge gets the menu's right edge under its own.
    const width = this.el.offsetWidth;
    const left = box.left + width + 8 > window.innerWidth ? box.right - width : box.left;
    this.el.style.top = `${Math.round(box.bottom + 4)}px`;
    this.el.style.left = `${Math.round(Math.max(8, left))}px`;
    this.items[0].focus();
  }

  /** Closes the menu; focus goes back to its button unless `refocus` is false. */
  close(refocus = true): void {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.trigger?.setAttribute("aria-expanded", "false");
    if (refocus) this.trigger?.focus();
    this.trigger = null;
    this.choose = null;
  }

  private chosen(format: ExportFormat): void {
    const choose = this.choose;
    this.close();
    choose?.(format);
  }

  private onKey(e: KeyboardEvent): void {
    const at = this.items.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => this.items[(to + this.items.length) % this.items.length].focus();
    if (e.key === "Escape") this.close();
    else if (e.key === "ArrowDown") move(at + 1);
    else if (e.key === "ArrowUp") move(at - 1);
    else if (e.key === "Home") move(0);
    else if (e.key === "End") move(this.items.length - 1);
    else if (e.key === "Tab") this.close(false);
    else return;
    if (e.key !== "Tab") e.preventDefault();
    e.stopPropagation();
  }
}

/** The button that opens the export menu: in the chat header, or a sidebar item's actions. */
export function exportButton(label: string, onClick: (button: HTMLButtonElement) => void, small = false): HTMLButtonElement {
  const el: HTMLButtonElement = button(
    label,
    () => onClick(el),
    { class: small ? "icon-button small" : "icon-button", "data-testid": "conversation-export", "aria-haspopup": "menu", "aria-expanded": "false" },
    icon("download"),
  );
  return el;
}

/** The notice under the header: a saved file's path with "Show in folder", an import's outcome, or an error. */
export class ExportNotice {
  readonly el: HTMLElement;

  constructor() {
    this.el = h("div", { class: "column export-notice", "data-testid": "export-notice", role: "status", hidden: true });
  }

  /** `path` was written; `onShow` opens its folder. */
  saved(path: string, onShow: () => Promise<unknown>): void {
    const show = button("Show in folder", () => void onShow().catch((e: { message?: string }) => this.failed(e.message ?? "Could not open the folder")), {
      class: "text-button",
      "data-testid": "export-show-folder",
    });
    show.prepend(icon("folder"));
    this.fill("ok", h("span", { class: "notice-text" }, "Saved to ", h("code", { "data-testid": "export-path" }, path)), show);
  }

  /** Something was done (an import): `text` says what. */
  done(text: string): void {
    this.fill("ok", h("span", { class: "notice-text" }, text));
  }

  /** An export or import failed: `text` says why, as Rust put it. */
  failed(text: string): void {
    this.fill("error", h("span", { class: "notice-text" }, text));
  }

  hide(): void {
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  private fill(tone: "ok" | "error", ...content: HTMLElement[]): void {
    this.el.dataset.tone = tone;
    this.el.setAttribute("role", tone === "error" ? "alert" : "status");
    this.el.replaceChildren(
      h("div", { class: "notice-box" }, ...content, button("Dismiss", () => this.hide(), { class: "icon-button small", "data-testid": "export-notice-close" }, icon("close"))),
    );
    this.el.hidden = false;
  }
}
