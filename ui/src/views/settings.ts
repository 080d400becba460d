/**
 * Settings: one row per provider (built-in, custom endpoints, detected local servers) with its
 * base URL, where its key comes from, a password field to set one (never showing a saved key;
 * the field is cleared after Save), Delete, a Test that lists the models the key can use, and
 * the provider's model list with a price editor for its models (./prices), and a choice of protocol for a provider whose server speaks more than
 * one (its `protocols`). Custom endpoints can be added, speaking any protocol the core knows
 * (offered by name from `listProtocols`), and removed. Local servers are detected when the page
 * opens and on request. No provider or protocol is named here: every name comes from Rust.
 */
import { button, h } from "../dom";
import { describeError } from "../errors";
import { keyEnvNote, keyStatus } from "../format";
import { icon } from "../icons";
import type { Ipc } from "../ipc";
import type { ProviderView, UiError } from "../types";
import { PriceEditor } from "./prices";

export interface SettingsHooks {
  onClose(): void;
  /** Keys or providers changed: the model catalog must be fetched again. */
  onProvidersChanged(): void;
}

type SettingsIpc = Pick<
  Ipc,
  | "listProviders"
  | "listProtocols"
  | "setProviderProtocol"
  | "setModelPrice"
  | "setApiKey"
  | "deleteApiKey"
  | "testProvider"
  | "addCustomProvider"
  | "removeCustomProvider"
  | "detectLocalServers"
>;

class ProviderRow {
  readonly el: HTMLElement;
  private readonly status: HTMLElement;
  private readonly keyEnv: HTMLElement;
  private readonly result: HTMLElement;
  private readonly models: HTMLElement;
  private readonly keyArea: HTMLElement;
  private readonly badges: HTMLElement;
  private readonly baseUrl: HTMLElement;
  private readonly protocolArea: HTMLElement;
  private readonly prices: PriceEditor;
  private input: HTMLInputElement | null = null;
  private deleteBtn: HTMLButtonElement | null = null;
  detected = false;

  constructor(
    public view: ProviderView,
    private readonly ipc: SettingsIpc,
    private readonly changed: () => void,
    private readonly removed: (row: ProviderRow) => void,
  ) {
    this.status = h("span", { class: "key-status", "data-testid": "api-key-status", role: "status" });
    this.keyEnv = h("span", { class: "key-env", "data-testid": "api-key-env" });
    this.result = h("div", { class: "test-result", "data-testid": "test-result", "aria-live": "polite" });
    this.models = h("div", { class: "model-chips", "aria-label": `${view.name} models` });
    this.keyArea = h("div", { class: "key-area" });
    this.badges = h("span", { class: "badges" });
    this.baseUrl = h("code", { class: "base-url" });
    this.protocolArea = h("span", { class: "protocol-choice" });
    this.prices = new PriceEditor(view, ipc, (updated) => {
      this.view = updated;
      this.changed();
    });
    const nameId = `provider-${view.id.replace(/[^a-z0-9_-]/gi, "_")}`;
    const actions = h(
      "div",
      { class: "row-actions" },
      button(`Test ${view.name}`, () => void this.test(), { class: "button", "data-testid": "provider-test" }, h("span", null, "Test")),
      view.custom ? button(`Remove ${view.name}`, () => void this.remove(), { class: "button button-danger", "data-testid": "provider-remove" }, h("span", null, "Remove")) : null,
    );
    this.el = h(
      "section",
      { class: "provider-row", "data-testid": "provider-row", "data-provider": view.id, "aria-labelledby": nameId },
      h("div", { class: "row-head" }, h("h3", { id: nameId, class: "provider-name" }, view.name), this.badges, actions),
      h("div", { class: "row-meta" }, this.baseUrl, this.protocolArea, this.status, this.keyEnv),
      this.keyArea,
      this.result,
      this.models,
      this.prices.el,
    );
    this.update(view);
  }

  update(view: ProviderView): void {
    this.view = view;
    this.baseUrl.textContent = view.base_url;
    this.status.textContent = keyStatus(view);
    this.status.dataset.key = view.takes_key ? view.key : "not-needed";
    const note = keyEnvNote(view);
    this.keyEnv.textContent = note ?? "";
    this.keyEnv.hidden = note === null;
    const badges = [
      view.local ? h("span", { class: "badge" }, "local") : null,
      view.custom ? h("span", { class: "badge" }, "custom") : null,
      this.detected ? h("span", { class: "badge badge-ok" }, "running") : null,
    ];
    this.badges.replaceChildren(...badges.filter((b): b is HTMLSpanElement => b !== null));
    this.renderKeyArea();
    this.renderProtocolChoice();
    this.models.replaceChildren(...view.models.map((m) => h("span", { class: "chip" }, m)));
    this.prices.update(view);
  }

