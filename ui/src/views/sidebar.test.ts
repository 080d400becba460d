import { describe, expect, it } from "vitest";
import type { ConversationSummary } from "../types";
import { SidebarView } from "./sidebar";

const hooks = {
  onNew: () => {},
  onCompare: () => {},
  onOpen: () => {},
  onSearch: () => {},
  onRename: async () => {},
  onDelete: async () => {},
  onExport: () => {},
  onImport: () => {},
};

const now = Date.now();
const conversation = (id: number, title: string): ConversationSummary => ({ id, title, updated_at: now - id, last_model: null, kind: "chat" });
const items = (sidebar: SidebarView) => Array.from(sidebar.el.querySelectorAll<HTMLElement>("[data-testid=conversation-item]"));

describe("SidebarView", () => {
  it("keeps the items of unchanged conversations across refreshes, and makes changed ones anew", () => {
    const sidebar = new SidebarView(hooks);
    const list = Array.from({ length: 50 }, (_, i) => conversation(i + 1, `chat ${i + 1}`));
    sidebar.setConversations(list);
    const before = items(sidebar);
    expect(before).toHaveLength(50);
    // A new conversation arrives, one is renamed, one deleted: the rest keep their elements.
    const renamed = list.map((c) => (c.id === 7 ? { ...c, title: "renamed" } : c)).filter((c) => c.id !== 9);
    sidebar.setConversations([conversation(0, "new"), ...renamed]);
    const after = items(sidebar);
    expect(after).toHaveLength(50);
    const byId = new Map(after.map((li) => [Number(li.dataset.id), li]));
    for (const li of before) {
      const id = Number(li.dataset.id);
      if (id === 7) expect(byId.get(id)).not.toBe(li);
      else if (id === 9) expect(byId.has(id)).toBe(false);
      else expect(byId.get(id)).toBe(li);
    }
    expect(byId.get(7)!.textContent).toContain("renamed");
  });
});
