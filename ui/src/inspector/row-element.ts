/**
 * The inspector's rows as elements, each exactly three lines tall (the virtual list places rows by
 * a fixed height): the time, event name, size and the stream's id and model; the fields the
 * streaming guides print (as Rust sends them with the row) and the events Runnel decoded; the data
 * exactly as it came. Every line is cut with an ellipsis; the detail below the list shows a
 * selected row whole.
 */
import { h } from "../dom";
import type { EventRow, Field } from "../types";
import { COMMENT, describeEvent, eventLabel, formatAt, formatBytes } from "./rows";

/** The fields that name a stream rather than say what one chunk carries. */
const IDENTITY = ["id", "model"];

/** Fields as labelled values (none: nothing). */
function fields(list: Field[], className: string | null): HTMLElement | null {
  if (!list.length) return null;
  return h(
    "span",
    { class: className },
    list.map(({ label, value }) => h("span", { class: "insp-field" }, h("span", { class: "insp-field-label" }, label), " ", h("span", { class: "insp-field-value", "data-field": label }, value))),
  );
}

/** `row`'s element; `selected`: its detail is shown. */
export function rowElement(row: EventRow, selected: boolean): HTMLElement {
  const all = row.fields;
  const decoded = row.decoded.map(describeEvent);
  return h(
    "div",
    {
      class: `insp-row${row.event === COMMENT ? " is-comment" : ""}`,
      role: "listitem",
      "data-testid": "inspector-event",
      "data-event": row.event,
      "data-t-ms": String(row.at_ms),
    },
    h(
      "button",
      { type: "button", class: "insp-row-head", "aria-expanded": String(selected) },
      h(
        "span",
        { class: "insp-line" },
        h("span", { class: "insp-time" }, formatAt(row.at_ms)),
        h("span", { class: "insp-event" }, eventLabel(row)),
        h("span", { class: "insp-size muted" }, formatBytes(row.bytes)),
        // The id and model are the same on every chunk: after what names the row, quietly.
        fields(all.filter(({ label }) => IDENTITY.includes(label)), "insp-identity"),
      ),
      h(
        "span",
        { class: "insp-fields" },
        fields(all.filter(({ label }) => !IDENTITY.includes(label)), null),
        decoded.map((d) => h("span", { class: "insp-decoded-event" }, `→ ${d}`)),
      ),
      // The data exactly as it came, on one line (the detail pretty-prints it).
      h("span", { class: "insp-raw", "data-testid": "inspector-data" }, row.data),
    ),
  );
}

/** A row not fetched yet. */
export function loadingRow(): HTMLElement {
  return h("div", { class: "insp-row is-loading muted", role: "listitem", "aria-busy": "true" }, "Loading…");
}

/** The last row when events were past the bound: how many are not shown. */
export function moreRow(more: number, kept: number): HTMLElement {
  return h(
    "div",
    { class: "insp-row insp-more muted", role: "listitem", "data-testid": "inspector-more", "data-more": String(more) },
    h("span", { class: "insp-more-count" }, `… ${more.toLocaleString("en-US")} more events not shown`),
    h("span", { class: "insp-more-why" }, `Only the first ${kept.toLocaleString("en-US")} are kept; the summary counts them all.`),
  );
}
