/**
 * Incremental Markdown for a streaming answer.
 *
 * Text only ever grows at the end. The document is split into a *committed* part — blocks that
 * later text can no longer change, rendered once, whose DOM nodes are never touched again — and
 * a *tail*, lexed and re-rendered on each frame. Within the tail, a block whose start and HTML
 * are unchanged keeps its nodes too, so in practice only the growing last block is rebuilt.
 *
 * When is a block final? Appending text can change how earlier lines are read: a paragraph
 * becomes a setext heading when `---` follows, a list grows and turns loose across blank lines,
 * an open code fence swallows everything, `1. a⏎⏎2` may yet become a second list item, and a
 * paragraph followed directly by `#` may still absorb `#x`. So a block is committed only when
 * (1) marked's lexer has ended it (it is not inside an open fence, list or quote — those stay one
 * token), (2) a blank line follows it, and (3) the next block has begun with a complete first
 * line (its kind is settled, so it cannot join the block before it).
 *
 * One thing later text can change that this cannot see coming: a reference definition
 * (`[x]: https://…`) after a committed block that uses `[x]`. The final formatting (`formatFinal`)
 * therefore re-renders the whole answer once if it contains definitions, so the final DOM always
 * equals a full render.
 *
 * A frame's work is bounded: a long uncommitted text (a burst) is formatted in pieces until the
 * frame's budget is spent, and the rest is shown plain in a *backlog* at the end, which the next
 * `render()`s work off (`behind` says one is due, also after `endAndFormatNow()` or
 * `endAndFormatOnNextRender()`).
 *
 * The answer's end is told in one of two ways: `endAndFormatNow()` does the final formatting at
 * once (a failed command, the warm-up), `endAndFormatOnNextRender()` leaves it to the next
 * `render()` (a stream's ending: receiving it stays cheap, and the work is the next frame's).
 */
import { pagePerf, timed } from "../perf";
import { morphNodes } from "./morph";
import { htmlToNodes, lexBlocks, normalizeNewlines, renderBlockHtml, renderBlocksNodes, renderDocument, type Links } from "./markdown";

interface Group {
  start: number; // offset in the normalized text
  raw: string; // the token's source, with `type` and `links` what its HTML was made from
  type: string;
  links: string;
  growing: boolean; // the open end of the answer (rendered without code highlighting)
  html: string; // "" for a run of committed blocks, whose nodes are made without an HTML string
  nodes: Node[];
}

