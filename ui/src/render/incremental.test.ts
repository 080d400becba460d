import { describe, expect, it } from "vitest";
import { BACKLOG_BLOCK, IncrementalMarkdown, LEX_PIECE } from "./incremental";
import { lexBlocks, renderBlockHtml, renderBlocksHtml, renderDocumentHtml } from "./markdown";
import { sanitize } from "./sanitize";
import { Marked } from "marked";

const SAMPLES: Record<string, string> = {
  mixed: [
    "# Streams",
    "",
    "An OpenAI stream ends with `data: [DONE]`; an **Anthropic** stream with `message_stop`.",
    "Second line of the same paragraph.",
    "",
    "## Steps",
    "",
    "1. Open the connection",
    "2. Read events",
    "   - nested item",
    "   - another",
    "",
    "3. Close it",
    "",
    "```rust",
    "fn main() {",
    "    println!(\"hi\");",
    "",
    "    let x = 1;",
    "}",
    "```",
    "",
    "> A quote",
    "> over two lines",
    "",
    "| a | b |",
    "|---|---|",
    "| 1 | 2 |",
    "",
    "Setext heading",
    "---",
    "",
    "- [x] done",
    "- [ ] todo",
    "",
    "Final words with a [link](https://example.com) and *emphasis*.",
  ].join("\n"),
  loose_list: "- a\n\n- b\n\n- c\n\nafter\n",
  ordered_continuation: "1. one\n\n2. two\n\n3\n\nthree?\n",
  open_fence: "Text before\n\n```js\nconst a = 1;\n\nconst b = 2;\n",
  indented_code: "para\n\n    code line 1\n\n    code line 2\n\nend",
  heading_no_blank: "# Title\nbody under it\n# Next\nmore",
  html_block: "<details>\n<summary>More</summary>\n\nInside\n\n</details>\n\nafter",
  crlf: "line one\r\n\r\nline two\r\n- a\r\n- b\r\n",
  refs: "See [the docs][d] for more.\n\nAnother paragraph.\n\n[d]: https://example.com/docs\n",
};

function streamInto(text: string, chunkSizes: (i: number) => number): { md: IncrementalMarkdown; root: HTMLElement } {
  const root = document.createElement("div");
  const md = new IncrementalMarkdown(root, { caret: true });
  let i = 0;
  let n = 0;
  while (i < text.length) {
    const size = Math.max(1, chunkSizes(n++));
    md.append(text.slice(i, i + size));
    md.render();
    i += size;
  }
  md.endAndFormatNow();
  return { md, root };
}

// Rendering after every character renders (and sanitizes) the growing block once per character.
// DOMPurify parses each block into a fresh document, which costs milliseconds in jsdom (µs in a
// browser), so the longest sample takes seconds on one busy core: this limit catches a hang, not
// slowness. Every character boundary of every sample stays tested.
const EXHAUSTIVE_TIMEOUT_MS = 120_000;

/** A heading, a long paragraph and a short list: about 3 KB, for the long answers below. */
const SECTION = `## A heading\n\n${"Some *words* in a long paragraph. ".repeat(80)}\n\n- an item\n- another\n\n`;