  private renderKeyArea(): void {
    const v = this.view;
    if (!v.takes_key) {
      this.keyArea.replaceChildren();
      this.input = null;
      return;
    }
    if (!this.input) {
      this.input = h("input", {
        type: "password",
        class: "key-input",
        "data-testid": "api-key-input",
        "aria-label": `${v.name} API key`,
        placeholder: v.key === "keychain" ? "Replace the saved key…" : v.key_required ? "Paste an API key" : "API key (optional)",
        autocomplete: "off",
        spellcheck: "false",
      });
      this.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          void this.save();
        }
      });
      this.deleteBtn = button(`Delete the ${v.name} key`, () => void this.deleteKey(), { class: "button", "data-testid": "api-key-delete" }, h("span", null, "Delete"));
      this.keyArea.replaceChildren(
        h("form", { class: "key-form", onsubmit: (e: Event) => e.preventDefault() }, this.input),
        button(`Save the ${v.name} key`, () => void this.save(), { class: "button button-primary", "data-testid": "api-key-save" }, h("span", null, "Save")),
        this.deleteBtn,
      );
    }
    this.input.placeholder = v.key === "keychain" ? "Replace the saved key…" : "Paste an API key";
    this.deleteBtn!.hidden = v.key !== "keychain";
    this.input.disabled = v.key === "unavailable";
  }

  /** A select of the protocols the provider offers, when it offers more than one. */
  private renderProtocolChoice(): void {
    const v = this.view;
    if (v.protocols.length < 2) {
      this.protocolArea.replaceChildren();
      return;
    }
    const select = h(
      "select",
      { class: "protocol-select", "data-testid": "provider-protocol", "aria-label": `${v.name} protocol` },
      ...v.protocols.map((p) => h("option", { value: p.id }, p.name)),
    );
    select.value = v.protocol;
    select.addEventListener("change", () => void this.chooseProtocol(select.value));
    this.protocolArea.replaceChildren(select);
  }

  private async chooseProtocol(protocol: string): Promise<void> {
    try {
      this.update(await this.ipc.setProviderProtocol(this.view.id, protocol));
      this.setResult(`Speaks ${this.view.protocols.find((p) => p.id === protocol)?.name ?? protocol} now.`, "ok");
      this.changed();
    } catch (e) {
      this.update(this.view);
      this.setResult(describeError(e as UiError, this.view.name) + explain(e as UiError), "error");
    }
  }

  private setResult(text: string, kind: "ok" | "error" | "" = ""): void {
    this.result.textContent = text;
    this.result.dataset.kind = kind;
  }

  private async save(): Promise<void> {
    const input = this.input;
    if (!input) return;
    const key = input.value.trim();
    // Clear at once: the key must not linger in the page, whatever happens next.
    input.value = "";
    if (!key) {
      this.setResult("Paste a key first.", "error");
      input.focus();
      return;
    }
    this.setResult("Saving…");
    try {
      this.update(await this.ipc.setApiKey(this.view.id, key));
      this.setResult("Key saved in the keychain.", "ok");
      this.changed();
    } catch (e) {
      this.setResult(describeError(e as UiError, this.view.name) + explain(e as UiError), "error");
    }
  }

  private async deleteKey(): Promise<void> {
    try {
      this.update(await this.ipc.deleteApiKey(this.view.id));
      this.setResult("Key deleted.", "ok");
      this.changed();
    } catch (e) {
      this.setResult(describeError(e as UiError, this.view.name) + explain(e as UiError), "error");
    }
  }

  private async test(): Promise<void> {
    this.setResult("Testing…");
    try {
      const listed = await this.ipc.testProvider(this.view.id);
      const n = listed.models.length;
      this.setResult(n ? `Works ✓ — ${n} model${n === 1 ? "" : "s"}: ${listed.models.slice(0, 12).join(", ")}${n > 12 ? ", …" : ""}` : "Works ✓ — no models listed", "ok");
      this.update({ ...this.view, models: listed.models });
      this.changed();
    } catch (e) {
      this.setResult(describeError(e as UiError, this.view.name) + explain(e as UiError), "error");
    }
  }

  private async remove(): Promise<void> {
    try {
      await this.ipc.removeCustomProvider(this.view.id);
      this.removed(this);
      this.changed();
    } catch (e) {
      this.setResult(describeError(e as UiError, this.view.name) + explain(e as UiError), "error");
    }
  }
}

function explain(e: UiError): string {
  return e.message ? ` (${e.message})` : "";
}

export class SettingsView {
  readonly el: HTMLElement;
  private readonly rowsEl: HTMLElement;
  private readonly detectStatus: HTMLElement;
  private readonly addStatus: HTMLElement;
  private rows = new Map<string, ProviderRow>();
  private readonly heading: HTMLElement;
  private readonly protocol: HTMLSelectElement;

