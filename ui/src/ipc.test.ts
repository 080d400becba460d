import { describe, expect, it, vi } from "vitest";

const invoked: { command: string; args: Record<string, unknown> }[] = [];
vi.mock("@tauri-apps/api/core", () => ({
  invoke: vi.fn(async (command: string, args: Record<string, unknown>) => {
    invoked.push({ command, args });
    return null;
  }),
  Channel: class {
    onmessage: (message: unknown) => void = () => undefined;
  },
}));

const { ipc, toUiError } = await import("./ipc");

/** `camelCase` → `snake_case`. */
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe("the IPC wrapper", () => {
  // The compiler checks each wrapper's arguments and result against the generated `Commands`
  // and that every command has one; this checks that each calls the command it is named after.
  it("each wrapper invokes the command of its own name", async () => {
    for (const [name, wrapper] of Object.entries(ipc)) {
      invoked.length = 0;
      const args = Array.from({ length: wrapper.length }, () => () => undefined);
      await (wrapper as (...args: unknown[]) => Promise<unknown>)(...args);
      expect(invoked.map((call) => call.command), name).toEqual([snake(name)]);
    }
  });

  it("passes a Channel for each stream handler", async () => {
    invoked.length = 0;
    const onMessage = vi.fn();
    await ipc.sendMessage(5, "Hi", "p/m", onMessage);
    const { args } = invoked[0];
    expect(Object.keys(args)).toEqual(["conversation_id", "text", "model", "on_event"]);
    (args.on_event as { onmessage: (m: unknown) => void }).onmessage("x");
    expect(onMessage).toHaveBeenCalledWith("x");
  });

  it("turns any rejection into a UiError", () => {
    expect(toUiError({ kind: "key", message: "m", retryable: false })).toEqual({ kind: "key", message: "m", status: null, error_type: null, retry_after: null, retryable: false });
    expect(toUiError("boom")).toMatchObject({ kind: "unknown", message: "boom", retryable: true });
  });
});
