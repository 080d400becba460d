/**
 * Start-up problems (`AppInfo.startup_problems`, IPC.md): one banner each above the chat, saying
 * what failed (with its file), what to do and what works meanwhile. Each is an alert (read out
 * once when it appears) and can be dismissed; the app works underneath either way.
 */
import { button, h } from "../dom";
import { icon } from "../icons";
import type { StartupProblem } from "../types";

const TITLES: Record<string, string> = {
  providers_file: "Providers file not loaded",
  provider_prices: "Some prices were left out",
  history_unavailable: "History is not being saved",
  database_too_new: "History from a newer Runnel",
  database_corrupt: "History database was damaged",
};

export class StartupBanners {
  readonly el: HTMLElement;

  constructor() {
    this.el = h("div", { class: "startup-banners", "data-testid": "startup-banners", hidden: true });
  }

  /** Shows one banner per problem (replacing any shown). */
  show(problems: StartupProblem[]): void {
    this.el.replaceChildren(...problems.map((problem) => this.banner(problem)));
    this.el.hidden = problems.length === 0;
  }

  private banner(problem: StartupProblem): HTMLElement {
    const el = h(
      "div",
      { class: "banner", role: "alert", "data-testid": "startup-problem", "data-kind": problem.kind },
      h(
        "div",
        { class: "banner-body" },
        h("p", { class: "banner-title" }, TITLES[problem.kind] ?? "Runnel started with a problem"),
        h("p", { class: "banner-message" }, problem.message),
        h("p", { class: "banner-action" }, problem.action),
      ),
      button(
        "Dismiss this message",
        () => {
          el.remove();
          this.el.hidden = this.el.childElementCount === 0;
        },
        { class: "icon-button small", "data-testid": "dismiss-startup-problem" },
        icon("close"),
      ),
    );
    return el;
  }
}