describe("incremental markdown", () => {
  for (const [name, text] of Object.entries(SAMPLES)) {
    it(
      `chunking at every character gives the full render (${name})`,
      () => {
        const { root } = streamInto(text, () => 1);
        expect(root.innerHTML).toBe(renderDocumentHtml(text));
        expect(root.querySelector(".caret")).toBeNull();
      },
      EXHAUSTIVE_TIMEOUT_MS,
    );
    it(`irregular chunks give the full render (${name})`, () => {
      const sizes = [3, 1, 7, 2, 11, 5, 1, 13];
      const { root } = streamInto(text, (n) => sizes[n % sizes.length]);
      expect(root.innerHTML).toBe(renderDocumentHtml(text));
    });
  }

  it("a burst (everything in one frame) commits its finished blocks in one run and still equals the full render", () => {
    for (const text of Object.values(SAMPLES)) {
      const root = document.createElement("div");
      const md = new IncrementalMarkdown(root, { caret: true });
      md.append(text + "\n\nand a last paragraph still growing");
      md.render();
      md.append(" to its end.");
      md.render();
      md.endAndFormatNow();
      expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
    }
  });

  it("a burst longer than one lexing piece (and a fence longer than one) still equals the full render", () => {
    // Without reference definitions: those make the final formatting render the whole answer again anyway.
    const samples = Object.entries(SAMPLES).filter(([name]) => name !== "refs").map(([, text]) => text);
    const long = Array.from({ length: 80 }, () => samples.join("\n\n")).join("\n\n");
    const fence = "```\n" + "a line of code\n".repeat(2000) + "```\n";
    for (const text of [long, `${long}\n\n${fence}\nafter the fence`]) {
      expect(text.length).toBeGreaterThan(40 * 1024);
      const root = document.createElement("div");
      const md = new IncrementalMarkdown(root, { caret: true, budgetMs: Infinity });
      md.append(text.slice(0, 1000));
      md.render();
      md.append(text.slice(1000));
      md.render();
      expect(md.committedBlocks).toBeGreaterThan(10);
      md.endAndFormatNow();
      expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
    }
  });

  it("leaves a growing paragraph of plain prose as it is shown, and formats it once anything else arrives", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true });
    const shown = () => (root.textContent ?? "").replace(/\s+/g, " ").trim();
    md.append("Intro paragraph.\n\nPlain words");
    md.render();
    const paragraph = root.querySelectorAll("p")[1];
    expect(paragraph.textContent).toBe("Plain words");
    const prose = [", with punctuation;", " (parens),", " 'quotes' and \"doubles\"", " at 12:30?", " Yes, 100 % so."];
    for (const words of prose) {
      md.append(words);
      md.render();
      // The same element: not rendered again, and it shows what formatting would.
      expect(root.querySelectorAll("p")[1]).toBe(paragraph);
      expect(paragraph.querySelector(".caret")).not.toBeNull();
      expect(shown()).toBe(md.source.replace(/\s+/g, " ").trim());
    }
    // Markdown inline: formatted at once, in the same element (render/morph.ts).
    md.append(" And **bold");
    md.render();
    md.append("** then more plain words");
    md.render();
    expect(root.querySelectorAll("p")[1]).toBe(paragraph);
    expect(paragraph.querySelector("strong")?.textContent).toBe("bold");
    md.endAndFormatNow();
    expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
  });

  it("keeps the elements of a block rendered again as it grows, extending its text (a list, code, inline code)", () => {
    for (const [start, more, selector] of [
      ["- an item with `code` and", " more words", "li"],
      ["```rust\nfn main() {\n", "    let x = 1;\n", "pre code"],
      ["Some `code` in", " a paragraph", "p"],
    ] as const) {
      const root = document.createElement("div");
      const md = new IncrementalMarkdown(root, { caret: true });
      md.append(start);
      md.render();
      const element = root.querySelector(selector)!;
      const text = [...element.childNodes].find((n) => n.nodeType === 3 && n.textContent!.trim())!;
      md.append(more);
      md.render();
      expect(root.querySelector(selector), start).toBe(element);
      expect(element.contains(text), start).toBe(true);
      expect(element.querySelector(".caret"), start).not.toBeNull();
      md.endAndFormatNow();
      expect(root.innerHTML, start).toBe(renderDocumentHtml(md.source));
    }
  });

  it("formats a growing paragraph whose words an autolink, a line end or HTML could change", () => {
    for (const [start, more] of [
      ["See www", ".example"],
      ["See www.example", "more"],
      ["See https", "://example.com"],
      ["A line", "\nand the next"],
      ["Mail me", " at someone@example.com"],
      ["Some ", "<b>html</b>"],
      ["An entity ", "&amp; more"],
    ]) {
      const root = document.createElement("div");
      const md = new IncrementalMarkdown(root, { caret: true });
      md.append(start);
      md.render();
      // Formatting the block again places a new caret (prose left as shown keeps its caret).
      const caret = root.querySelector(".caret");
      md.append(more);
      md.render();
      expect(root.querySelector(".caret"), `${start}|${more}`).not.toBe(caret);
      md.endAndFormatNow();
      expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
    }
  });

  it("formats a long backlog over several frames, showing the rest plain meanwhile, and ends equal to the full render", () => {
    // About 100 KB in long blocks: several lexing pieces, few blocks (jsdom is slow with many).
    const long = SECTION.repeat(36);
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true, budgetMs: 0 }); // one piece a frame
    md.append(long);
    md.render();
    expect(md.behind).toBe(true);
    let backlog = root.querySelector(".md-backlog")!;
    expect(backlog).toBe(root.lastElementChild);
    expect(md.source.endsWith(backlog.textContent!)).toBe(true); // all of the rest, as it came
    expect(root.querySelector(".caret")).toBeNull();
    const firstBacklog = backlog.textContent!.length;
    // In small blocks, so that WebKit lays out again only what changes.
    expect(backlog.children.length).toBeGreaterThan(10);
    for (const block of backlog.children) expect(block.textContent!.length).toBeLessThanOrEqual(BACKLOG_BLOCK);
    // Text arriving meanwhile joins the backlog.
    md.append("\n\nthe end arrives");
    expect(backlog.textContent!.endsWith("the end arrives")).toBe(true);
    const lastBlock = backlog.lastElementChild;
    md.render();
    expect(root.querySelector(".md-backlog")).toBe(backlog); // the blocks not formatted yet stay
    expect(backlog.lastElementChild).toBe(lastBlock);
    expect(backlog.textContent!.length).toBeLessThan(firstBacklog);
    expect(md.source.endsWith(backlog.textContent!)).toBe(true);
    md.endAndFormatNow(); // still behind: the final formatting goes on over the next frames
    let frames = 2;
    while (md.behind) {
      expect(frames++).toBeLessThan(1000);
      md.render();
    }
    expect(frames).toBeGreaterThan(5);
    expect(root.querySelector(".md-backlog")).toBeNull();
    expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
    md.append("ignored after the end");
    expect(md.source.endsWith("the end arrives")).toBe(true);
  });

  it("a burst arriving between two frames goes into the backlog's blocks at once, never one long text", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true, budgetMs: 0 });
    md.append(SECTION);
    md.render();
    expect(md.behind).toBe(false);
    const burst = SECTION.repeat(12); // more than a lexing piece before the next frame
    expect(burst.length).toBeGreaterThan(LEX_PIECE);
    for (let i = 0; i < 12; i++) md.append(SECTION);
    expect(md.behind).toBe(true);
    // All of it in the backlog's blocks, none left as plain text at the growing end.
    const backlog = root.querySelector(".md-backlog")!;
    expect(backlog.textContent).toBe(burst);
    for (const block of backlog.children) expect(block.textContent!.length).toBeLessThanOrEqual(BACKLOG_BLOCK);
    md.endAndFormatNow();
    while (md.behind) md.render();
    expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
  });

  it("bursts of any size between frames of any budget end equal to the full render", () => {
    const samples = Object.entries(SAMPLES).filter(([name]) => name !== "refs").map(([, text]) => text);
    const fence = "```\n" + "a line of code\n".repeat(1500) + "```\n";
    const text = [...samples, fence, ...samples, "- item\n".repeat(3000), ...samples].join("\n\n").repeat(2);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (const budgetMs of [0, Infinity]) {
      const root = document.createElement("div");
      const md = new IncrementalMarkdown(root, { caret: true, budgetMs });
      for (let at = 0; at < text.length; ) {
        const size = random() < 0.2 ? Math.floor(random() * 40_000) : Math.floor(random() * 300);
        md.append(text.slice(at, at + size + 1));
        at += size + 1;
        if (random() < 0.5) md.render();
        const backlog = root.querySelector(".md-backlog");
        if (backlog) expect(md.source.endsWith(backlog.textContent!)).toBe(true);
      }
      md.endAndFormatNow();
      while (md.behind) md.render();
      expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
    }
  });

  it("blocks rendered in one run give the same HTML as each rendered on its own", () => {
    for (const text of Object.values(SAMPLES)) {
      const tokens = lexBlocks(text);
      expect(renderBlocksHtml(tokens)).toBe(tokens.map((t) => renderBlockHtml(t)).join(""));
    }
  });

  it("the full render equals marked's own output, sanitized, for plain Markdown", () => {
    const text = "# T\n\npara *x*\n\n- a\n- b\n\n> q\n\n| a |\n|---|\n| 1 |\n";
    const m = new Marked({ gfm: true });
    expect(renderDocumentHtml(text)).toBe(sanitize(m.parse(text) as string));
  });

  it("keeps the DOM nodes of finished blocks when more text arrives", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true });
    md.append("# Heading\n\nFirst paragraph.\n\nSecond ");
    md.render();
    const h1 = root.querySelector("h1")!;
    const p1 = root.querySelector("p")!;
    expect(h1.textContent).toBe("Heading");
    md.append("paragraph grows");
    md.render();
    md.append(" and grows.\n\n- item");
    md.render();
    md.append(" one\n- item two\n\nTail.");
    md.render();
    expect(root.querySelector("h1")).toBe(h1);
    expect(root.querySelector("p")).toBe(p1);
    const p2 = root.querySelectorAll("p")[1];
    expect(p2.textContent).toBe("Second paragraph grows and grows.");
    md.append(" More tail.");
    md.render();
    expect(root.querySelectorAll("p")[1]).toBe(p2);
    expect(md.committedBlocks).toBeGreaterThanOrEqual(3);
    md.endAndFormatNow();
    expect(root.querySelector("h1")).toBe(h1);
  });

  it("does not commit an open code fence, even across blank lines", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root);
    md.append("```python\ndef f():\n\n    return 1\n\n\nx = 2\n");
    md.render();
    expect(md.committedBlocks).toBe(0);
    expect(root.querySelectorAll("pre").length).toBe(1);
    md.append("```\n\nafter\n");
    md.render();
    expect(md.committedBlocks).toBe(1);
    const pre = root.querySelector("pre")!;
    expect(pre.textContent).toContain("x = 2");
    md.append("more after");
    md.render();
    expect(root.querySelector("pre")).toBe(pre);
  });

  it("highlights a code block once it stops growing, not on every frame while it grows", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root);
    md.append("```python\ndef f():\n    return 1\n");
    md.render();
    expect(root.querySelector("pre code")!.textContent).toContain("return 1");
    expect(root.querySelector("pre code .hljs-keyword")).toBeNull(); // still growing: plain
    md.append("```\n\nafter\n");
    md.render();
    expect(root.querySelector("pre code .hljs-keyword")?.textContent).toBe("def"); // committed
    // A code block left open when the answer ends is highlighted too, as a full render does.
    const open = document.createElement("div");
    const growing = new IncrementalMarkdown(open);
    growing.append("```rust\nfn main() {}\n");
    growing.render();
    expect(open.querySelector(".hljs-keyword")).toBeNull();
    growing.endAndFormatNow();
    expect(open.querySelector(".hljs-keyword")?.textContent).toBe("fn");
    expect(open.innerHTML).toBe(renderDocumentHtml("```rust\nfn main() {}\n"));
  });

  it("keeps a list open while a later item may still join it", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root);
    md.append("1. one\n\n2");
    md.render();
    expect(md.committedBlocks).toBe(0);
    md.append(". two\n\nend\n");
    md.render();
    expect(root.querySelectorAll("li").length).toBe(2);
    expect(root.querySelector("ol li p")).not.toBeNull(); // loose list
    expect(md.committedBlocks).toBe(1);
  });

  it("a paragraph followed by a blank line is not final until the next block has begun", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root);
    md.append("Text\n\n");
    md.render();
    expect(md.committedBlocks).toBe(0);
    md.append("---\n");
    md.render();
    expect(md.committedBlocks).toBe(1);
  });

  it("a setext underline turns the growing paragraph into a heading", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root);
    md.append("Title\n");
    md.render();
    expect(root.querySelector("p")?.textContent).toBe("Title");
    md.append("===\n\nBody\n");
    md.render();
    expect(root.querySelector("h1")?.textContent).toBe("Title");
  });

  it("places a caret at the growing end and removes it when finished", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true });
    md.append("Hello");
    md.render();
    expect(root.querySelector("p > .caret")).not.toBeNull();
    md.append("\n\n```js\nlet a");
    md.render();
    expect(root.querySelectorAll(".caret").length).toBe(1);
    expect(root.querySelector("pre > code > .caret")).not.toBeNull();
    md.endAndFormatNow();
    expect(root.querySelector(".caret")).toBeNull();
  });

  it("leaves the final formatting to the next render after endAndFormatOnNextRender", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true });
    md.append("Hello\n\n```js\nlet a");
    md.render();
    const before = root.innerHTML;
    md.endAndFormatOnNextRender();
    expect(root.innerHTML).toBe(before); // nothing formatted yet: the caret is still there
    expect(root.querySelector(".caret")).not.toBeNull();
    expect(md.behind).toBe(true);
    md.append(" ignored after the end");
    md.render();
    expect(md.behind).toBe(false);
    expect(root.querySelector(".caret")).toBeNull();
    expect(root.innerHTML).toBe(renderDocumentHtml("Hello\n\n```js\nlet a"));
  });

  it("shows appended text at once, unformatted, where the caret is; render formats it without doubling it", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true });
    md.append("Hello **wor");
    expect(root.textContent).toBe("Hello **wor"); // before any render
    md.render();
    md.append("ld** and ");
    const caret = root.querySelector(".caret")!;
    expect(caret.previousSibling?.textContent).toBe("ld** and "); // at the growing end, before the caret
    expect(caret.parentElement?.tagName).toBe("P");
    md.append("more");
    md.render();
    expect(root.querySelector("strong")?.textContent).toBe("world");
    expect(root.textContent!.trim()).toBe("Hello world and more");
    md.append("\n\n```js\nlet a = 1;\n");
    md.render();
    md.append("let b");
    expect(root.querySelector("pre code")!.textContent).toMatch(/let a = 1;\n?let b/); // inside the open code block
    md.endAndFormatNow();
    expect(root.innerHTML).toBe(renderDocumentHtml(md.source));
  });

  it("resolves a reference definition that comes after its use", () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root);
    md.append("Read [this][d].\n\nMore.\n\nEven more.\n\n");
    md.render();
    md.append("[d]: https://example.com/\n");
    md.render();
    md.endAndFormatNow();
    expect(root.querySelector("a")?.getAttribute("href")).toBe("https://example.com/");
  });
});

describe("code blocks", () => {
  it("get a language label and a Copy button that copies the code", async () => {
    const { handleCopyClick } = await import("./decorate");
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root);
    md.append("```rust\nfn main() {}\n```\n");
    md.endAndFormatNow();
    expect(root.querySelector(".code-block .code-lang")?.textContent).toBe("rust");
    expect(root.querySelector("pre > code.language-rust .hljs-keyword")?.textContent).toBe("fn");
    const button = root.querySelector<HTMLButtonElement>(".code-copy")!;
    expect(button.tagName).toBe("BUTTON");
    expect(button.getAttribute("aria-label")).toMatch(/Copy/);
    const copied: string[] = [];
    const event = new MouseEvent("click", { bubbles: true, cancelable: true });
    Object.defineProperty(event, "target", { value: button });
    expect(handleCopyClick(event, async (t) => (copied.push(t), true))).toBe(true);
    expect(copied).toEqual(["fn main() {}"]);
  });
});
