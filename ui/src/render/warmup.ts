/**
 * The Markdown pipeline run once on a sample, off the page, soon after start-up. JavaScriptCore
 * compiles each function and regular expression of marked, highlight.js and the sanitizer when it
 * is first used; without this, the first answer's first frames pay for that (docs/PERFORMANCE.md).
 */
import { IncrementalMarkdown } from "./incremental";

/** A little of every kind of block an answer has, streamed in pieces as an answer is. */
const SAMPLE = [
  "# A heading\n\nSome **bold**, *emphasis*, `code` and a [link](https://example.com/a?b=1).\n\n",
  "- one\n- two with `code`\n\n1. first\n2. second\n\n> a quote\n\n",
  "| a | b |\n| - | - |\n| 1 | 2 |\n\n---\n\n",
  '```ts\nconst answer: number = 42; // a comment\nfunction f(x: string) { return `${x}!`; }\n```\n\n',
  "```python\ndef f(x):\n    return x * 2  # a comment\n```\n\nThe end.\n",
];

/** Formats the sample into an element that is never on the page, and returns it. */
export function warmUpRendering(): HTMLElement {
  const root = document.createElement("div");
  const md = new IncrementalMarkdown(root, { caret: true });
  for (const piece of SAMPLE) {
    md.append(piece);
    md.render();
  }
  md.endAndFormatNow();
  return root;
}
