import { describe, expect, it, vi } from "vitest";
import { App } from "./app";
import type { Ipc } from "./ipc";
import type { FrameScheduler } from "./stream";
import { flush, providerView } from "./testing";

const schedule: FrameScheduler = () => () => undefined;
const catalog = [
  providerView({ id: "demo", name: "Demo (offline)", models: ["runnel-demo"], local: true }),
  providerView({ id: "keyed", name: "Keyed", models: ["m"], available: false, key_required: true }),
];

/** A window on first run, on the demo model, keeping what it remembers in `storage`. */
async function open(storage: Storage): Promise<HTMLElement> {
  const ipc = {
    appInfo: vi.fn(async () => ({ version: "0", data_dir: "/tmp", first_run: true, has_key: false, default_model: "demo/runnel-demo", demo_provider: "demo", startup_problems: [] })),
    getSettings: vi.fn(async () => ({ last_model: null })),
    modelCatalog: vi.fn(async () => catalog),
    listConversations: vi.fn(async () => []),
    detectLocalServers: vi.fn(async () => []),
    watchFileDrops: vi.fn(async () => null),
  };
  document.body.innerHTML = '<div id="app"></div>';
  await new App(ipc as unknown as Ipc, { schedule, storage }).start(document.querySelector("#app") as HTMLElement);
  await flush();
  return document.querySelector("[data-testid=first-run-hint]") as HTMLElement;
}

describe("the demo's hint", () => {
  it("once dismissed stays dismissed, under the key it always had", async () => {
    const kept = new Map<string, string>();
    const storage = { getItem: (k: string) => kept.get(k) ?? null, setItem: (k: string, v: string) => void kept.set(k, v) } as Storage;
    const hint = await open(storage);
    expect(hint.hidden).toBe(false);
    (hint.querySelector("[data-testid=dismiss-hint]") as HTMLElement).click();
    expect(hint.hidden).toBe(true);
    // The key of the versions before the demo's id came from Rust: their dismissals still hold.
    expect(kept.get("runnel.demo-hint-dismissed")).toBe("1");
    expect((await open(storage)).hidden).toBe(true);
  });
});
