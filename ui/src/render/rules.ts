/**
 * marked's lexer rules, made cheap in WebKit's JavaScript engine (JavaScriptCore) without changing
 * what they match.
 *
 * Several of marked's block rules are too complex for JavaScriptCore's regular-expression JIT and
 * run in its interpreter, which does two things V8 does not (measured with WebKitGTK 2.50's `jsc`;
 * docs/PERFORMANCE.md, "Lexing in WebKit"):
 * - an expression anchored with `^` is still tried at every position of the string before it
 *   fails, so each rule tried at a block's start scans the whole rest of the document: lexing
 *   grows with the square of its length;
 * - the setext heading rule (a paragraph underlined with `===` or `---`), a lazy loop over
 *   alternatives with look-aheads, costs about 3 µs per character of every paragraph it is tried
 *   on, and it is tried on every paragraph.
 * Lexing 117 KB took 800–950 ms there against 10 ms in Node. `fastRules` gives the same rules with
 * each `^`-anchored expression made sticky (tried at position 0 only, which is all `^` allows),
 * and the setext rule run only when the paragraph has an underline-like line before its first
 * blank line (it cannot match otherwise). The lexer then produces exactly the same tokens
 * (`rules.test.ts` compares them on many documents) in 40 ms.
 */
import type { Marked, Tokenizer } from "marked";

type Rules = Tokenizer["rules"];

/** A lexer of `md`, with `fastRules` in place of marked's own. */
export function fastLexer(md: Marked) {
  const tokenizer = new md.Tokenizer();
  const lexer = new md.Lexer({ ...md.defaults, tokenizer });
  tokenizer.rules = fastRules(tokenizer.rules); // the lexer has just set marked's own
  return lexer;
}

const cache = new WeakMap<Rules, Rules>();

/** The same rules as `rules`, cheap in JavaScriptCore; made once per rule set. */
export function fastRules(rules: Rules): Rules {
  let fast = cache.get(rules);
  if (!fast) {
    fast = {
      other: patchGroup(rules.other),
      block: patchGroup(rules.block),
      inline: patchGroup(rules.inline),
    } as Rules;
    fast.block.lheading = onlyWithUnderline(fast.block.lheading);
    cache.set(rules, fast);
  }
  return fast;
}

/** A group of rules with every anchored expression sticky, including those its functions make. */
function patchGroup<T extends object>(group: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(group)) {
    out[name] =
      typeof value === "function"
        ? (...args: unknown[]) => anchoredAtStart((value as (...a: unknown[]) => unknown)(...args))
        : anchoredAtStart(value);
  }
  return out as T;
}

/**
 * For an expression that can only match at position 0 (it starts with `^`, is neither global nor
 * multiline, and has no alternative outside parentheses that `^` would not cover): a sticky copy
 * that is tried at position 0 only. Anything else is returned as it is.
 */
function anchoredAtStart<T>(value: T): T {
  if (!(value instanceof RegExp)) return value;
  const re = value as RegExp;
  if (re.global || re.sticky || re.multiline || !re.source.startsWith("^") || hasTopLevelAlternative(re.source)) return value;
  return atZero(new RegExp(re.source, re.flags + "y")) as T;
}

/**
 * Makes a sticky expression behave as a plain one anchored with `^`: `lastIndex` is 0 before and
 * after every match, whoever runs it (marked calls `exec` and `test`).
 */
function atZero(re: RegExp): RegExp {
  const exec = RegExp.prototype.exec;
  re.exec = function (this: RegExp, text: string) {
    this.lastIndex = 0;
    const match = exec.call(this, text);
    this.lastIndex = 0;
    return match;
  };
  re.test = function (this: RegExp, text: string) {
    return this.exec(text) !== null;
  };
  return re;
}

/** Whether `source` has a `|` outside any parentheses and character class. */
export function hasTopLevelAlternative(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return true;
  }
  return false;
}

const UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const WHITESPACE_ONLY = /^\s*$/;

/**
 * Whether a setext heading can start at the beginning of `src`: its underline (a line of `=` or
 * `-`) must come after the first line and before any whitespace-only line, which the heading's
 * text cannot cross.
 */
export function mayBeSetextHeading(src: string): boolean {
  let lineEnd = src.indexOf("\n");
  while (lineEnd >= 0) {
    const next = src.indexOf("\n", lineEnd + 1);
    const line = next < 0 ? src.slice(lineEnd + 1) : src.slice(lineEnd + 1, next);
    if (UNDERLINE.test(line)) return true;
    if (WHITESPACE_ONLY.test(line)) return false;
    lineEnd = next;
  }
  return false;
}

/** The setext rule, tried only where `mayBeSetextHeading` says it could match. */
function onlyWithUnderline(rule: RegExp): RegExp {
  const guarded = new RegExp(rule.source, rule.flags);
  guarded.exec = (text: string) => (mayBeSetextHeading(text) ? rule.exec(text) : null);
  guarded.test = (text: string) => guarded.exec(text) !== null;
  return guarded;
}
