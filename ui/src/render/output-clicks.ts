/**
 * Clicks in model output (rendered Markdown), handled alike wherever answers are shown (the chat,
 * the compare view's columns): a code block's Copy copies its code; a link never navigates the
 * webview — a click opens an http(s) or mailto link in the system browser, a middle-click does
 * nothing.
 */
import { handleCopyClick } from "./decorate";
import { openableUrl } from "./sanitize";

/** Handles the clicks on model output under `container`; `openLink` gets each link to open. */
export function handleOutputClicks(container: HTMLElement, openLink: (url: string) => void): void {
  container.addEventListener("click", (e) => {
    if (handleCopyClick(e)) return;
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || !container.contains(a)) return;
    e.preventDefault();
    const href = a.getAttribute("href");
    const url = href ? openableUrl(href) : null;
    if (url) openLink(url);
  });
  container.addEventListener("auxclick", (e) => {
    if ((e.target as Element | null)?.closest?.("a")) e.preventDefault();
  });
}