  constructor(
    private readonly ipc: SettingsIpc,
    private readonly hooks: SettingsHooks,
  ) {
    this.rowsEl = h("div", { class: "provider-rows" });
    this.detectStatus = h("span", { class: "muted", role: "status", "data-testid": "detect-status" });
    this.addStatus = h("p", { class: "form-status", role: "status" });
    this.heading = h("h2", { tabindex: "-1" }, "Settings");

    const name = h("input", { type: "text", placeholder: "Name, e.g. My GPU box", "aria-label": "Endpoint name", "data-testid": "custom-name", required: true });
    this.protocol = h("select", { "aria-label": "Protocol", "data-testid": "custom-protocol" });
    const baseUrl = h("input", { type: "url", placeholder: "Base URL, e.g. http://host:8000/v1", "aria-label": "Base URL", "data-testid": "custom-base-url", required: true });
    const add = async () => {
      const n = name.value.trim();
      const u = baseUrl.value.trim();
      if (!n || !u) {
        this.addStatus.textContent = "A name and a base URL are needed.";
        return;
      }
      try {
        const view = await this.ipc.addCustomProvider(n, this.protocol.value, u);
        this.upsert(view);
        name.value = "";
        baseUrl.value = "";
        this.addStatus.textContent = `Added ${view.name}. Set its key in its row if it needs one.`;
        this.rows.get(view.id)?.el.scrollIntoView?.({ block: "nearest" });
        this.hooks.onProvidersChanged();
      } catch (e) {
        this.addStatus.textContent = describeError(e as UiError) + explain(e as UiError);
      }
    };

    this.el = h(
      "div",
      { class: "settings", "data-testid": "settings-page", role: "region", "aria-label": "Settings" },
      h(
        "div",
        { class: "column settings-column" },
        h(
          "div",
          { class: "settings-head" },
          button("Back to the chat (Esc)", () => this.hooks.onClose(), { class: "icon-button", "data-testid": "settings-close" }, icon("back")),
          this.heading,
        ),
        h(
          "p",
          { class: "muted settings-intro" },
          "Keys are kept in your system keychain and sent only to the host they were saved for. Nothing here ever shows a saved key.",
        ),
        h(
          "div",
          { class: "section-head" },
          h("h3", null, "Providers"),
          h(
            "div",
            { class: "section-tools" },
            this.detectStatus,
            button("Detect local servers", () => void this.detect(), { class: "button", "data-testid": "detect-local" }, h("span", null, "Detect local servers")),
          ),
        ),
        this.rowsEl,
        h("h3", { class: "section-title" }, "Add an endpoint"),
        h(
          "form",
          { class: "custom-form", onsubmit: (e: Event) => (e.preventDefault(), void add()) },
          name,
          this.protocol,
          baseUrl,
          h("button", { type: "submit", class: "button button-primary", "data-testid": "custom-add" }, "Add"),
        ),
        this.addStatus,
      ),
    );
  }

  /** Loads the rows (and, the first time, the protocols) and runs local-server detection once. */
  async open(): Promise<void> {
    this.heading.focus();
    if (!this.protocol.options.length) void this.loadProtocols();
    try {
      const providers = await this.ipc.listProviders();
      const ids = new Set(providers.map((p) => p.id));
      for (const [id, row] of this.rows) {
        if (!ids.has(id)) {
          row.el.remove();
          this.rows.delete(id);
        }
      }
      for (const p of providers) this.upsert(p);
    } catch (e) {
      this.rowsEl.replaceChildren(h("p", { class: "form-status" }, describeError(e as UiError) + explain(e as UiError)));
    }
    void this.detect();
  }

  /** The protocols a new endpoint may speak, by name, the first one chosen. */
  private async loadProtocols(): Promise<void> {
    try {
      const protocols = await this.ipc.listProtocols();
      this.protocol.replaceChildren(...protocols.map((p) => h("option", { value: p.id }, p.name)));
    } catch (e) {
      this.addStatus.textContent = describeError(e as UiError) + explain(e as UiError);
    }
  }

  private upsert(view: ProviderView): void {
    const row = this.rows.get(view.id);
    if (row) {
      row.update(view);
      return;
    }
    const created = new ProviderRow(
      view,
      this.ipc,
      () => this.hooks.onProvidersChanged(),
      (r) => {
        r.el.remove();
        this.rows.delete(r.view.id);
      },
    );
    this.rows.set(view.id, created);
    this.rowsEl.append(created.el);
  }

  private async detect(): Promise<void> {
    this.detectStatus.textContent = "Looking for local servers…";
    try {
      const found = await this.ipc.detectLocalServers();
      for (const view of found) {
        this.upsert(view);
        const row = this.rows.get(view.id)!;
        row.detected = true;
        row.update(view);
      }
      const lookedFor = [...this.rows.values()].filter((row) => row.view.detectable).map((row) => row.view.name);
      this.detectStatus.textContent = found.length
        ? `Found ${found.map((f) => f.name).join(", ")}`
        : lookedFor.length
          ? `No local servers running (${lookedFor.join(", ")})`
          : "No local servers running";
      if (found.length) this.hooks.onProvidersChanged();
    } catch (e) {
      this.detectStatus.textContent = describeError(e as UiError) + explain(e as UiError);
    }
  }
}
