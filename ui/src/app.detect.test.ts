import { describe, expect, it, vi } from "vitest";
import { App } from "./app";
import type { Ipc } from "./ipc";
import type { FrameScheduler } from "./stream";
import type { ProviderView } from "./types";
import { providerView } from "./testing";

const demo: ProviderView = providerView({ id: "demo", name: "Demo (offline)", models: ["runnel-demo"], available: true, local: true, hint: null });
const ollama: ProviderView = providerView({ id: "ollama", name: "Ollama", models: ["llama-late:7b"], available: true, local: true, hint: null });
const flush = () => new Promise((r) => setTimeout(r, 0));
const schedule: FrameScheduler = () => () => undefined;

describe("a local server that answers after the window loaded its catalog", () => {
  it("is looked for at start and joins the open picker once it answered", async () => {
    let answer: (found: ProviderView[]) => void = () => undefined;
    const catalogs = [[demo], [demo, ollama]];
    const ipc = {
      appInfo: vi.fn(async () => ({ version: "0", data_dir: "/tmp", first_run: false, has_key: false, default_model: "demo/runnel-demo", demo_provider: "demo" })),
      getSettings: vi.fn(async () => ({ last_model: null })),
      modelCatalog: vi.fn(async () => catalogs.shift() ?? [demo, ollama]),
      listConversations: vi.fn(async () => []),
      detectLocalServers: vi.fn(() => new Promise<ProviderView[]>((ok) => (answer = ok))),
      watchFileDrops: vi.fn(async () => null),
    };
    document.body.innerHTML = '<div id="app"></div>';
    const app = new App(ipc as unknown as Ipc, { schedule, storage: null });
    await app.start(document.querySelector("#app") as HTMLElement);
    expect(ipc.detectLocalServers).toHaveBeenCalledTimes(1);

    (document.querySelector("[data-testid=model-picker]") as HTMLElement).click();
    const options = () => Array.from(document.querySelectorAll<HTMLElement>("[data-testid=model-option]")).map((o) => o.dataset.model);
    expect(options()).toEqual(["demo/runnel-demo"]);

    answer([{ id: "ollama" } as ProviderView]);
    await flush();
    await flush();
    expect(ipc.modelCatalog).toHaveBeenCalledTimes(2);
    expect(options()).toEqual(["demo/runnel-demo", "ollama/llama-late:7b"]);
  });
});
