import { describe, expect, it, vi } from "vitest";
import { providerView } from "../testing";
import { PickerView } from "./picker";

// Names no real provider: every name and hint the picker shows comes from the catalog.
const catalog = [
  providerView({ id: "canned", name: "Canned (offline)", models: ["canned-1"] }),
  providerView({ id: "cloud", name: "Cloud Co", models: ["big", "small"], available: false, hint: "Add an API key in Settings" }),
  providerView({ id: "box", name: "Box Server", models: ["local-7b"] }),
];

describe("the model picker, built from the catalog", () => {
  it("shows each provider by its name, usable ones first, the others dimmed with their hint", () => {
    const picker = new PickerView({ onChoose: vi.fn(), onClose: vi.fn(), onRefresh: vi.fn(), onOpenSettings: vi.fn() });
    document.body.replaceChildren(picker.el);
    picker.open(catalog, "box/local-7b");
    const groups = [...picker.el.querySelectorAll(".picker-group")].map((g) => ({
      name: g.querySelector(".picker-group-name")?.textContent,
      hint: g.querySelector(".picker-hint")?.textContent ?? null,
      models: [...g.querySelectorAll<HTMLElement>("[data-testid=model-option]")].map((o) => [o.dataset.model, o.getAttribute("aria-disabled")]),
    }));
    expect(groups).toEqual([
      { name: "Canned (offline)", hint: null, models: [["canned/canned-1", null]] },
      { name: "Box Server", hint: null, models: [["box/local-7b", null]] },
      { name: "Cloud Co", hint: "Add an API key in Settings", models: [["cloud/big", "true"], ["cloud/small", "true"]] },
    ]);
  });

  it("F5 refreshes the active option's provider; the groups' pointer buttons are not in the accessibility tree", () => {
    const onRefresh = vi.fn(() => new Promise<never>(() => undefined));
    const picker = new PickerView({ onChoose: vi.fn(), onClose: vi.fn(), onRefresh, onOpenSettings: vi.fn() });
    document.body.replaceChildren(picker.el);
    picker.open(catalog, "box/local-7b");
    picker.el.querySelector("[data-testid=model-filter]")!.dispatchEvent(new KeyboardEvent("keydown", { key: "F5", bubbles: true }));
    expect(onRefresh).toHaveBeenCalledWith("box");
    const buttons = [...picker.el.querySelectorAll("[role=listbox] button")];
    expect(buttons.length).toBe(3);
    expect(buttons.every((b) => b.getAttribute("aria-hidden") === "true" && b.getAttribute("tabindex") === "-1")).toBe(true);
  });
});
