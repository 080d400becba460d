/**
 * Brings nodes on the page in line with freshly rendered ones, changing as little as it can: an
 * element with the same tag and attributes is kept and only its children are brought in line, a
 * text node is kept and its text extended (or replaced), and only what differs in kind is
 * replaced. A growing block rendered again each frame (a list item, a code block, a paragraph
 * with inline code) then costs WebKit the text that changed instead of a new subtree to style,
 * lay out and paint whole (docs/PERFORMANCE.md).
 */

/**
 * Makes `live` (nodes on the page, in order, under one parent) show what `fresh` (detached) shows,
 * and returns the nodes that now do: `live`'s own where they could be kept, `fresh`'s (moved in)
 * where not. Null when the two lists differ in length: the caller replaces them.
 */
export function morphNodes(live: readonly Node[], fresh: readonly Node[]): Node[] | null {
  if (live.length !== fresh.length) return null;
  return live.map((node, i) => {
    if (morph(node, fresh[i])) return node;
    node.parentNode?.replaceChild(fresh[i], node);
    return fresh[i];
  });
}

/** Brings `live` in line with `fresh`; false when they differ in kind (`live` must be replaced). */
function morph(live: Node, fresh: Node): boolean {
  if (live.nodeType !== fresh.nodeType) return false;
  if (live instanceof CharacterData) {
    const to = (fresh as CharacterData).data;
    if (live.data === to) return true;
    if (!(live instanceof Text)) return false;
    if (to.startsWith(live.data)) live.appendData(to.slice(live.data.length));
    else live.data = to;
    return true;
  }
  if (!(live instanceof Element) || !sameElement(live, fresh as Element)) return false;
  let at = live.firstChild;
  for (let next = fresh.firstChild; next; ) {
    const following: ChildNode | null = next.nextSibling;
    if (!at) live.appendChild(next);
    else {
      const after: ChildNode | null = at.nextSibling;
      if (!morph(at, next)) live.replaceChild(next, at);
      at = after;
    }
    next = following;
  }
  while (at) {
    const after: ChildNode | null = at.nextSibling;
    at.remove();
    at = after;
  }
  return true;
}

/** Same tag, same attributes and values. */
function sameElement(a: Element, b: Element): boolean {
  if (a.tagName !== b.tagName || a.attributes.length !== b.attributes.length) return false;
  for (const { name, value } of Array.from(b.attributes)) {
    if (a.getAttribute(name) !== value) return false;
  }
  return true;
}
