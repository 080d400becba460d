import { describe, expect, it, vi } from "vitest";
import { App } from "./app";
import { modelGoneNote } from "./format";
import type { Ipc } from "./ipc";
import { flush, providerView } from "./testing";
import type { AppInfo, Layout, ProviderView } from "./types";

const demo = providerView({ id: "demo", name: "Demo", models: ["runnel-demo"], local: true });
const info = (default_model: string, gone_model: string | null): AppInfo => ({ version: "0", data_dir: "/tmp", first_run: false, has_key: true, default_model, gone_model, demo_provider: "demo", startup_problems: [] });
const layout: Layout = { sidebar_width: 300, sidebar_open: false, inspector_width: 500 };

/** The app started where Rust says the last model was `lastModel`, replaced by the demo's if `gone`. */
async function start(lastModel: string, catalog: ProviderView[], gone = false) {
  const startOn = gone ? "demo/runnel-demo" : lastModel;
  const ipc = {
    appInfo: vi.fn(async () => info(startOn, gone ? lastModel : null)),
    getSettings: vi.fn(async () => ({ last_model: startOn, recordings_keep_days: 30, layout })),
    setLayout: vi.fn(async (l: Layout) => l),
    modelCatalog: vi.fn(async () => catalog),
    listConversations: vi.fn(async () => []),
    detectLocalServers: vi.fn(async () => []),
    watchFileDrops: vi.fn(async () => null),
  };
  document.body.innerHTML = '<div id="app"></div>';
  const app = new App(ipc as unknown as Ipc, { schedule: () => () => undefined, storage: null });
  await app.start(document.querySelector("#app") as HTMLElement);
  await flush();
  const note = document.querySelector("[data-testid=model-fallback]") as HTMLElement;
  const model = document.querySelector("[data-testid=model-picker] .model-name")?.textContent;
  return { ipc, app, note, model };
}

describe("the model last used, when it is gone", () => {
  it("falls back to the default model and says so, politely", async () => {
    const { note, model } = await start("gone/gpt-x", [demo], true);
    expect(model).toBe("runnel-demo");
    expect(note.hidden).toBe(false);
    expect(note.getAttribute("role")).toBe("status");
    expect(note.textContent).toContain("gpt-x is no longer available — using runnel-demo (Demo)");
    (note.querySelector("[data-testid=dismiss-model-fallback]") as HTMLButtonElement).click();
    expect(note.hidden).toBe(true);
  });

  it("says nothing when the model is still there", async () => {
    const { note, model } = await start("openai/gpt-4o", [demo, providerView({ id: "openai", models: ["gpt-4o"] })]);
    expect(model).toBe("gpt-4o");
    expect(note.hidden).toBe(true);
  });

  it("names the fallback by its model alone when the catalog does not know its provider", () => {
    expect(modelGoneNote("gone/gpt-x", "demo/runnel-demo", [])).toBe("gpt-x is no longer available — using runnel-demo (Demo)");
    expect(modelGoneNote("weird", "x/y", [demo])).toBe("weird is no longer available — using y (X)");
  });
});

describe("the window's panels at start", () => {
  it("come back as they were left, and a change is kept through set_layout", async () => {
    const { ipc } = await start("demo/runnel-demo", [demo]);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const root = document.querySelector(".app") as HTMLElement;
      expect(root.style.getPropertyValue("--sidebar-width")).toBe("300px");
      expect(root.classList.contains("sidebar-closed")).toBe(true);
      expect((document.querySelector("[data-testid=sidebar-splitter]") as HTMLElement).hidden).toBe(true);
      expect(ipc.setLayout).not.toHaveBeenCalled();
      (document.querySelector("[data-testid=sidebar-toggle]") as HTMLButtonElement).click();
      vi.advanceTimersByTime(1000);
      expect(ipc.setLayout).toHaveBeenCalledWith({ ...layout, sidebar_open: true });
    } finally {
      vi.useRealTimers();
    }
  });
});
