import { afterEach, describe, expect, it, vi } from "vitest";
import { PanelLayout, SAVE_DELAY_MS } from "./panels";
import { PANEL_WIDTHS } from "./types";

function panels() {
  const root = document.createElement("div");
  const save = vi.fn(async () => undefined);
  const layout = new PanelLayout(root, document.createElement("aside"), document.createElement("aside"), save);
  const key = (el: HTMLElement, key: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key }));
  return { root, save, layout, key };
}

afterEach(() => vi.useRealTimers());

describe("PanelLayout", () => {
  it("shows a stored layout as the grid's widths, without saving it", () => {
    vi.useFakeTimers();
    const { root, save, layout } = panels();
    layout.apply({ sidebar_width: 320, sidebar_open: false, inspector_width: 600 });
    expect(root.style.getPropertyValue("--sidebar-width")).toBe("320px");
    expect(root.style.getPropertyValue("--inspector-width")).toBe("600px");
    expect(layout.sidebarSplitter.el.hidden).toBe(true);
    expect(layout.inspectorSplitter.el.getAttribute("aria-valuenow")).toBe("600");
    layout.apply({ sidebar_width: null, sidebar_open: true, inspector_width: null });
    expect(root.style.getPropertyValue("--sidebar-width")).toBe("");
    vi.advanceTimersByTime(SAVE_DELAY_MS * 2);
    expect(save).not.toHaveBeenCalled();
  });

  it("keeps a splitter's width once it settles, once for a run of key presses", () => {
    vi.useFakeTimers();
    const { root, save, layout, key } = panels();
    for (let i = 0; i < 3; i++) key(layout.sidebarSplitter.el, "ArrowRight");
    key(layout.inspectorSplitter.el, "End");
    expect(root.style.getPropertyValue("--sidebar-width")).toBe("308px");
    expect(save).not.toHaveBeenCalled();
    vi.advanceTimersByTime(SAVE_DELAY_MS);
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith({ sidebar_width: 308, sidebar_open: true, inspector_width: PANEL_WIDTHS.inspector.max });
  });

  it("keeps the sidebar closed when the person closes it, and follows the inspector", () => {
    vi.useFakeTimers();
    const { save, layout } = panels();
    layout.setSidebarOpen(false, true);
    expect(layout.sidebarSplitter.el.hidden).toBe(true);
    vi.advanceTimersByTime(SAVE_DELAY_MS);
    expect(save).toHaveBeenCalledWith({ sidebar_width: null, sidebar_open: false, inspector_width: null });
    expect(layout.inspectorSplitter.el.hidden).toBe(true);
    layout.setInspectorOpen(true);
    expect(layout.inspectorSplitter.el.hidden).toBe(false);
  });
});
