import { describe, expect, it, vi } from "vitest";
import type { Ipc } from "./ipc";
import type { ConversationSummary, UiError } from "./types";
import { ExportController, MAX_IMPORT_BYTES } from "./exports";
import { SidebarView } from "./views/sidebar";

const summary: ConversationSummary = { id: 7, title: "Streams", updated_at: Date.now(), last_model: null, kind: "chat" };
const refused = (message: string): UiError => ({ kind: "invalid_input", message, status: null, error_type: null, retry_after: null, retryable: false });

function setup() {
  const ipc = {
    exportConversation: vi.fn(async () => ({ path: "/home/me/Downloads/Streams.json", id: 3 })),
    showExportedFile: vi.fn(async () => null),
    importConversation: vi.fn(async () => summary),
  };
  const onImported = vi.fn();
  const exports = new ExportController(ipc as unknown as Ipc, { onImported });
  const sidebar = new SidebarView({
    onNew: () => {},
    onCompare: () => {},
    onOpen: () => {},
    onSearch: () => {},
    onRename: async () => {},
    onDelete: async () => {},
    onExport: (id, trigger) => exports.toggleMenu(trigger, id),
    onImport: () => exports.chooseImport(),
  });
  document.body.replaceChildren(sidebar.el, exports.notice.el, exports.menu.el, exports.input);
  sidebar.setConversations([summary]);
  const $ = <T extends HTMLElement>(css: string) => document.querySelector<T>(css)!;
  return { ipc, onImported, exports, $ };
}

/** A chosen file (jsdom's `File` has no `text()`, which the window's has). */
function chosen(content: string, name: string): File {
  const file = new File([content], name);
  Object.defineProperty(file, "text", { value: vi.fn(async () => content) });
  return file;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("export and import", () => {
  it("exports a sidebar item from its menu, shows the path and shows its folder by the file's id", async () => {
    const { ipc, $ } = setup();
    const trigger = $<HTMLButtonElement>("[data-testid=conversation-item] [data-testid=conversation-export]");
    trigger.click();
    expect($("[data-testid=export-menu]").hidden).toBe(false);
    expect(trigger.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement).toBe($("[data-testid=export-markdown]"));
    $<HTMLButtonElement>("[data-testid=export-json]").click();
    expect($("[data-testid=export-menu]").hidden).toBe(true);
    await settle();
    expect(ipc.exportConversation).toHaveBeenCalledWith(7, "json");
    expect($("[data-testid=export-path]").textContent).toBe("/home/me/Downloads/Streams.json");
    $<HTMLButtonElement>("[data-testid=export-show-folder]").click();
    expect(ipc.showExportedFile).toHaveBeenCalledWith(3);
  });

  it("moves through the menu with the arrows and closes with Esc, back on its button", () => {
    const { $ } = setup();
    const trigger = $<HTMLButtonElement>("[data-testid=conversation-export]");
    trigger.click();
    const key = (key: string) => document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    key("ArrowDown");
    expect(document.activeElement).toBe($("[data-testid=export-json]"));
    key("ArrowDown");
    expect(document.activeElement).toBe($("[data-testid=export-markdown]"));
    key("Escape");
    expect($("[data-testid=export-menu]").hidden).toBe(true);
    expect(document.activeElement).toBe(trigger);
  });

  it("says why an export failed", async () => {
    const { ipc, exports, $ } = setup();
    ipc.exportConversation.mockRejectedValueOnce(refused("cannot write /x: read-only"));
    await exports.export(7, "markdown");
    expect($("[data-testid=export-notice]").getAttribute("role")).toBe("alert");
    expect($("[data-testid=export-notice]").textContent).toContain("Could not export: cannot write /x: read-only");
  });

  it("imports a chosen file's text, refuses an oversize one unread, and shows Rust's reasons", async () => {
    const { ipc, onImported, exports, $ } = setup();
    await exports.importFile(chosen('{"format":"runnel.conversation"}', "c.json"));
    expect(ipc.importConversation).toHaveBeenCalledWith('{"format":"runnel.conversation"}');
    expect(onImported).toHaveBeenCalledWith(summary);
    expect($("[data-testid=export-notice]").textContent).toContain("Imported “Streams”");

    const huge = chosen("x", "huge.json");
    Object.defineProperty(huge, "size", { value: MAX_IMPORT_BYTES + 1 });
    await exports.importFile(huge);
    expect(huge.text).not.toHaveBeenCalled();
    expect($("[data-testid=export-notice]").textContent).toContain("more than the 64 MiB");

    ipc.importConversation.mockRejectedValueOnce(refused("the file was written by a newer Runnel (schema version 2; this one reads version 1)"));
    await exports.importFile(chosen("{}", "new.json"));
    expect($("[data-testid=export-notice]").textContent).toContain("Could not import new.json: the file was written by a newer Runnel");
    expect(ipc.importConversation).toHaveBeenCalledTimes(2);
  });
});
