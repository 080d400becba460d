import { describe, expect, it } from "vitest";
import { morphNodes } from "./morph";

/** Nodes parsed from `html`, detached, as a render gives them. */
function nodes(html: string): Node[] {
  const template = document.createElement("template");
  template.innerHTML = html;
  return [...template.content.childNodes];
}

/** `html` on the page, in a fresh parent. */
function live(html: string): { parent: HTMLElement; nodes: Node[] } {
  const parent = document.createElement("div");
  parent.append(...nodes(html));
  return { parent, nodes: [...parent.childNodes] };
}

describe("morphNodes", () => {
  it("keeps elements with the same tag and attributes, and extends their text", () => {
    const page = live('<ul><li>one <code class="x">a</code> and</li></ul>\n');
    const li = page.parent.querySelector("li")!;
    const tail = li.lastChild as Text;
    const result = morphNodes(page.nodes, nodes('<ul><li>one <code class="x">a</code> and more</li></ul>\n'));
    expect(result).toEqual(page.nodes);
    expect(page.parent.innerHTML).toBe('<ul><li>one <code class="x">a</code> and more</li></ul>\n');
    expect(page.parent.querySelector("li")).toBe(li);
    expect(li.lastChild).toBe(tail);
  });

  it("adds, replaces and removes children that differ", () => {
    const page = live("<p>a <em>b</em> c</p>");
    const p = page.parent.firstChild;
    morphNodes(page.nodes, nodes("<p>a <strong>b</strong></p>"));
    expect(page.parent.innerHTML).toBe("<p>a <strong>b</strong></p>");
    expect(page.parent.firstChild).toBe(p);
    morphNodes([p!], nodes("<p>a <strong>b</strong> c <em>d</em></p>"));
    expect(page.parent.innerHTML).toBe("<p>a <strong>b</strong> c <em>d</em></p>");
    morphNodes([p!], nodes("<p>x</p>"));
    expect(page.parent.innerHTML).toBe("<p>x</p>");
  });

  it("replaces what differs in kind, tag or attributes, in place", () => {
    const page = live('<p>a</p><pre><code class="language-js">x</code></pre>');
    const fresh = nodes('<h2>a</h2><pre><code class="hljs language-js"><span>x</span></code></pre>');
    const result = morphNodes(page.nodes, fresh)!;
    expect(page.parent.innerHTML).toBe('<h2>a</h2><pre><code class="hljs language-js"><span>x</span></code></pre>');
    expect(result[0]).toBe(fresh[0]);
    expect(result[1]).toBe(page.nodes[1]); // the <pre> kept, its <code> replaced
    expect([...page.parent.childNodes]).toEqual(result);
  });

  it("leaves lists of different lengths alone (null)", () => {
    const page = live("<p>a</p>");
    expect(morphNodes(page.nodes, nodes("<p>a</p><p>b</p>"))).toBeNull();
    expect(page.parent.innerHTML).toBe("<p>a</p>");
  });
});
