/**
 * The Markdown pipeline run once on a sample soon after start-up, and its result laid out out of
 * sight. JavaScriptCore compiles each function and regular expression of marked, highlight.js and
 * the sanitizer when it is first used, and WebKit looks up and loads each font (bold, monospace,
 * each heading's) when it first lays text out in it; without this, the first answer's frames that
 * bring a heading, a list or a code block pay for that (28–49 ms each, docs/PERFORMANCE.md).
 */
import { LANGUAGES, highlightCode } from "./highlight";
import { IncrementalMarkdown } from "./incremental";

/** A little of every kind of block an answer has, streamed in pieces as an answer is. */
const SAMPLE = [
  "# A heading\n\n## A section\n\n### A part\n\nSome **bold**, *emphasis*, `code` and a [link](https://example.com/a?b=1).\n\n",
  "- one\n- two with `code`\n\n1. first\n2. second\n\n> a quote\n\n",
  "| a | b |\n| - | - |\n| 1 | 2 |\n\n---\n\n",
  '```ts\nconst answer: number = 42; // a comment\nfunction f(x: string) { return `${x}!`; }\n```\n\n',
  "```python\ndef f(x):\n    return x * 2  # a comment\n```\n\nThe end.\n",
];

/**
 * Formats the sample into an answer's text element on the page, out of sight (`.warmup`), lays it
 * out and removes it; returns it.
 */
export function warmUpRendering(): HTMLElement {
  const root = document.createElement("div");
  root.className = "markdown warmup";
  root.setAttribute("aria-hidden", "true");
  document.body.append(root);
  const md = new IncrementalMarkdown(root, { caret: true });
  for (const piece of SAMPLE) {
    md.append(piece);
    md.render();
  }
  md.endAndFormatNow();
  root.getBoundingClientRect(); // lays it out: its fonts are loaded now
  root.remove();
  return root;
}

/**
 * Highlights a line in every language, which compiles its grammar: the first code block in a
 * language would otherwise pay for it in the frame that formats it (a Rust block's frame in the
 * window benchmark's first answer, docs/PERFORMANCE.md).
 */
export function warmUpHighlighting(): void {
  for (const language of LANGUAGES) highlightCode("let x = f(1); // x\n", language);
}
