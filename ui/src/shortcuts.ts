/**
 * The window's keyboard map, as a pure function of a key event so it can be tested without a
 * window. Ctrl on Linux/Windows, ⌘ on macOS (either is accepted everywhere).
 */

export type ShortcutAction = "picker" | "new" | "settings" | "sidebar" | "compare" | "inspector";

export function matchShortcut(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">): ShortcutAction | null {
  const mod = e.ctrlKey || e.metaKey;
  if (!mod || e.altKey) return null;
  const key = e.key.toLowerCase();
  if (e.shiftKey) return key === "m" ? "compare" : null;
  if (key === "k") return "picker";
  if (key === "n") return "new";
  if (key === ",") return "settings";
  if (key === "b") return "sidebar";
  if (key === "i") return "inspector";
  return null;
}

/** "Ctrl" or "⌘", for hints in the interface. */
export function modLabel(platform: string = typeof navigator !== "undefined" ? navigator.platform : ""): string {
  return /mac|iphone|ipad/i.test(platform) ? "⌘" : "Ctrl";
}

/** What Enter does in a composer-like textarea: send, or let the newline through. */
export function isSubmitKey(e: Pick<KeyboardEvent, "key" | "shiftKey" | "isComposing" | "altKey" | "ctrlKey" | "metaKey">): boolean {
  return e.key === "Enter" && !e.shiftKey && !e.isComposing && !e.altKey;
}
