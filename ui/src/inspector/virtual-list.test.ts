import { describe, expect, it, vi } from "vitest";
import { manualFrames } from "../testing";
import { VirtualList } from "./virtual-list";

/** A list of `count` rows of 20 px in a 200 px box, drawing 5 more each side. */
function list(count: number) {
  const frames = manualFrames();
  const box = document.createElement("div");
  Object.defineProperty(box, "clientHeight", { value: 200, configurable: true });
  document.body.replaceChildren(box);
  const render = vi.fn((index: number) => {
    const el = document.createElement("div");
    el.textContent = `row ${index}`;
    return el;
  });
  const onRange = vi.fn();
  const vlist = new VirtualList(box, { rowHeight: 20, overscan: 5, render, onRange, schedule: frames.schedule });
  vlist.setCount(count);
  const drawn = () => Array.from(box.querySelectorAll<HTMLElement>(".vlist-row"));
  const indexes = () => drawn().map((el) => Number(el.dataset.index));
  const scroll = (top: number) => {
    box.scrollTop = top;
    box.dispatchEvent(new Event("scroll"));
  };
  return { box, vlist, render, onRange, frame: frames.frame, drawn, indexes, scroll };
}

const run = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("the virtual list", () => {
  it("holds only the rows in view and the overscan, each at its index times the row height", () => {
    const { box, indexes, drawn, onRange } = list(100_000);
    expect(indexes()).toEqual(run(0, 15));
    expect(drawn()[3].style.top).toBe("60px");
    expect((box.querySelector(".vlist-spacer") as HTMLElement).style.height).toBe("2000000px");
    expect(onRange).toHaveBeenLastCalledWith(0, 15);
  });

  it("draws the rows scrolled into view at the next frame, in order, and asks for exactly those", () => {
    const { indexes, scroll, frame, onRange, render, drawn } = list(100_000);
    scroll(50_000 * 20);
    expect(indexes()).toEqual(run(0, 15));
    frame();
    expect(indexes()).toEqual(run(49_995, 50_015));
    expect(onRange).toHaveBeenLastCalledWith(49_995, 50_015);
    expect(drawn()[5].textContent).toBe("row 50000");
    expect(drawn()[5].style.top).toBe("1000000px");
    render.mockClear();
    scroll(50_002 * 20);
    frame();
    expect(indexes()).toEqual(run(49_997, 50_017));
    expect(render.mock.calls.map(([index]) => index)).toEqual([50_015, 50_016]);
    scroll(49_990 * 20);
    frame();
    expect(indexes(), "rows above go in before the others").toEqual(run(49_985, 50_005));
  });

  it("keeps the focus on a row drawn anew", () => {
    const { vlist, drawn, render } = list(10);
    render.mockImplementation((index: number) => {
      const el = document.createElement("div");
      el.append(Object.assign(document.createElement("button"), { textContent: `row ${index}` }));
      return el;
    });
    vlist.refresh();
    drawn()[2].querySelector("button")!.focus();
    vlist.refresh();
    expect(document.activeElement).toBe(drawn()[2].querySelector("button"));
  });

  it("stops at the last row, draws rows anew on refresh and forgets them on clear", () => {
    const { vlist, indexes, scroll, frame, render, box } = list(30);
    scroll(25 * 20);
    frame();
    expect(indexes()).toEqual(run(20, 30));
    vlist.setCount(22);
    expect(indexes()).toEqual(run(20, 22));
    render.mockClear();
    vlist.refresh();
    expect(render.mock.calls.map(([index]) => index)).toEqual([20, 21]);
    vlist.clear();
    expect([indexes(), vlist.length, box.scrollTop]).toEqual([[], 0, 0]);
  });
});
