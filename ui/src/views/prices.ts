/**
 * A provider's price editor in Settings: one line per model (its `prices`, as the core resolved
 * them) with its input, cached-input, output and reasoning prices in US dollars per million
 * tokens, where the price came from (the catalog with its date, or set here), Save and Reset
 * (back to the catalog's). Rust checks every price (finite, not negative, bounded) and says
 * what is wrong; the page only reads the fields as numbers.
 */
import { button, h } from "../dom";
import { describeError } from "../errors";
import type { Ipc } from "../ipc";
import type { ModelPrice, Price, ProviderView, UiError } from "../types";

type PricesIpc = Pick<Ipc, "setModelPrice">;

/** The fields of a price, with their labels; the first two are required. */
const FIELDS: [keyof Price, string][] = [
  ["input", "Input"],
  ["cached_input", "Cached input"],
  ["output", "Output"],
  ["reasoning", "Reasoning"],
];

/** A price as the fields show it: its numbers, blank where it has none. */
export function priceFields(price: Price | null): Record<keyof Price, string> {
  const text = (n: number | undefined) => (n == null ? "" : String(n));
  return {
    input: text(price?.input),
    cached_input: text(price?.cached_input),
    output: text(price?.output),
    reasoning: text(price?.reasoning),
  };
}

/**
 * The price the fields hold, or what is wrong with them: input and output are required, cached
 * input and reasoning may be blank (then they cost as input and output). Range checks are Rust's.
 */
export function readPrice(fields: Record<keyof Price, string>): Price | string {
  const price: Partial<Record<keyof Price, number>> = {};
  for (const [key, label] of FIELDS) {
    const text = fields[key].trim();
    if (!text) {
      if (key === "input" || key === "output") return `${label} price is required.`;
      continue;
    }
    const n = Number(text);
    if (!Number.isFinite(n)) return `${label} price must be a number (dollars per million tokens).`;
    price[key] = n;
  }
  return price as Price;
}

/** Where a model's price comes from, in words. */
export function priceSource(entry: ModelPrice): string {
  if (entry.set) return "set here";
  if (entry.price) return entry.as_of ? `catalog, ${entry.as_of}` : "catalog";
  return "no price: no cost shown";
}

export class PriceEditor {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly result: HTMLElement;

  constructor(
    private view: ProviderView,
    private readonly ipc: PricesIpc,
    private readonly updated: (view: ProviderView) => void,
  ) {
    this.list = h("div", { class: "price-list" });
    this.result = h("div", { class: "test-result", "data-testid": "price-result", "aria-live": "polite" });
    this.el = h(
      "details",
      { class: "price-editor", "data-testid": "price-editor" },
      h("summary", null, "Prices (US$ per million tokens)"),
      this.list,
      this.result,
    );
    this.update(view);
  }

  update(view: ProviderView): void {
    this.view = view;
    this.list.replaceChildren(...view.prices.map((entry) => this.line(entry)));
  }

  private line(entry: ModelPrice): HTMLElement {
    const shown = priceFields(entry.price);
    const inputs = FIELDS.map(([key, label]) =>
      h("input", {
        type: "text",
        inputmode: "decimal",
        class: "price-input",
        "data-field": key,
        "aria-label": `${entry.model} ${label.toLowerCase()} price`,
        placeholder: key === "cached_input" || key === "reasoning" ? "same" : "",
        value: shown[key],
      }),
    );
    const labelled = FIELDS.map(([, label], i) => h("label", { class: "price-field" }, h("span", null, label), inputs[i]));
    const read = () => readPrice(Object.fromEntries(FIELDS.map(([key], i) => [key, inputs[i].value])) as Record<keyof Price, string>);
    return h(
      "div",
      { class: "price-line", "data-testid": "price-line", "data-model": entry.model },
      h("code", { class: "price-model" }, entry.model),
      ...labelled,
      h("span", { class: "price-source", "data-testid": "price-source" }, priceSource(entry)),
      button(`Save the price of ${entry.model}`, () => void this.save(entry.model, read()), { class: "button", "data-testid": "price-save" }, h("span", null, "Save")),
      entry.set
        ? button(`Reset the price of ${entry.model} to the catalog's`, () => void this.save(entry.model, null), { class: "button", "data-testid": "price-reset" }, h("span", null, "Reset"))
        : null,
    );
  }

  private async save(model: string, price: Price | string | null): Promise<void> {
    if (typeof price === "string") {
      this.setResult(`${model}: ${price}`, "error");
      return;
    }
    try {
      const view = await this.ipc.setModelPrice(this.view.id, model, price);
      this.update(view);
      this.updated(view);
      this.setResult(price ? `${model}: price saved; answers from now on are costed at it.` : `${model}: back to the catalog's price.`, "ok");
    } catch (e) {
      const error = e as UiError;
      this.setResult(`${model}: ${error.message || describeError(error, this.view.name)}`, "error");
    }
  }

  private setResult(text: string, kind: "ok" | "error"): void {
    this.result.textContent = text;
    this.result.dataset.kind = kind;
  }
}
