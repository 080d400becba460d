/**
 * A tiny element builder for the app's own markup. Model output never goes through here (it goes
 * through render/, which sanitizes it); text given here always becomes text nodes, never HTML.
 */

type Child = Node | string | null | undefined | false;
type Props = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
      } else if (key === "class") {
        el.className = String(value);
      } else if (key === "text") {
        el.textContent = String(value);
      } else if (key === "value") {
        (el as unknown as HTMLInputElement).value = String(value);
      } else if (value === true) {
        el.setAttribute(key, "");
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(el, child);
    else if (child === null || child === undefined || child === false) continue;
    else el.append(child);
  }
}

/** A real <button type="button"> with an accessible label. */
export function button(
  label: string,
  onClick: (e: MouseEvent) => void,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLButtonElement {
  const content = children.length ? children : [label];
  const hasText = children.length === 0;
  return h(
    "button",
    { type: "button", ...(hasText ? {} : { "aria-label": label, title: label }), ...props, onclick: onClick },
    ...content,
  );
}

/** Whether an element is scrolled to (within `slack` px of) its bottom. */
export function atBottom(el: HTMLElement, slack = 48): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= slack;
}

/**
 * Keeps a scroller at its growing end while the reader stays there. Whether they do is read
 * only when they scroll, never per message: a scroll event that lands after new text arrived is
 * still "at the end" when the reader did not move up from where the last follow put them.
 */
export class EndFollower {
  /** True while the growing end is followed. */
  following = true;
  private autoTop = 0;

  constructor(
    private readonly scroller: HTMLElement,
    slack: number,
    onScroll: (following: boolean) => void = () => {},
  ) {
    scroller.addEventListener("scroll", () => {
      this.following = scroller.scrollTop >= this.autoTop - 1 || atBottom(scroller, slack);
      onScroll(this.following);
    });
  }

  /** Scrolls to the end if following (or always, with `force`, which follows again). */
  toEnd(force = false): void {
    if (force) this.following = true;
    if (!this.following) return;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.autoTop = this.scroller.scrollTop;
  }
}
