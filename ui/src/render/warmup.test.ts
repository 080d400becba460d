import { describe, expect, it, vi } from "vitest";
import hljs from "highlight.js/lib/core";
import { LANGUAGES } from "./highlight";
import { warmUpHighlighting, warmUpRendering } from "./warmup";

describe("warmUpRendering", () => {
  it("runs every part of the pipeline (formatting, highlighting, sanitizing), lays it out in the page and removes it", () => {
    const before = document.body.innerHTML;
    const laidOut: boolean[] = [];
    const measure = vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(function (this: HTMLElement) {
      laidOut.push(this.isConnected && this.classList.contains("markdown") && this.classList.contains("warmup"));
      return new DOMRect();
    });
    const root = warmUpRendering();
    measure.mockRestore();
    expect(laidOut).toEqual([true]);
    expect(root.isConnected).toBe(false);
    expect(document.body.innerHTML).toBe(before);
    expect(root.querySelector("h1")?.textContent).toBe("A heading");
    expect(root.querySelector("strong")?.textContent).toBe("bold");
    expect(root.querySelector("table td")?.textContent).toBe("1");
    expect(root.querySelector("a")?.getAttribute("href")).toBe("https://example.com/a?b=1");
    expect(root.querySelectorAll("pre code .hljs-keyword").length).toBeGreaterThan(1);
    expect(root.querySelector(".caret")).toBeNull();
  });

  it("compiles every language's grammar", () => {
    const compiled = () => LANGUAGES.filter((name) => (hljs.getLanguage(name) as { isCompiled?: boolean }).isCompiled);
    expect(LANGUAGES.length).toBeGreaterThan(10);
    expect(compiled()).not.toEqual(LANGUAGES);
    warmUpHighlighting();
    expect(compiled()).toEqual(LANGUAGES);
  });
});
