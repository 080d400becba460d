import { describe, expect, it } from "vitest";
import { isSubmitKey, matchShortcut, modLabel } from "./shortcuts";
import { matchesFilter } from "./views/picker";

const key = (k: string, mods: Partial<Record<"ctrlKey" | "metaKey" | "altKey" | "shiftKey" | "isComposing", boolean>> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  isComposing: false,
  ...mods,
});

describe("shortcuts", () => {
  it("Ctrl or Cmd with K, N, comma, B, I", () => {
    expect(matchShortcut(key("k", { ctrlKey: true }))).toBe("picker");
    expect(matchShortcut(key("K", { metaKey: true }))).toBe("picker");
    expect(matchShortcut(key("n", { ctrlKey: true }))).toBe("new");
    expect(matchShortcut(key(",", { metaKey: true }))).toBe("settings");
    expect(matchShortcut(key("b", { ctrlKey: true }))).toBe("sidebar");
    expect(matchShortcut(key("i", { ctrlKey: true }))).toBe("inspector");
    expect(matchShortcut(key("I", { metaKey: true }))).toBe("inspector");
    expect(matchShortcut(key("i", { ctrlKey: true, shiftKey: true }))).toBeNull();
  });
  it("Ctrl or Cmd with Shift+M compares models", () => {
    expect(matchShortcut(key("M", { ctrlKey: true, shiftKey: true }))).toBe("compare");
    expect(matchShortcut(key("m", { metaKey: true, shiftKey: true }))).toBe("compare");
    expect(matchShortcut(key("m", { ctrlKey: true }))).toBeNull();
  });
  it("ignores plain keys and other combinations", () => {
    expect(matchShortcut(key("k"))).toBeNull();
    expect(matchShortcut(key("k", { ctrlKey: true, altKey: true }))).toBeNull();
    expect(matchShortcut(key("k", { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(matchShortcut(key("x", { ctrlKey: true }))).toBeNull();
  });
  it("Enter sends; Shift+Enter and IME composition do not", () => {
    expect(isSubmitKey(key("Enter"))).toBe(true);
    expect(isSubmitKey(key("Enter", { shiftKey: true }))).toBe(false);
    expect(isSubmitKey(key("Enter", { isComposing: true }))).toBe(false);
    expect(isSubmitKey(key("a"))).toBe(false);
  });
  it("labels the modifier per platform", () => {
    expect(modLabel("MacIntel")).toBe("⌘");
    expect(modLabel("Linux x86_64")).toBe("Ctrl");
  });
  it("picker filter matches every word against provider/model and the provider name", () => {
    const g = { id: "anthropic", name: "Anthropic" };
    expect(matchesFilter("", g, "claude-sonnet-4-5")).toBe(true);
    expect(matchesFilter("sonnet", g, "claude-sonnet-4-5")).toBe(true);
    expect(matchesFilter("anthropic son", g, "claude-sonnet-4-5")).toBe(true);
    expect(matchesFilter("SONNET 4-5", g, "claude-sonnet-4-5")).toBe(true);
    expect(matchesFilter("gpt", g, "claude-sonnet-4-5")).toBe(false);
  });
});
