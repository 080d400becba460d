import { describe, expect, it, vi } from "vitest";
import { App } from "./app";
import type { Ipc } from "./ipc";
import { flush, providerView } from "./testing";
import type { AppInfo, ProviderView } from "./types";

const demo = providerView({ id: "demo", models: ["runnel-demo"], local: true });
const info = (has_key: boolean): AppInfo => ({ version: "0", data_dir: "/tmp", first_run: false, has_key, default_model: "demo/runnel-demo", gone_model: null, demo_provider: "demo", startup_problems: [] });

/**
 * The app on the demo model with no key, whose catalog is read again at start (a local server
 * answered) as `catalog`, while Rust then says `hasKey`: whether the demo hint shows after it.
 */
async function hintAfterReload(catalog: ProviderView[], hasKey: boolean): Promise<boolean> {
  const infos = [info(false), info(hasKey)];
  const catalogs = [[demo], catalog];
  const ipc = {
    appInfo: vi.fn(async () => infos.shift() ?? info(hasKey)),
    getSettings: vi.fn(async () => ({ last_model: null })),
    modelCatalog: vi.fn(async () => catalogs.shift() ?? catalog),
    listConversations: vi.fn(async () => []),
    detectLocalServers: vi.fn(async () => [providerView({ id: "ollama" })]),
    watchFileDrops: vi.fn(async () => null),
  };
  document.body.innerHTML = '<div id="app"></div>';
  const app = new App(ipc as unknown as Ipc, { schedule: () => () => undefined, storage: null });
  const hint = () => !(document.querySelector("[data-testid=first-run-hint]") as HTMLElement).hidden;
  await app.start(document.querySelector("#app") as HTMLElement);
  expect(hint()).toBe(true);
  await flush();
  await flush();
  expect(ipc.modelCatalog).toHaveBeenCalledTimes(2);
  return hint();
}

describe("the demo hint, after the catalog is read again", () => {
  it("stays while Rust says no key is set, though an endpoint answers without one", async () => {
    expect(await hintAfterReload([demo, providerView({ id: "vllm", models: ["m"] })], false)).toBe(true);
  });

  it("goes once Rust says a key is set", async () => {
    expect(await hintAfterReload([demo, providerView({ id: "openai", models: ["gpt"], takes_key: true, key_required: true, key: "keychain" })], true)).toBe(false);
  });
});
