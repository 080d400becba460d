/**
 * The window's panels as the person leaves them: the sidebar's width and whether it is open, and
 * the stream inspector's width. Each width is a CSS variable on the app's root (the grid's
 * columns read it; unset, the stylesheet's default applies) set by a splitter on the panel's
 * edge; each change is kept through `set_layout` (the settings table) shortly after it settles,
 * and `get_settings` brings it back at the next start.
 */
import { PANEL_WIDTHS, type Layout } from "./types";
import { Splitter } from "./views/splitter";

/** How long after the last change the layout is kept (a drag or held arrow key sends one). */
export const SAVE_DELAY_MS = 300;

export class PanelLayout {
  readonly sidebarSplitter: Splitter;
  readonly inspectorSplitter: Splitter;
  private layout: Layout = { sidebar_width: null, sidebar_open: true, inspector_width: null };
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * `root` carries the widths; `sidebar` and `inspector` are measured when a splitter starts
   * from a default width; `save` keeps a layout (a failure leaves the window as it is).
   */
  constructor(
    private readonly root: HTMLElement,
    sidebar: HTMLElement,
    inspector: HTMLElement,
    private readonly save: (layout: Layout) => Promise<unknown>,
  ) {
    this.sidebarSplitter = new Splitter(
      { label: "Resize the sidebar", testId: "sidebar-splitter", ...PANEL_WIDTHS.sidebar, edge: "right", measure: () => sidebar.getBoundingClientRect().width },
      { onResize: (width) => this.setWidth("sidebar_width", width), onCommit: () => this.changed() },
      260,
    );
    this.inspectorSplitter = new Splitter(
      { label: "Resize the stream inspector", testId: "inspector-splitter", ...PANEL_WIDTHS.inspector, edge: "left", measure: () => inspector.getBoundingClientRect().width },
      { onResize: (width) => this.setWidth("inspector_width", width), onCommit: () => this.changed() },
      440,
    );
    this.inspectorSplitter.el.hidden = true;
  }

  /** The layout as it is now. */
  get current(): Layout {
    return { ...this.layout };
  }

  /** Shows a stored layout (at start); nothing is saved. */
  apply(layout: Layout): void {
    this.layout = { ...layout };
    this.paint("sidebar_width", "--sidebar-width", this.sidebarSplitter);
    this.paint("inspector_width", "--inspector-width", this.inspectorSplitter);
    this.sidebarSplitter.el.hidden = !layout.sidebar_open;
  }

  /** The sidebar was opened or closed: its splitter follows, and the state is kept. */
  setSidebarOpen(open: boolean, keep: boolean): void {
    this.sidebarSplitter.el.hidden = !open;
    if (this.layout.sidebar_open === open) return;
    this.layout.sidebar_open = open;
    if (keep) this.changed();
  }

  /** The inspector was opened or closed: its splitter follows. */
  setInspectorOpen(open: boolean): void {
    this.inspectorSplitter.el.hidden = !open;
  }

  private setWidth(key: "sidebar_width" | "inspector_width", width: number): void {
    this.layout[key] = width;
    this.paint(key, key === "sidebar_width" ? "--sidebar-width" : "--inspector-width", key === "sidebar_width" ? this.sidebarSplitter : this.inspectorSplitter);
  }

  private paint(key: "sidebar_width" | "inspector_width", variable: string, splitter: Splitter): void {
    const width = this.layout[key];
    if (width === null) {
      this.root.style.removeProperty(variable);
      return;
    }
    this.root.style.setProperty(variable, `${width}px`);
    splitter.set(width);
  }

  private changed(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.save(this.current).catch(() => undefined);
    }, SAVE_DELAY_MS);
  }
}