const BLANK_LINE_END = /\n[ \t]*\n$/;
/** One line with none of the characters Markdown or HTML reads inside a paragraph. */
const PLAIN_PROSE = /^[^\n\r\\`*_~[\]!<>&@|]*$/;
/** Text GFM's autolinks would turn into a link (`www.`, `scheme://`). */
const LINK_LIKE = /www\.|:\/\//i;
/** The most uncommitted text one lexing pass takes (when more is waiting, after a burst). */
export const LEX_PIECE = 16 * 1024;
/**
 * How long one frame formats a long backlog (after a burst) before it shows the rest as plain
 * text and leaves it to the next frames: a frame's work stays bounded however much arrived.
 */
const FRAME_BUDGET_MS = 12;
/**
 * The backlog's text is shown in blocks of about this many characters: WebKit lays out one long
 * text again whole whenever it changes (a 450 KB one took about a second a frame), while blocks
 * it has laid out stay as they are when the ones before them go. Not smaller: each block out of
 * view still costs WebKit some bookkeeping at every layout (docs/PERFORMANCE.md).
 */
export const BACKLOG_BLOCK = 8192;
const VOID_OR_LEAF = new Set(["BR", "HR", "IMG", "INPUT"]);
const CARET_HOSTS = new Set([
  "P", "LI", "UL", "OL", "BLOCKQUOTE", "H1", "H2", "H3", "H4", "H5", "H6", "PRE", "TABLE",
  "THEAD", "TBODY", "TR", "TD", "TH", "DIV", "DETAILS", "DL", "DD", "DT",
]);

export class IncrementalMarkdown {
  private text = "";
  private pendingCR = false;
  private committed = 0;
  private links: Links = Object.create(null);
  private sawDefinition = false;
  private tail: Group[] = [];
  private caret: HTMLElement | null = null;
  /** Text appended since the last render, shown as it is at the growing end until then. */
  private plain: Text[] = [];
  /** Where the text shown in `plain` starts. */
  private plainFrom = 0;
  /**
   * Holds the text a frame's budget left unformatted (plain, in blocks, at the end) until later
   * frames format it; it starts at `backlogStart` in the text.
   */
  private backlog: HTMLElement | null = null;
  private backlogStart = 0;
  private dirty = false;
  /**
   * The text is complete (`endAndFormatNow()` or `endAndFormatOnNextRender()` was called) and its
   * final formatting is still to do: the next `render()`s do it (`behind` until they have).
   */
  private finalFormatDue = false;
  /** The final formatting is done (or `reset()` rendered a whole message): the DOM is final. */
  private finalFormatDone = false;
  /** How many blocks were committed (for tests and diagnostics). */
  committedBlocks = 0;

  constructor(
    readonly root: HTMLElement,
    private readonly options: { caret?: boolean; budgetMs?: number } = {},
  ) {}

  /**
   * Whether text received is still waiting to be formatted (a backlog after a burst, shown plain
   * meanwhile, or the final formatting after `endAndFormatOnNextRender()`): call `render()` again
   * at the next frame.
   */
  get behind(): boolean {
    return this.backlog !== null || this.finalFormatDue;
  }

  /** The text so far, line ends normalized. */
  get source(): string {
    return this.text;
  }

  /**
   * Adds streamed text. It is on the page at once, as plain text at the growing end (where the
   * caret is); `render()` formats it.
   */
  append(chunk: string): void {
    if (!chunk || this.finalFormatDone || this.finalFormatDue) return;
    let s = chunk;
    if (this.pendingCR) {
      s = "\r" + s;
      this.pendingCR = false;
    }
    // A CR at the very end may be the first half of a CRLF split across chunks.
    if (s.endsWith("\r")) {
      this.pendingCR = true;
      s = s.slice(0, -1);
    }
    const normalized = normalizeNewlines(s);
    if (!normalized) return;
    this.text += normalized;
    this.dirty = true;
    this.showPlain(normalized);
  }

  /**
   * Puts `text` on the page unformatted, before the caret (or at the end), until the next render:
   * a text node of its own each time (appending to one node would copy and re-measure all the
   * text so far on every message, which a burst turns quadratic).
   */
  private showPlain(text: string): void {
    if (this.backlog) return this.addToBacklog(text);
    if (this.plain.length === 0) this.plainFrom = this.text.length - text.length;
    // More than a frame formats at once (a burst arriving between two frames): into the backlog's
    // blocks now, before WebKit lays it all out as one text at the next frame.
    if (this.text.length - this.plainFrom > LEX_PIECE) {
      this.removePlain();
      return this.showBacklog(this.plainFrom);
    }
    const node = this.root.ownerDocument.createTextNode(text);
    const last = this.plain.at(-1);
    if (last?.parentNode) last.after(node);
    else if (this.caret?.parentNode) this.caret.before(node);
    else this.root.append(node);
    this.plain.push(node);
  }

  /**
   * Formats what arrived since the last call (commits finished blocks, rebuilds the tail), within
   * the frame's budget when there is a long backlog; once the text is complete, does (or goes on
   * with) the final formatting.
   */
  render(): void {
    if (this.finalFormatDone) return;
    if (this.finalFormatDue) return this.formatFinal();
    if (!this.dirty && this.caretPlaced()) return;
    if (this.plainIsFormatted()) return;
    this.dirty = !this.update(false);
  }

  /**
   * Whether the text shown plain since the last render already looks as formatting would show
   * it: it only lengthens the growing paragraph, and that paragraph is plain prose on one line
   * (nothing Markdown or HTML reads inline, nothing an autolink would take), whose HTML is its
   * text. Then the frame leaves the page as it is: no render, and no new elements for WebKit to
   * style and lay out (most frames of a prose answer). The next frame that brings anything else
   * formats the paragraph as usual.
   */
  private plainIsFormatted(): boolean {
    const growing = this.tail.at(-1);
    if (this.plain.length === 0 || this.backlog || !this.caret || growing?.type !== "paragraph" || !growing.growing) return false;
    const paragraph = this.text.slice(growing.start);
    return PLAIN_PROSE.test(paragraph) && !LINK_LIKE.test(paragraph);
  }

  /**
   * The answer is complete: formats everything now and removes the caret (what a frame's budget
   * leaves, after a burst, the next `render()`s format: `behind` until they have).
   */
  endAndFormatNow(): void {
    this.endAndFormatOnNextRender();
    if (this.finalFormatDue) this.formatFinal();
  }

  /**
   * The answer is complete, and the next `render()`s format it (`behind` until they have): a
   * stream's ending leaves the work to the frame after it instead of doing it before that frame.
   */
  endAndFormatOnNextRender(): void {
    if (this.finalFormatDone || this.finalFormatDue) return;
    if (this.pendingCR) {
      this.text += "\n";
      this.pendingCR = false;
    }
    this.finalFormatDue = true;
  }

  /**
   * The final formatting: commits every block, removes the caret, and re-renders the whole
   * answer once if it has reference definitions. When a frame's budget runs out first, the rest
   * waits in the backlog and the next call goes on.
   */
  private formatFinal(): void {
    if (!this.update(true)) return;
    this.removeCaret();
    this.finalFormatDone = true;
    this.finalFormatDue = false;
    if (this.sawDefinition) renderDocument(this.root, this.text);
  }

  /** Replaces everything with a full render of `text` (a finished message). */
  reset(text: string): void {
    this.text = normalizeNewlines(text);
    this.pendingCR = false;
    this.committed = this.text.length;
    this.tail = [];
    this.caret = null;
    this.plain = [];
    this.backlog = null;
    this.finalFormatDue = false;
    this.finalFormatDone = true;
    renderDocument(this.root, this.text);
  }

  private caretPlaced(): boolean {
    return !this.options.caret || this.caret !== null;
  }

  /**
   * Formats the text; false when the frame's budget ran out first (the rest is shown plain, in
   * the backlog, for the next call).
   */
  private update(final: boolean): boolean {
    this.removePlain();
    // A tail far longer than a frame's text (after a burst) is formatted a piece at a time, each
    // pass seeing the text as if the stream had paused at a line end: what a pass commits is as
    // final as ever, and a frame stops after the piece that used up its budget.
    const deadline = performance.now() + (this.options.budgetMs ?? FRAME_BUDGET_MS);
    while (this.text.length - this.committed > LEX_PIECE) {
      const cut = this.text.indexOf("\n", this.committed + LEX_PIECE);
      if (cut < 0) break;
      const before = this.committed;
      this.pass(this.text.slice(this.committed, cut + 1), false);
      if (this.committed === before) break; // nothing final in the piece (an open fence): all at once
      if (performance.now() >= deadline && cut + 1 < this.text.length) {
        this.showBacklog(cut + 1);
        return false;
      }
    }
    this.backlog?.remove();
    this.backlog = null;
    this.pass(this.text.slice(this.committed), final);
    pagePerf.formattedAt = performance.timeOrigin + performance.now();
    return true;
  }

  private removePlain(): void {
    for (const node of this.plain) node.remove();
    this.plain = [];
  }

  /**
   * Shows the text from `from` on, not formatted yet, as plain text (its line breaks kept) after
   * the formatted part: the blocks of the backlog already shown stay, less what was formatted.
   */
  private showBacklog(from: number): void {
    this.removeCaret();
    if (!this.backlog || from < this.backlogStart) {
      this.backlog?.remove();
      this.backlog = this.root.ownerDocument.createElement("div");
      this.backlog.className = "md-backlog";
      this.root.append(this.backlog);
      this.backlogStart = from;
      this.addToBacklog(this.text.slice(from));
      return;
    }
    let at = this.backlogStart;
    for (let block = this.backlog.firstChild; block && at < from; block = this.backlog.firstChild) {
      const text = block.firstChild as Text;
      if (at + text.length > from) {
        text.deleteData(0, from - at);
        break;
      }
      at += text.length;
      block.remove();
    }
    this.backlogStart = from;
  }

  /** Appends `text` to the backlog: to its last block while that is short, then in new blocks. */
  private addToBacklog(text: string): void {
    const doc = this.root.ownerDocument;
    const lastText = this.backlog!.lastChild?.firstChild as Text | undefined;
    let rest = text;
    if (lastText && lastText.length < BACKLOG_BLOCK) {
      const room = blockEnd(rest, BACKLOG_BLOCK - lastText.length);
      lastText.appendData(rest.slice(0, room));
      rest = rest.slice(room);
    }
    while (rest) {
      const end = blockEnd(rest, BACKLOG_BLOCK);
      const block = doc.createElement("div");
      block.append(rest.slice(0, end));
      this.backlog!.append(block);
      rest = rest.slice(end);
    }
  }

  /** Lexes `tailText` (the text after the committed part), commits what is final, rebuilds the rest. */
  private pass(tailText: string, final: boolean): void {
    const tokens = timed("markdownMs", () => lexBlocks(tailText, this.links));
    const starts: number[] = [];
    let pos = 0;
    for (const t of tokens) {
      starts.push(pos);
      pos += t.raw.length;
    }
    const consistent = pos === tailText.length;
    if (tokens.some((t) => t.type === "def")) this.sawDefinition = true;

    let commitCount = 0;
    if (final && consistent) {
      commitCount = tokens.length;
    } else if (consistent) {
      for (let k = tokens.length - 1; k >= 1; k--) {
        if (tokens[k].type === "space") continue;
        const start = starts[k];
        if (!BLANK_LINE_END.test(tailText.slice(0, start))) continue;
        if (!tailText.includes("\n", start)) continue;
        commitCount = k;
        break;
      }
    }

    // The new groups, reusing the nodes of an unchanged prefix of the old tail.
    // A block whose source, kind and known reference definitions are unchanged has the same
    // HTML: it is not rendered (and sanitized) again, so a frame costs about one block's render.
    // Past that prefix, the blocks about to be committed are rendered in one run (one group):
    // after a burst that is most of the text, and per-block rendering would cost far more.
    const links = JSON.stringify(tokens.links);
    // The block still growing: the last one, unless this pass is final.
    let growingAt = -1;
    if (!final) for (let k = tokens.length - 1; k >= 0 && growingAt < 0; k--) if (tokens[k].type !== "space") growingAt = k;
    const next: Group[] = [];
    let committedGroups = 0;
    // The HTML of the first block that could not keep its nodes, when it was rendered to find out
    // (the growing block, on most frames): rendered once, not again below.
    let rendered: { at: number; html: string } | null = null;
    let i = 0;
    for (; i < tokens.length; i++) {
      const start = this.committed + starts[i];
      const { raw, type } = tokens[i];
      const old = this.tail[i];
      if (!old || old.start !== start) break;
      const growing = i === growingAt;
      const same = old.raw === raw && old.type === type && old.links === links && old.growing === growing;
      const html = same ? old.html : renderBlockHtml(tokens[i], growing);
      if (html !== old.html) {
        rendered = { at: i, html };
        break;
      }
      next.push(old);
      if (i < commitCount) committedGroups++;
    }
    const reusable = i === tokens.length;
    if (i < commitCount) {
      const run = tokens.slice(i, commitCount);
      next.push({
        start: this.committed + starts[i],
        raw: run.map((t) => t.raw).join(""),
        type: "run",
        links,
        growing: false,
        html: "",
        nodes: renderBlocksNodes(run),
      });
      committedGroups++;
      i = commitCount;
    }
    for (; i < tokens.length; i++) {
      const { raw, type } = tokens[i];
      const growing = i === growingAt;
      const html = rendered?.at === i ? rendered.html : renderBlockHtml(tokens[i], growing);
      next.push({ start: this.committed + starts[i], raw, type, links, growing, html, nodes: [] });
    }
    const changed = !reusable || next.length !== this.tail.length;

    if (changed) {
      this.removeCaret();
      const kept = new Set(next.filter((g, i) => this.tail[i] === g));
      // A block rendered again where it started before (the growing one, most often) is brought
      // in line with its new render on the page (render/morph.ts), while every block before it
      // stayed in place; the others are inserted after them.
      const morphed = new Set<Group>();
      const inserted: Group[] = [];
      for (const [i, g] of next.entries()) {
        if (kept.has(g)) continue;
        const fresh = g.type === "run" ? g.nodes : htmlToNodes(g.html, this.root.ownerDocument);
        const old = this.tail[i];
        const nodes = inserted.length === 0 && old?.start === g.start ? timed("insertMs", () => morphNodes(old.nodes, fresh)) : null;
        if (nodes) morphed.add(old);
        else inserted.push(g);
        g.nodes = nodes ?? fresh;
      }
      for (const g of this.tail) {
        if (!kept.has(g) && !morphed.has(g)) for (const n of g.nodes) n.parentNode?.removeChild(n);
      }
      for (const g of inserted) {
        timed("insertMs", () => (this.backlog ? this.backlog.before(...g.nodes) : this.root.append(...g.nodes)));
      }
    }

    if (commitCount > 0) {
      for (let i = 0; i < commitCount; i++) {
        const t = tokens[i];
        if (t.type === "def") {
          const def = t as { tag: string; href: string; title: string };
          if (!(def.tag in this.links)) this.links[def.tag] = { href: def.href, title: def.title };
        }
        if (t.type !== "space" && t.type !== "def") this.committedBlocks++;
      }
      this.committed += starts[commitCount - 1] + tokens[commitCount - 1].raw.length;
      this.tail = next.slice(committedGroups);
    } else {
      this.tail = next;
    }

    if (this.options.caret && !final && (changed || !this.caret)) this.placeCaret();
  }

  private removeCaret(): void {
    this.caret?.remove();
    this.caret = null;
  }

  /** Puts the blinking caret at the growing end: inside the last block, after its text. */
  private placeCaret(): void {
    this.removeCaret();
    const doc = this.root.ownerDocument;
    const caret = doc.createElement("span");
    caret.className = "caret";
    caret.setAttribute("aria-hidden", "true");
    let host: Element = this.root;
    for (;;) {
      const last = lastMeaningfulChild(host) as Element | null;
      if (!last || last.nodeType !== 1) break;
      if (VOID_OR_LEAF.has(last.tagName)) break;
      if (last.tagName === "CODE" && last.parentElement?.tagName === "PRE") {
        host = last;
        break;
      }
      if (last.classList.contains("code-header")) break;
      if (!CARET_HOSTS.has(last.tagName)) break;
      host = last;
    }
    if (host.tagName === "CODE") {
      // Put it before the code's own final newline, at the end of the last line.
      const lastText = host.lastChild;
      if (lastText && lastText.nodeType === 3 && lastText.textContent?.endsWith("\n")) {
        host.insertBefore(caret, lastText);
        const t = lastText as Text;
        if (t.data.length > 1) {
          const rest = t.splitText(t.data.length - 1);
          host.insertBefore(caret, rest);
        }
        this.caret = caret;
        return;
      }
    }
    host.append(caret);
    this.caret = caret;
  }
}

function lastMeaningfulChild(el: Element): Node | null {
  let n = el.lastChild;
  while (n && n.nodeType === 3 && !(n.textContent ?? "").trim()) n = n.previousSibling;
  return n;
}

/**
 * Where a backlog block of at most `size` characters of `text` ends: after its last line end in
 * the second half, else at `size` (never between the halves of a surrogate pair).
 */
function blockEnd(text: string, size: number): number {
  if (text.length <= size) return text.length;
  const lineEnd = text.lastIndexOf("\n", size - 1);
  if (lineEnd >= size / 2) return lineEnd + 1;
  const code = text.charCodeAt(size - 1);
  return code >= 0xd800 && code <= 0xdbff ? size - 1 : size;
}
