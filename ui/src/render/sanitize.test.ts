import { describe, expect, it } from "vitest";
import { IncrementalMarkdown } from "./incremental";
import { renderDocumentHtml } from "./markdown";
import { isOpenableUrl, openableUrl, sanitize } from "./sanitize";

/**
 * Reports what could be dangerous in sanitized HTML (parsed without executing anything) or in a
 * rendered DOM tree itself.
 */
function audit(html: string | ParentNode) {
  let root: ParentNode;
  if (typeof html === "string") {
    const t = document.createElement("template");
    t.innerHTML = html;
    root = t.content;
  } else {
    root = html;
  }
  const all = Array.from(root.querySelectorAll("*"));
  return {
    tags: all.map((e) => e.tagName.toLowerCase()),
    handlers: all.flatMap((e) => Array.from(e.attributes).filter((a) => a.name.startsWith("on")).map((a) => a.name)),
    styles: all.filter((e) => e.hasAttribute("style")).length,
    hrefs: all.filter((e) => e.hasAttribute("href")).map((e) => e.getAttribute("href")),
    srcs: all.filter((e) => e.hasAttribute("src")).map((e) => e.getAttribute("src")),
    ids: all.filter((e) => e.hasAttribute("id") || e.hasAttribute("name") || Array.from(e.attributes).some((a) => a.name.startsWith("data-"))).length,
  };
}

describe("sanitize", () => {
  it("removes <script> with its content", () => {
    const out = sanitize('<p>hi</p><script>alert(1)</script>');
    expect(out).toBe("<p>hi</p>");
  });

  it("removes event handlers: <img onerror>, <svg onload>, <details ontoggle>", () => {
    const a = audit(sanitize('<img src=x onerror="alert(1)"><svg onload="alert(2)"><circle/></svg><details ontoggle="alert(3)" open><summary>s</summary>x</details>'));
    expect(a.handlers).toEqual([]);
    expect(a.tags).not.toContain("svg");
    expect(a.tags).not.toContain("img"); // a non-data image is dropped entirely
    expect(a.tags).toContain("details");
  });

  it("drops javascript:, data: and vbscript: links but keeps http(s) and mailto", () => {
    const a = audit(
      sanitize(
        '<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a><a href="data:text/html,<script>alert(1)</script>">c</a>' +
          '<a href="vbscript:x">d</a><a href="https://example.com/x">e</a><a href="mailto:a@b.c">f</a><a href="/relative">g</a>',
      ),
    );
    expect(a.hrefs).toEqual(["https://example.com/x", "mailto:a@b.c"]);
  });

  it("removes iframes, forms, objects, styles and style attributes", () => {
    const html = sanitize(
      '<iframe src="https://evil.example"></iframe><form action="x"><input name="q"><button>go</button></form>' +
        '<object data="x"></object><embed src="x"><style>body{display:none}</style><p style="position:fixed">text</p>',
    );
    const a = audit(html);
    for (const tag of ["iframe", "form", "input", "button", "object", "embed", "style"]) expect(a.tags).not.toContain(tag);
    expect(a.styles).toBe(0);
    expect(html).toContain("<p>text</p>");
  });

  it("keeps data: images only", () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const a = audit(sanitize(`<img src="${png}" alt="ok"><img src="https://evil.example/p.png"><img src="data:image/svg+xml;base64,PHN2Zz4=">`));
    expect(a.srcs).toEqual([png]);
  });

  it("strips ids, names, data- and aria- attributes and foreign class names", () => {
    const out = sanitize('<p id="app" name="x" data-testid="stop" aria-hidden="true" class="caret">p</p><code class="hljs language-js evil">c</code><span class="hljs-keyword">k</span>');
    expect(audit(out).ids).toBe(0);
    expect(out).toContain('<p>p</p>');
    expect(out).toContain('<code class="hljs language-js">c</code>');
    expect(out).toContain('<span class="hljs-keyword">k</span>');
  });

  it("survives known mutation-XSS shapes", () => {
    const a = audit(sanitize('<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>'));
    expect(a.handlers).toEqual([]);
    expect(a.tags).not.toContain("img");
  });

  it("isOpenableUrl accepts only http, https and mailto", () => {
    expect(isOpenableUrl("https://a.b")).toBe(true);
    expect(isOpenableUrl("mailto:x@y.z")).toBe(true);
    expect(isOpenableUrl("javascript:alert(1)")).toBe(false);
    expect(isOpenableUrl("file:///etc/passwd")).toBe(false);
  });

  it("openableUrl keeps http(s) links whole and a mailto: link's address only", () => {
    expect(openableUrl(" https://a.b/c?d=1#e ")).toBe("https://a.b/c?d=1#e");
    expect(openableUrl("http://a.b")).toBe("http://a.b");
    expect(openableUrl("mailto:x@y.z")).toBe("mailto:x@y.z");
    expect(openableUrl("mailto:x@y.z?attach=/etc/passwd")).toBe("mailto:x@y.z");
    expect(openableUrl("MAILTO:x@y.z?subject=s&body=b&attach=~/.ssh/id_rsa")).toBe("mailto:x@y.z");
    expect(openableUrl("mailto:x@y.z%3Fattach=/etc/passwd")).toBe("mailto:x@y.z");
    expect(openableUrl("mailto:x@y.z#frag")).toBe("mailto:x@y.z");
    expect(openableUrl("mailto:?attach=/etc/passwd")).toBe("mailto:");
    expect(openableUrl("javascript:alert(1)")).toBeNull();
    expect(openableUrl("file:///etc/passwd")).toBeNull();
  });

  it("a mailto: link keeps its address only in the sanitized HTML and in rendered Markdown", () => {
    const html = sanitize('<a href="mailto:x@y.z?attach=/etc/passwd&amp;body=hi">m</a><a href="https://e.x/?q=1">h</a>');
    expect(audit(html).hrefs).toEqual(["mailto:x@y.z", "https://e.x/?q=1"]);
    const md = audit(renderDocumentHtml("[m](mailto:x@y.z?attach=/etc/passwd) <mailto:a@b.c?cc=d@e.f>"));
    expect(md.hrefs).toEqual(["mailto:x@y.z", "mailto:a@b.c"]);
  });
});

