/**
 * The types that cross IPC (docs/IPC.md), generated from the Rust types by ts-rs into
 * `generated/ipc.ts` (refresh with `scripts/gen-types`; `tests/bindings.rs` fails while it is
 * stale). Nothing here is kept by hand; `ipc.ts` is the only module that moves these values.
 */
export type * from "./generated/ipc";
/** Who wrote a message: compared by name (`Role.user`), never by a string of the page's own. */
export { Role } from "./generated/ipc";
/** The fewest and most models a compare run takes, as Rust checks them (compare.rs). */
export { COMPARE_MODELS } from "./generated/ipc";
/** The widths a splitter may give the sidebar and the inspector, as Rust checks them (layout.rs). */
export { PANEL_WIDTHS } from "./generated/ipc";
