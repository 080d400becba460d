/**
 * The model picker (Ctrl/⌘+K): a popover listing the catalog grouped by provider. Typing filters
 * it, ↑/↓ move, Enter chooses, Esc closes. Groups without a key are shown dimmed with their hint
 * and cannot be chosen; each available group can be refreshed from the provider's live list.
 * Opened with a heading ("Answer again with…", from an answer's Another model), it says what
 * choosing a model will do.
 */
import { button, h } from "../dom";
import { describeError } from "../errors";
import { icon } from "../icons";
import type { ProviderView, UiError } from "../types";

export interface PickerHooks {
  onChoose(model: string): void;
  onClose(): void;
  onRefresh(provider: string): Promise<ProviderView>;
  onOpenSettings(): void;
}

interface Option {
  el: HTMLElement;
  model: string; // provider/model
  provider: string;
  enabled: boolean;
}

/** Whether `model` (provider/model) of `group` matches every word of `query`. */
export function matchesFilter(query: string, group: Pick<ProviderView, "id" | "name">, model: string): boolean {
  const haystack = `${group.id}/${model} ${group.name}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

export class PickerView {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly heading: HTMLElement;
  private catalog: ProviderView[] = [];
  private current = "";
  private options: Option[] = [];
  private active = -1;
  private groupErrors = new Map<string, string>();
  private idCounter = 0;

  constructor(private readonly hooks: PickerHooks) {
    this.input = h("input", {
      type: "text",
      class: "picker-filter",
      placeholder: "Filter models…",
      "aria-label": "Filter models",
      role: "combobox",
      "aria-expanded": "true",
      "aria-controls": "model-listbox",
      "aria-autocomplete": "list",
      autocomplete: "off",
      spellcheck: "false",
      "data-testid": "model-filter",
    });
    this.list = h("div", { class: "picker-list", id: "model-listbox", role: "listbox", "aria-label": "Models" });
    this.heading = h("div", { class: "picker-heading", "data-testid": "picker-heading", hidden: true });
    this.el = h(
      "div",
      { class: "picker", "data-testid": "model-picker-popover", role: "dialog", "aria-label": "Choose a model", hidden: true },
      this.heading,
      h("div", { class: "picker-search" }, icon("search"), this.input),
      this.list,
    );
    this.input.addEventListener("input", () => this.renderList());
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.el.addEventListener("focusout", (e) => {
      const next = e.relatedTarget as Node | null;
      if (next && !this.el.contains(next) && !this.el.hidden) this.close();
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** Opens on `current`; `heading` says what choosing does, when it is more than switching models. */
  open(catalog: ProviderView[], current: string, heading: string | null = null): void {
    this.heading.textContent = heading ?? "";
    this.heading.hidden = !heading;
    this.el.setAttribute("aria-label", heading ?? "Choose a model");
    this.catalog = catalog;
    this.current = current;
    this.input.value = "";
    this.el.hidden = false;
    this.renderList();
    this.input.focus();
  }

  /** New catalog while open (a key was saved, a group refreshed). */
  setCatalog(catalog: ProviderView[]): void {
    this.catalog = catalog;
    if (this.isOpen) this.renderList();
  }

  close(): void {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.hooks.onClose();
  }

  private onKey(e: KeyboardEvent): void {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        this.move(1);
        break;
      case "ArrowUp":
        e.preventDefault();
        this.move(-1);
        break;
      case "Home":
        if (e.ctrlKey) {
          e.preventDefault();
          this.setActive(this.options.findIndex((o) => o.enabled));
        }
        break;
      case "End":
        if (e.ctrlKey) {
          e.preventDefault();
          this.setActive(this.options.map((o) => o.enabled).lastIndexOf(true));
        }
        break;
      case "Enter": {
        e.preventDefault();
        const option = this.options[this.active];
        if (option?.enabled) this.choose(option.model);
        break;
      }
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        this.close();
        break;
      case "F5": {
        // The groups' own buttons are for the pointer (a listbox holds only options): the
        // keyboard refreshes the active option's provider.
        e.preventDefault();
        const option = this.options[this.active];
        if (option) void this.refresh(option.provider);
        break;
      }
    }
  }

  private move(delta: number): void {
    const n = this.options.length;
    if (!n) return;
    let i = this.active;
    for (let step = 0; step < n; step++) {
      i = (i + delta + n) % n;
      if (this.options[i].enabled) {
        this.setActive(i);
        return;
      }
    }
  }

  private setActive(i: number): void {
    this.options[this.active]?.el.classList.remove("active");
    this.active = i;
    const option = this.options[i];
    if (!option) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    option.el.classList.add("active");
    this.input.setAttribute("aria-activedescendant", option.el.id);
    option.el.scrollIntoView?.({ block: "nearest" });
  }

  private choose(model: string): void {
    this.el.hidden = true;
    this.hooks.onChoose(model);
  }

  private renderList(): void {
    const query = this.input.value.trim();
    this.options = [];
    this.active = -1;
    const groups: HTMLElement[] = [];
    // Groups that can be used now come first; the others follow, dimmed, with their hint.
    const ordered = [...this.catalog.filter((g) => g.available), ...this.catalog.filter((g) => !g.available)];
    for (const group of ordered) {
      const models = group.models.filter((m) => matchesFilter(query, group, m));
      if (!models.length && !(query === "" && !group.available)) continue;
      const labelId = `picker-group-${++this.idCounter}`;
      const head = h(
        "div",
        { class: "picker-group-head" },
        h("span", { class: "picker-group-name", id: labelId }, group.name),
        !group.available && group.hint ? h("span", { class: "picker-hint" }, group.hint) : null,
        !group.available
          ? button("Settings", () => this.hooks.onOpenSettings(), { class: "text-button picker-settings", tabindex: "-1", "aria-hidden": "true" })
          : button(`Refresh ${group.name} models (F5)`, () => void this.refresh(group.id), { class: "icon-button small", tabindex: "-1", "aria-hidden": "true" }, icon("refresh")),
      );
      const error = this.groupErrors.get(group.id);
      const el = h(
        "div",
        { class: `picker-group${group.available ? "" : " unavailable"}`, role: "group", "aria-labelledby": labelId },
        head,
        error ? h("div", { class: "picker-error" }, error) : null,
      );
      for (const model of models) {
        const full = `${group.id}/${model}`;
        const selected = full === this.current;
        const option: Option = {
          model: full,
          provider: group.id,
          enabled: group.available,
          el: h(
            "div",
            {
              class: `picker-option${selected ? " selected" : ""}`,
              role: "option",
              id: `picker-option-${++this.idCounter}`,
              "aria-selected": selected ? "true" : "false",
              "aria-disabled": group.available ? null : "true",
              "data-testid": "model-option",
              "data-model": full,
            },
            h("span", { class: "option-name" }, model),
            selected ? icon("check") : null,
          ),
        };
        const index = this.options.length;
        option.el.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the filter
        option.el.addEventListener("click", () => option.enabled && this.choose(full));
        option.el.addEventListener("mousemove", () => option.enabled && this.active !== index && this.setActive(index));
        this.options.push(option);
        el.append(option.el);
      }
      groups.push(el);
    }
    if (!groups.length) groups.push(h("div", { class: "picker-empty" }, "No model matches"));
    this.list.replaceChildren(...groups);
    // Start on the current model when it is visible, else on the first choosable one.
    const currentIndex = this.options.findIndex((o) => o.model === this.current && o.enabled);
    this.setActive(currentIndex >= 0 && query === "" ? currentIndex : this.options.findIndex((o) => o.enabled));
  }

  private async refresh(provider: string): Promise<void> {
    try {
      const fresh = await this.hooks.onRefresh(provider);
      this.groupErrors.delete(provider);
      this.catalog = this.catalog.map((g) => (g.id === provider ? fresh : g));
    } catch (e) {
      const name = this.catalog.find((g) => g.id === provider)?.name ?? provider;
      this.groupErrors.set(provider, describeError(e as UiError, name));
    }
    if (this.isOpen) {
      this.renderList();
      this.input.focus();
    }
  }
}
