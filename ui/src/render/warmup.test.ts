import { describe, expect, it } from "vitest";
import { warmUpRendering } from "./warmup";

describe("warmUpRendering", () => {
  it("runs every part of the pipeline (formatting, highlighting, sanitizing) off the page", () => {
    const before = document.body.innerHTML;
    const root = warmUpRendering();
    expect(root.isConnected).toBe(false);
    expect(document.body.innerHTML).toBe(before);
    expect(root.querySelector("h1")?.textContent).toBe("A heading");
    expect(root.querySelector("strong")?.textContent).toBe("bold");
    expect(root.querySelector("table td")?.textContent).toBe("1");
    expect(root.querySelector("a")?.getAttribute("href")).toBe("https://example.com/a?b=1");
    expect(root.querySelectorAll("pre code .hljs-keyword").length).toBeGreaterThan(1);
    expect(root.querySelector(".caret")).toBeNull();
  });
});
