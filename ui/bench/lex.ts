/**
 * The lexer benchmark (`scripts/bench-lexer`, docs/PERFORMANCE.md "Lexing in WebKit"): marked's
 * lexer with its own rules and with `fastRules`, on the window benchmark's Markdown answer, run in
 * WebKit's engine (WebKitGTK's `jsc`) and in Node. Bundled into one script that defines
 * `runLexerBench(print, now)`.
 */
import { Marked } from "marked";
import { fastLexer } from "../src/render/rules";

const md = new Marked({ gfm: true, breaks: false, async: false });

function lexOwn(src: string) {
  return new md.Lexer({ ...md.defaults }).lex(src);
}

function lexFast(src: string) {
  return fastLexer(md).lex(src);
}

/** Delta `n` of the window benchmark's answer (tests/e2e/window_bench.rs, `delta`). */
function delta(n: number): string {
  let text: string;
  switch (n % 200) {
    case 0: text = "\n\n## Section heading\n\n"; break;
    case 50: text = "\n\n- a list item with `code` and **bold**\n"; break;
    case 100: text = '\n\n```rust\nfn main() { println!("hi"); }\n'; break;
    case 120: text = "\n```\n\n"; break;
    default: text = "words of a long answer ";
  }
  if (n % 25 === 0) text += `mk${String(n / 25).padStart(7, "0")} `;
  return text;
}

function answer(deltas: number): string {
  let text = "";
  for (let n = 0; n < deltas; n++) text += delta(n);
  return text;
}

/** The best of `runs` timings of `work`, in ms. */
function best(now: () => number, runs: number, work: () => void): number {
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = now();
    work();
    fastest = Math.min(fastest, now() - start);
  }
  return fastest;
}

(globalThis as Record<string, unknown>).runLexerBench = (print: (line: string) => void, now: () => number) => {
  for (const deltas of [5_000, 20_000]) {
    const text = answer(deltas);
    if (JSON.stringify(lexOwn(text)) !== JSON.stringify(lexFast(text))) throw new Error("fastRules changed the tokens");
    const own = best(now, deltas > 5_000 ? 1 : 3, () => lexOwn(text));
    const fast = best(now, 3, () => lexFast(text));
    print(
      `${deltas} deltas (${(text.length / 1024).toFixed(0)} KB): marked's rules ${own.toFixed(1)} ms, fastRules ${fast.toFixed(1)} ms (${(own / fast).toFixed(1)}× faster; ${((fast * 1000) / text.length).toFixed(2)} µs a character)`,
    );
  }
};
