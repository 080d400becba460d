/**
 * The bar above the chat: the sidebar toggle, the model button (with the picker's popover
 * anchored under it) and the Settings button. It shows state the app gives it and reports
 * clicks; what a click does is the app's business.
 */
import { button, h } from "../dom";
import { exportButton } from "./export-menu";
import { modelLabel } from "../format";
import { icon } from "../icons";
import { modLabel } from "../shortcuts";

export interface TopBarHooks {
  onToggleSidebar(): void;
  onTogglePicker(): void;
  onToggleSettings(): void;
  /** "Open an .sse file": the stream inspector, on a file. */
  onOpenStreamFile(): void;
  /** The open conversation's export menu, under `trigger`. */
  onExport(trigger: HTMLElement): void;
}

export class TopBarView {
  readonly el: HTMLElement;
  private readonly modelButton: HTMLButtonElement;
  private readonly modelName: HTMLElement;
  private readonly sidebarToggle: HTMLButtonElement;
  private readonly settingsButton: HTMLButtonElement;
  private readonly openFileButton: HTMLButtonElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly anchor: HTMLElement;

  /** `picker` is the model picker's popover, placed under the model button. */
  constructor(hooks: TopBarHooks, picker: HTMLElement) {
    const mod = modLabel();
    this.modelName = h("span", { class: "model-name" }, "…");
    this.modelButton = button(
      "Choose a model",
      () => hooks.onTogglePicker(),
      {
        class: "model-button",
        "data-testid": "model-picker",
        title: `Choose a model (${mod}+K)`,
        "aria-haspopup": "dialog",
        "aria-expanded": "false",
      },
      this.modelName,
      icon("chevron"),
    );
    this.modelButton.setAttribute("aria-label", "Model: …, choose another");
    this.sidebarToggle = button("Toggle the sidebar", () => hooks.onToggleSidebar(), {
      class: "icon-button",
      "data-testid": "sidebar-toggle",
      title: `Toggle the sidebar (${mod}+B)`,
      "aria-expanded": "true",
    }, icon("sidebar"));
    this.settingsButton = button("Settings", () => hooks.onToggleSettings(), {
      class: "icon-button",
      "data-testid": "settings",
      title: `Settings (${mod}+,)`,
      "aria-pressed": "false",
    }, icon("gear"));
    this.openFileButton = button("Open an .sse file in the stream inspector", () => hooks.onOpenStreamFile(), {
      class: "icon-button",
      "data-testid": "open-stream-file",
    }, icon("file"));
    this.exportButton = exportButton("Export this conversation", (trigger) => hooks.onExport(trigger));
    this.exportButton.hidden = true;
    this.el = h(
      "header",
      { class: "topbar" },
      this.sidebarToggle,
      (this.anchor = h("div", { class: "picker-anchor" }, this.modelButton, picker)),
      h("div", { class: "spacer" }),
      this.exportButton,
      this.openFileButton,
      this.settingsButton,
    );
  }

  /** Shows `model` ("provider/model") on the model button. */
  setModel(model: string): void {
    const label = modelLabel(model) || "Choose a model";
    this.modelName.textContent = label;
    this.modelButton.setAttribute("aria-label", `Model: ${label} — choose another (${modLabel()}+K)`);
    this.modelButton.title = `${model} — choose another (${modLabel()}+K)`;
  }

  /** The model button belongs to the chat: a comparison chooses its models itself. */
  setModelShown(shown: boolean): void {
    this.anchor.hidden = !shown;
  }

  /** Offers the export menu while a saved conversation is open. */
  setExportable(on: boolean): void {
    this.exportButton.hidden = !on;
  }

  setPickerOpen(open: boolean): void {
    this.modelButton.setAttribute("aria-expanded", String(open));
  }

  setSettingsOpen(open: boolean): void {
    this.settingsButton.setAttribute("aria-pressed", String(open));
  }

  setSidebarOpen(open: boolean): void {
    this.sidebarToggle.setAttribute("aria-expanded", String(open));
  }
}
