import { describe, expect, it, vi } from "vitest";
import { clampWidth, Splitter, SPLITTER_STEP } from "./splitter";

function splitter(edge: "right" | "left", width = 300) {
  const hooks = { onResize: vi.fn(), onCommit: vi.fn() };
  const s = new Splitter({ label: "Resize the panel", testId: "s", min: 200, max: 400, edge }, hooks, width);
  const key = (key: string, shiftKey = false) => s.el.dispatchEvent(new KeyboardEvent("keydown", { key, shiftKey, bubbles: true, cancelable: true }));
  return { s, hooks, key };
}

describe("Splitter", () => {
  it("is a focusable separator that says its width and bounds", () => {
    const { s } = splitter("right");
    expect(s.el.getAttribute("role")).toBe("separator");
    expect(s.el.tabIndex).toBe(0);
    expect(s.el.getAttribute("aria-orientation")).toBe("vertical");
    expect(s.el.getAttribute("aria-label")).toBe("Resize the panel");
    expect([s.el.getAttribute("aria-valuenow"), s.el.getAttribute("aria-valuemin"), s.el.getAttribute("aria-valuemax")]).toEqual(["300", "200", "400"]);
  });

  it("moves with the arrow keys, Shift for bigger steps, within its bounds, and keeps each step", () => {
    const { s, hooks, key } = splitter("right");
    key("ArrowRight");
    expect(s.value).toBe(300 + SPLITTER_STEP);
    expect(s.el.getAttribute("aria-valuenow")).toBe(String(300 + SPLITTER_STEP));
    expect(hooks.onResize).toHaveBeenLastCalledWith(300 + SPLITTER_STEP);
    expect(hooks.onCommit).toHaveBeenLastCalledWith(300 + SPLITTER_STEP);
    key("ArrowLeft", true);
    expect(s.value).toBe(300 + SPLITTER_STEP - 4 * SPLITTER_STEP);
    key("End");
    expect(s.value).toBe(400);
    key("ArrowRight");
    expect(s.value).toBe(400);
    key("Home");
    expect(s.value).toBe(200);
    key("a");
    expect(hooks.onCommit).toHaveBeenCalledTimes(5);
  });

  it("on a panel's left edge, widens it going left", () => {
    const { s, key } = splitter("left");
    key("ArrowLeft");
    expect(s.value).toBe(300 + SPLITTER_STEP);
  });

  it("starts from the panel's width on screen when it can be measured", () => {
    const hooks = { onResize: vi.fn(), onCommit: vi.fn() };
    const s = new Splitter({ label: "x", testId: "s", min: 200, max: 400, edge: "right", measure: () => 250 }, hooks, 300);
    s.el.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight" }));
    expect(s.value).toBe(250 + SPLITTER_STEP);
  });

  it("sets a width from outside without reporting it, and clamps it", () => {
    const { s, hooks } = splitter("right");
    s.set(9999);
    expect(s.value).toBe(400);
    expect(hooks.onResize).not.toHaveBeenCalled();
    expect(clampWidth(199.6, 200, 400)).toBe(200);
    expect(clampWidth(250.4, 200, 400)).toBe(250);
  });
});
