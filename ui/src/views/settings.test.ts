import { describe, expect, it, vi } from "vitest";
import { flush, providerView } from "../testing";
import type { Price, ProviderView } from "../types";
import { SettingsView } from "./settings";

// Names no real provider or protocol: everything Settings shows comes from these.
const protocols = [
  { id: "wire-a", name: "Wire A-compatible" },
  { id: "wire-b", name: "Wire B-style" },
];
const rows: ProviderView[] = [
  providerView({ id: "cloud", name: "Cloud Co", takes_key: true, key_required: true, available: false }),
  providerView({ id: "box", name: "Box Server", local: true, detectable: true }),
  providerView({ id: "shed", name: "Shed Server", local: true, detectable: true }),
  providerView({ id: "canned", name: "Canned", local: true }),
  providerView({
    id: "duo",
    name: "Duo Server",
    protocol: "wire-a",
    protocols,
    models: ["small", "big"],
    prices: [
      { model: "small", price: { input: 0.5, output: 2, cached_input: 0.25 }, written: { input: 0.5, output: 2, cached_input: 0.25 }, set: false, as_of: "2025-10-01" },
      { model: "big", price: null, written: null, set: false, as_of: null },
    ],
  }),
];

function settings(found: ProviderView[] = []) {
  const ipc = {
    listProviders: vi.fn(async () => rows),
    listProtocols: vi.fn(async () => protocols),
    setApiKey: vi.fn(),
    deleteApiKey: vi.fn(),
    testProvider: vi.fn(),
    addCustomProvider: vi.fn(async (name: string, protocol: string, base_url: string) =>
      providerView({ id: "custom-mine", name, protocol, base_url, custom: true })),
    removeCustomProvider: vi.fn(),
    detectLocalServers: vi.fn(async () => found),
    setProviderProtocol: vi.fn(async (id: string, protocol: string) =>
      providerView({ ...rows.find((row) => row.id === id)!, protocol, base_url: `http://duo/${protocol}` })),
    setModelPrice: vi.fn(async (id: string, model: string, price: Price | null) => {
      if (price && price.input < 0) throw { kind: "invalid_input", message: "the input price must not be negative (it is -1)", retryable: false };
      const duo = rows.find((row) => row.id === id)!;
      const prices = duo.prices.map((entry) => (entry.model === model ? { ...entry, price, set: price !== null } : entry));
      return providerView({ ...duo, prices });
    }),
  };
  const view = new SettingsView(ipc, { onClose: vi.fn(), onProvidersChanged: vi.fn() });
  document.body.replaceChildren(view.el);
  return { view, ipc };
}

const $ = (sel: string) => document.querySelector(sel) as HTMLElement;

describe("Settings, built from what Rust sends", () => {
  it("offers a protocol choice only to a provider that speaks more than one, and switches it", async () => {
    const { view, ipc } = settings();
    await view.open();
    await flush();
    expect(document.querySelectorAll("[data-testid=provider-protocol]")).toHaveLength(1);
    const select = $("[data-provider=duo] [data-testid=provider-protocol]") as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
      ["wire-a", "Wire A-compatible"],
      ["wire-b", "Wire B-style"],
    ]);
    expect(select.value).toBe("wire-a");
    select.value = "wire-b";
    select.dispatchEvent(new Event("change"));
    await flush();
    expect(ipc.setProviderProtocol).toHaveBeenCalledWith("duo", "wire-b");
    expect($("[data-provider=duo] .base-url").textContent).toBe("http://duo/wire-b");
    expect($("[data-provider=duo] [data-testid=test-result]").textContent).toBe("Speaks Wire B-style now.");
  });

  it("offers the core's protocols by name for a new endpoint, and adds with the chosen id", async () => {
    const { view, ipc } = settings();
    await view.open();
    await flush();
    const select = $("[data-testid=custom-protocol]") as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
      ["wire-a", "Wire A-compatible"],
      ["wire-b", "Wire B-style"],
    ]);
    select.value = "wire-b";
    ($("[data-testid=custom-name]") as HTMLInputElement).value = "Mine";
    ($("[data-testid=custom-base-url]") as HTMLInputElement).value = "http://h:1/v1";
    $("[data-testid=custom-add]").click();
    await flush();
    expect(ipc.addCustomProvider).toHaveBeenCalledWith("Mine", "wire-b", "http://h:1/v1");
    expect(document.querySelector("[data-testid=provider-row][data-provider=custom-mine]")).not.toBeNull();
    await view.open();
    expect(ipc.listProtocols).toHaveBeenCalledTimes(1);
  });

  it("names the local servers it looked for, from the rows Rust marked detectable", async () => {
    const { view } = settings();
    await view.open();
    await flush();
    expect($("[data-testid=detect-status]").textContent).toBe("No local servers running (Box Server, Shed Server)");
    expect([...document.querySelectorAll("[data-testid=provider-row] .provider-name")].map((n) => n.textContent)).toEqual([
      "Cloud Co",
      "Box Server",
      "Shed Server",
      "Canned",
      "Duo Server",
    ]);
  });

  it("names the servers that answered", async () => {
    const { view } = settings([rows[2]]);
    await view.open();
    await flush();
    expect($("[data-testid=detect-status]").textContent).toBe("Found Shed Server");
    expect($("[data-testid=provider-row][data-provider=shed] .badges").textContent).toContain("running");
  });

  it("edits a model's price: shows where it comes from, reads the fields, and shows Rust's refusal", async () => {
    const { view, ipc } = settings();
    await view.open();
    await flush();
    const line = (model: string) => $(`[data-provider=duo] [data-testid=price-line][data-model=${model}]`);
    const field = (model: string, key: string) => line(model).querySelector(`[data-field=${key}]`) as HTMLInputElement;
    expect(line("small").querySelector("[data-testid=price-source]")!.textContent).toBe("catalog, 2025-10-01");
    expect([field("small", "input").value, field("small", "cached_input").value, field("small", "reasoning").value]).toEqual(["0.5", "0.25", ""]);
    expect(line("big").querySelector("[data-testid=price-source]")!.textContent).toBe("no price: no cost shown");
    const result = () => $("[data-provider=duo] [data-testid=price-result]").textContent;

    field("big", "input").value = "cheap";
    field("big", "output").value = "1";
    (line("big").querySelector("[data-testid=price-save]") as HTMLElement).click();
    await flush();
    expect(result()).toBe("big: Input price must be a number (dollars per million tokens).");
    expect(ipc.setModelPrice).not.toHaveBeenCalled();

    field("big", "input").value = "-1";
    (line("big").querySelector("[data-testid=price-save]") as HTMLElement).click();
    await flush();
    expect(result()).toBe("big: the input price must not be negative (it is -1)");

    field("big", "input").value = "1.5";
    field("big", "output").value = "6";
    (line("big").querySelector("[data-testid=price-save]") as HTMLElement).click();
    await flush();
    expect(ipc.setModelPrice).toHaveBeenLastCalledWith("duo", "big", { input: 1.5, output: 6 });
    expect(line("big").querySelector("[data-testid=price-source]")!.textContent).toBe("set here");
    (line("big").querySelector("[data-testid=price-reset]") as HTMLElement).click();
    await flush();
    expect(ipc.setModelPrice).toHaveBeenLastCalledWith("duo", "big", null);
  });
});
