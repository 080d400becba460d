import { describe, expect, it } from "vitest";
import type { StartupProblem } from "../types";
import { StartupBanners } from "./banner";

const problem: StartupProblem = {
  kind: "providers_file",
  message: "The providers file /home/a/providers.json could not be used: trailing comma (line 3, column 12)",
  action: "Fix the file and restart Runnel. The built-in providers work meanwhile.",
  path: "/home/a/providers.json",
  line: 3,
  column: 12,
};

describe("start-up banners", () => {
  it("show each problem as an alert with what failed and what to do, until dismissed", () => {
    const banners = new StartupBanners();
    document.body.replaceChildren(banners.el);
    banners.show([]);
    expect(banners.el.hidden).toBe(true);
    banners.show([problem, { ...problem, kind: "database_corrupt", message: "damaged", action: "moved", line: null, column: null }]);
    const shown = [...banners.el.querySelectorAll<HTMLElement>("[data-testid=startup-problem]")];
    expect(shown.map((b) => [b.getAttribute("role"), b.dataset.kind])).toEqual([
      ["alert", "providers_file"],
      ["alert", "database_corrupt"],
    ]);
    expect(shown[0].textContent).toContain("Providers file not loaded");
    expect(shown[0].textContent).toContain("/home/a/providers.json");
    expect(shown[0].textContent).toContain("line 3, column 12");
    expect(shown[0].textContent).toContain("Fix the file");
    shown[0].querySelector<HTMLButtonElement>("[data-testid=dismiss-startup-problem]")!.click();
    expect(banners.el.querySelectorAll("[data-testid=startup-problem]").length).toBe(1);
    expect(banners.el.hidden).toBe(false);
    banners.el.querySelector<HTMLButtonElement>("[data-testid=dismiss-startup-problem]")!.click();
    expect(banners.el.hidden).toBe(true);
  });
});
