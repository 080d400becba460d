/**
 * Markdown → safe HTML, one top-level block at a time. Raw HTML in the Markdown is escaped (shown
 * as text); what marked produces is still sanitized (links, images) before it becomes DOM.
 *
 * The unit of rendering is a top-level token of marked's lexer: a block's HTML does not depend on
 * the blocks around it, so a run of blocks rendered in one pass gives the same HTML as each
 * rendered on its own. A whole document is rendered in one pass (`renderDocument`); the
 * incremental renderer, which renders the growing blocks one by one and the blocks it commits in
 * runs, ends with exactly the DOM a full render of the final text gives.
 */
import { Marked, type Token, type Tokens, type TokensList } from "marked";
import { timed } from "../perf";
import { decorateCodeBlocks } from "./decorate";
import { cleanLanguage, escapeHtml, highlightCode } from "./highlight";
import { fastLexer } from "./rules";
import { sanitize, sanitizeToFragment } from "./sanitize";

export type Links = TokensList["links"];

const md = new Marked({ gfm: true, breaks: false, async: false });
md.use({
  renderer: {
    // Raw HTML in model output is shown as the text it is, never parsed as markup: models write
    // "<br>" or "<div>" in prose meaning the tag itself, and hostile markup never reaches a parser.
    html({ text, block }) {
      const escaped = escapeHtml(text);
      return block ? `<p>${escaped.trim().replace(/\n/g, "<br>")}</p>\n` : escaped;
    },
    code({ text, lang }) {
      return codeBlockHtml(text, lang, true);
    },
  },
});

/**
 * A code block's HTML, highlighted or not: a block that is still growing is shown unhighlighted,
 * because highlight.js costs about 2–3 µs a character and the growing block is rendered again
 * every frame (a 20 KB block would cost 40–70 ms a frame); it is highlighted once it is final.
 */
function codeBlockHtml(text: string, lang: string | undefined, highlighted: boolean): string {
  const language = cleanLanguage(lang);
  const cls = language ? `hljs language-${language}` : "hljs";
  const code = text.replace(/\n$/, "");
  const body = highlighted ? highlightCode(code, language) : escapeHtml(code);
  return `<pre><code class="${cls}">${body}\n</code></pre>\n`;
}

/** Line ends as marked sees them. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/**
 * Lexes `src` into top-level tokens, knowing the reference definitions `links` seen earlier in
 * the document (so `[text][ref]` resolves in a block lexed apart from its definition).
 */
export function lexBlocks(src: string, links?: Links): TokensList {
  const lexer = fastLexer(md);
  if (links) Object.assign(lexer.tokens.links, links);
  return lexer.lex(src);
}

/** marked's HTML of a run of top-level tokens, not yet sanitized ("" when only blank lines and definitions). */
function unsafeHtml(tokens: Token[]): string {
  const blocks = tokens.filter((token) => token.type !== "space" && token.type !== "def");
  return blocks.length ? timed("markdownMs", () => md.parser(blocks) as string) : "";
}

/**
 * The sanitized HTML of one top-level token ("" for blank lines and definitions); `growing`: the
 * block is the open end of a streaming answer (a code block is then not highlighted yet).
 */
export function renderBlockHtml(token: Token, growing = false): string {
  if (growing && token.type === "code") {
    const { text, lang } = token as Tokens.Code;
    return sanitized(codeBlockHtml(text, lang, false));
  }
  return renderBlocksHtml([token]);
}

/**
 * The sanitized HTML of a run of top-level tokens: the same as their `renderBlockHtml`s joined,
 * made in one pass (a sanitizer call has a fixed cost that thousands of small blocks would pay
 * one by one).
 */
export function renderBlocksHtml(tokens: Token[]): string {
  return sanitized(unsafeHtml(tokens));
}

/** `html` sanitized ("" stays ""). */
function sanitized(html: string): string {
  return html ? timed("sanitizeMs", () => sanitize(html)) : "";
}

/** A run of top-level tokens as detached, sanitized, decorated nodes (`renderBlocksHtml`'s, parsed). */
export function renderBlocksNodes(tokens: Token[]): Node[] {
  const html = unsafeHtml(tokens);
  if (!html) return [];
  const fragment = timed("sanitizeMs", () => sanitizeToFragment(html));
  return timed("nodesMs", () => {
    decorateCodeBlocks(fragment);
    return Array.from(fragment.childNodes);
  });
}

/** Parses sanitized HTML into detached nodes, with code blocks decorated. */
export function htmlToNodes(html: string, doc: Document = document): Node[] {
  if (!html) return [];
  return timed("nodesMs", () => {
    const template = doc.createElement("template");
    template.innerHTML = html;
    decorateCodeBlocks(template.content);
    return Array.from(template.content.childNodes);
  });
}

/** Renders a whole Markdown text into `root` (replacing what it held), block by block. */
export function renderDocument(root: HTMLElement, text: string): void {
  root.replaceChildren(...renderBlocksNodes(lexBlocks(normalizeNewlines(text))));
}

/** The HTML a full render of `text` gives, as a string (for comparisons). */
export function renderDocumentHtml(text: string, doc: Document = document): string {
  const root = doc.createElement("div");
  renderDocument(root, text);
  return root.innerHTML;
}
