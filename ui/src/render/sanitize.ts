/**
 * Model output is untrusted: every HTML string made from it passes through here before it
 * touches the DOM. What survives is the markup Markdown produces (plus a few harmless inline
 * tags models like, such as <kbd> and <sub>), with:
 * - no scripts, styles, frames, forms, SVG/MathML, event handlers or style attributes;
 * - links only to http:, https: and mailto: (clicks go to the system browser through IPC); a
 *   mailto: link keeps its address only, never a query (`?attach=…`, `?body=…`, `?cc=…`);
 * - images only from data:image/… URLs (the CSP would block any other source anyway), others
 *   dropped entirely;
 * - no id, name, data- or aria- attributes (no DOM clobbering, no look-alikes of the app's own
 *   controls), and only highlight.js / language-* class names.
 */
import createDOMPurify from "dompurify";

const ALLOWED_TAGS = [
  "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
  "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li", "mark",
  "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
  "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
];
const ALLOWED_ATTR = [
  "href", "title", "alt", "src", "class", "start", "type", "checked", "disabled", "align",
  "colspan", "rowspan", "open",
];

const SAFE_LINK = /^(?:https?:|mailto:)/i;
const SAFE_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]*$/i;
// highlight.js's own vocabulary ("hljs", "hljs-keyword", sub-scopes like "function_") and
// the language of a code block.
const SAFE_CLASS = /^(?:hljs(?:-[a-z0-9_-]+)?|language-[a-z0-9_+#.-]+|[a-z]+_)$/i;
const CLASS_TAGS = new Set(["CODE", "SPAN", "PRE"]);

type Purifier = ReturnType<typeof createDOMPurify>;
/** Two configured sanitizers: one returns a string, the other a fragment (no parse back). */
const purifiers: { string?: Purifier; fragment?: Purifier } = {};

function instance(returns: "string" | "fragment"): Purifier {
  const made = purifiers[returns];
  if (made) return made;
  const p = createDOMPurify(window);
  p.addHook("uponSanitizeAttribute", (node, data) => {
    const el = node as Element;
    const name = data.attrName;
    const value = data.attrValue.trim();
    if (name === "href") {
      const url = el.tagName === "A" ? openableUrl(value) : null;
      if (url === null) data.keepAttr = false;
      else data.attrValue = url;
    } else if (name === "src") {
      data.keepAttr = el.tagName === "IMG" && SAFE_IMAGE.test(value);
    } else if (name === "class") {
      if (!CLASS_TAGS.has(el.tagName)) {
        data.keepAttr = false;
      } else {
        // highlight.js emits "hljs-title function_": keep only its own vocabulary
        const kept = value.split(/\s+/).filter((c) => SAFE_CLASS.test(c));
        if (kept.length) data.attrValue = kept.join(" ");
        else data.keepAttr = false;
      }
    } else if (name === "type" || name === "checked" || name === "disabled") {
      data.keepAttr = el.tagName === "INPUT";
    }
  });
  p.addHook("afterSanitizeAttributes", (node) => {
    const el = node as Element;
    if (el.tagName === "IMG" && !el.hasAttribute("src")) {
      el.remove();
    } else if (el.tagName === "INPUT") {
      // Only Markdown's task-list checkboxes, and never editable.
      if (el.getAttribute("type") !== "checkbox") el.remove();
      else el.setAttribute("disabled", "");
    }
  });
  // Set once: a config passed to each sanitize() call is parsed again on every call, which
  // costs more than sanitizing a typical block.
  p.setConfig({
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    SAFE_FOR_TEMPLATES: false,
    RETURN_TRUSTED_TYPE: false,
    RETURN_DOM_FRAGMENT: returns === "fragment",
  });
  purifiers[returns] = p;
  return p;
}

/** Returns the safe subset of `html` as an HTML string. */
export function sanitize(html: string): string {
  return instance("string").sanitize(html) as string;
}

/** Returns the safe subset of `html` as nodes, without serializing it and parsing it again. */
export function sanitizeToFragment(html: string): DocumentFragment {
  return instance("fragment").sanitize(html) as unknown as DocumentFragment;
}

/** True when a URL may be opened in the system browser. */
export function isOpenableUrl(url: string): boolean {
  return openableUrl(url) !== null;
}

/**
 * The URL to open in the system browser for a link, or null when it may not be opened: http(s)
 * as it is; mailto: with its address only — a query could attach local files (`?attach=`) or
 * prefill a message the user did not write.
 */
export function openableUrl(url: string): string | null {
  const trimmed = url.trim();
  if (!SAFE_LINK.test(trimmed)) return null;
  if (!/^mailto:/i.test(trimmed)) return trimmed;
  const address = trimmed.slice("mailto:".length).split(/[?#]|%3f|%23/i, 1)[0];
  return `mailto:${address}`;
}