describe("markdown from a model is inert", () => {
  const PAYLOAD = [
    "<script>window.__pwned = 1</script>",
    "",
    '<img src=x onerror="window.__pwned = 2">',
    "",
    "[click](javascript:window.__pwned=3) [ok](https://example.com)",
    "",
    '<iframe src="javascript:window.__pwned=4"></iframe>',
    "",
    '<svg onload="window.__pwned=5"></svg> and <b style="color:red" onclick="x()">bold</b>',
    "",
    "![remote](https://evil.example/pixel.png)",
  ].join("\n");

  it("a full render holds no active content and shows raw HTML as text", () => {
    const html = renderDocumentHtml(PAYLOAD);
    const a = audit(html);
    expect(a.handlers).toEqual([]);
    expect(a.styles).toBe(0);
    expect(a.hrefs).toEqual(["https://example.com"]);
    expect(a.srcs).toEqual([]);
    for (const tag of ["script", "iframe", "svg", "img", "b"]) expect(a.tags).not.toContain(tag);
    expect(html).toContain("&lt;script&gt;");
  });

  // Renders (and sanitizes) once per character: seconds on one busy core in jsdom, where each
  // sanitize parses a fresh document. The limit catches a hang, not slowness.
  it("streaming the payload character by character never inserts active content", { timeout: 120_000 }, () => {
    const root = document.createElement("div");
    const md = new IncrementalMarkdown(root, { caret: true });
    for (const ch of PAYLOAD) {
      md.append(ch);
      md.render();
      const a = audit(root); // the live DOM itself, not a re-parse of its serialization
      expect(a.handlers).toEqual([]);
      expect(a.tags).not.toContain("script");
      expect(a.tags).not.toContain("iframe");
    }
    md.endAndFormatNow();
    expect(audit(root).srcs).toEqual([]);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });
});
