import { Marked } from "marked";
import { describe, expect, it } from "vitest";
import { lexBlocks } from "./markdown";
import { fastRules, hasTopLevelAlternative, mayBeSetextHeading } from "./rules";

/** marked's own lexer with marked's own rules, the options `markdown.ts` uses. */
const reference = new Marked({ gfm: true, breaks: false, async: false });
const referenceTokens = (src: string) => JSON.stringify(new reference.Lexer({ ...reference.defaults }).lex(src));
/** marked's own rules, as a lexer sets them on its tokenizer. */
function markedRules() {
  const tokenizer = new reference.Tokenizer();
  new reference.Lexer({ ...reference.defaults, tokenizer });
  return tokenizer.rules;
}
const fastTokens = (src: string) => JSON.stringify(lexBlocks(src));

/** Lines of every block kind marked knows, and of the look-alikes its rules must tell apart. */
const LINES = [
  "", "", "", "  ", "\t", "\u00a0", " \u00a0 ",
  "plain words of a paragraph", "more words *em* and **strong** and `code`", "a_b_c __x__ ~~del~~",
  "===", "---", "  ---  ", "    ---", "= =", "- - -", "***", "___", "-", "=", "--", "Title", "==",
  "# heading", "###### six", "####### seven", "#no",
  "- item", "* item", "+ item", "1. one", "2) two", "10. ten", "   - nested", "  1. nested one", "- [ ] task", "- [x] done",
  "> quote", "> > nested", ">", "```", "```rust", "~~~", "    indented code", "\tcode",
  "| a | b |", "|---|:-:|", "| 1 | 2 |", "a | b", "--- | ---",
  "<div>", "</div>", "<!-- c -->", "<script>x</script>", "<br>", "<?php ?>", "<![CDATA[x]]>",
  "[ref]: https://example.com \"t\"", "[ref]", "![img](https://example.com/a.png)", "[link](https://a.b)",
  "https://example.com www.example.com a@b.co", "trailing spaces  ", "back\\", "\\# escaped",
  "<https://auto.link>", "x <span>inline</span> y", "&amp; &copy; &#35;",
];

/** A pseudo-random document of `n` lines from `LINES` (a fixed seed: the same documents every run). */
function documents(count: number, lines: number, seed: number): string[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + (next() % lines) }, () => LINES[next() % LINES.length]).join("\n"),
  );
}

describe("fastRules", () => {
  it("lexes exactly as marked's own rules do, on thousands of documents mixing every block kind", () => {
    for (const doc of documents(3000, 24, 7)) expect(fastTokens(doc), doc).toBe(referenceTokens(doc));
  });

  it("lexes long documents exactly as marked's own rules do", () => {
    for (const doc of documents(20, 400, 11)) expect(fastTokens(doc)).toBe(referenceTokens(doc));
  });

  it("keeps setext headings, which its guard skips only where no underline can follow", () => {
    const doc = "Title\nmore\n===\n\npara\n\nOther\n---\n\nnot a heading\n\n---\n";
    const tokens = lexBlocks(doc).filter((t) => t.type !== "space");
    expect(tokens.map((t) => t.type)).toEqual(["heading", "paragraph", "heading", "paragraph", "hr"]);
    expect(fastTokens(doc)).toBe(referenceTokens(doc));
  });

  it("makes the anchored rules sticky and leaves global or unanchored ones alone", () => {
    const rules = markedRules();
    const fast = fastRules(rules);
    expect(fast.block.hr.sticky).toBe(true);
    expect(fast.block.paragraph.sticky).toBe(true);
    expect(fast.inline.text.sticky).toBe(true);
    expect(fast.inline.emStrongRDelimAst).toBe(rules.inline.emStrongRDelimAst); // global
    expect(fastRules(rules)).toBe(fast); // made once
    // The rules a function makes (the list's, built per bullet) are anchored too.
    expect((fast.other.listItemRegex as (bull: string) => RegExp)("-").sticky).toBe(true);
  });

  it("keeps an anchored rule's answer the same however often it runs", () => {
    const hr = fastRules(markedRules()).block.hr;
    expect(hr.exec("---\nrest")?.[0]).toBe("---\n");
    expect(hr.lastIndex).toBe(0);
    expect(hr.exec("x\n---\n")).toBeNull(); // not at position 0, as `^` says
    expect(hr.test("***\n")).toBe(true);
  });
});

describe("hasTopLevelAlternative", () => {
  it("finds a | outside parentheses and classes only", () => {
    expect(hasTopLevelAlternative("^a|b")).toBe(true);
    expect(hasTopLevelAlternative("^(a|b)")).toBe(false);
    expect(hasTopLevelAlternative("^[|]a")).toBe(false);
    expect(hasTopLevelAlternative("^a\\|b")).toBe(false);
    expect(hasTopLevelAlternative("^[\\]|]x")).toBe(false);
    expect(hasTopLevelAlternative("^(?:x)y|z")).toBe(true);
  });
});

describe("mayBeSetextHeading", () => {
  it("sees an underline before the first blank line, and nothing past it", () => {
    expect(mayBeSetextHeading("Title\n===")).toBe(true);
    expect(mayBeSetextHeading("Title\nline\n  ---  \nafter")).toBe(true);
    expect(mayBeSetextHeading("Title\n\n===")).toBe(false);
    expect(mayBeSetextHeading("Title\n \t\n---")).toBe(false);
    expect(mayBeSetextHeading("===")).toBe(false); // no text above it
    expect(mayBeSetextHeading("Title\n    ---")).toBe(false); // indented code, not an underline
    expect(mayBeSetextHeading("words only")).toBe(false);
  });
});
