/**
 * Syntax highlighting for code blocks: highlight.js core with a handful of common languages
 * registered explicitly (the full bundle is ~1 MB; this is a small fraction of it).
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const languages = {
  bash,
  c,
  cpp,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  shell,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);

/** The languages code blocks are highlighted in. */
export const LANGUAGES = Object.keys(languages);

/** Code longer than this is shown plain: highlighting it again every frame would cost too much. */
export const HIGHLIGHT_LIMIT = 50_000;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A language name made safe for a class name and a label; "" when there is none. */
export function cleanLanguage(lang: string | undefined | null): string {
  const first = (lang ?? "").trim().split(/\s+/)[0] ?? "";
  return first.replace(/[^A-Za-z0-9_+#.-]/g, "").slice(0, 32).toLowerCase();
}

/** HTML for the inside of a <code> element: highlighted when the language is known. */
export function highlightCode(code: string, lang: string): string {
  if (lang && code.length <= HIGHLIGHT_LIMIT && hljs.getLanguage(lang)) {
    try {
      return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    } catch {
      // fall through to plain text
    }
  }
  return escapeHtml(code);
}
