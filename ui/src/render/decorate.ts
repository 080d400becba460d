/**
 * Code blocks get a header with their language and a Copy button (shown on hover and focus),
 * and scroll sideways instead of wrapping. Applied to sanitized nodes before they are inserted.
 */
import { copyText } from "../clipboard";

/** Wraps every `pre > code` under `root` in a `.code-block` with its header. */
export function decorateCodeBlocks(root: ParentNode): void {
  for (const pre of Array.from(root.querySelectorAll("pre"))) {
    const code = pre.querySelector(":scope > code");
    if (!code || pre.parentElement?.classList.contains("code-block")) continue;
    const doc = pre.ownerDocument;
    const lang = Array.from(code.classList)
      .find((c) => c.startsWith("language-"))
      ?.slice("language-".length);

    const block = doc.createElement("div");
    block.className = "code-block";
    const header = doc.createElement("div");
    header.className = "code-header";
    const label = doc.createElement("span");
    label.className = "code-lang";
    label.textContent = lang || "text";
    const copy = doc.createElement("button");
    copy.type = "button";
    copy.className = "code-copy";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", `Copy ${lang || "code"} to the clipboard`);
    header.append(label, copy);
    pre.tabIndex = 0; // scrollable region: reachable by keyboard
    pre.replaceWith(block);
    block.append(header, pre);
  }
}

/**
 * Handles a click anywhere in rendered Markdown: if it hit a code block's Copy button, copies the
 * code and says so on the button. Returns true when it handled the click.
 */
export function handleCopyClick(event: Event, copy: (text: string) => Promise<boolean> = copyText): boolean {
  const target = event.target as Element | null;
  const button = target?.closest?.(".code-copy") as HTMLButtonElement | null;
  if (!button) return false;
  const code = button.closest(".code-block")?.querySelector("pre > code");
  if (!code) return false;
  event.preventDefault();
  const text = (code.textContent ?? "").replace(/\n$/, "");
  void copy(text).then((ok) => {
    button.textContent = ok ? "Copied" : "Copy failed";
    button.classList.add("done");
    setTimeout(() => {
      button.textContent = "Copy";
      button.classList.remove("done");
    }, 1500);
  });
  return true;
}
