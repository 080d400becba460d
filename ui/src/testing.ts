/** Values for the page's unit tests (never imported by the app). */
import type { FrameScheduler } from "./stream";
import type { ProviderView } from "./types";

/** A provider as the backend sends it: an available, keyless, remote one unless `fields` say otherwise. */
export function providerView(fields: Partial<ProviderView> & Pick<ProviderView, "id">): ProviderView {
  return {
    name: fields.id,
    protocol: "some-protocol",
    base_url: "",
    custom: false,
    local: false,
    detectable: false,
    takes_key: false,
    key_required: false,
    key: "none",
    key_env: null,
    models: [],
    available: true,
    hint: null,
    ...fields,
  };
}

/** Animation frames the test runs by hand: `schedule` queues, `frame()` runs what is queued. */
export function manualFrames(): { schedule: FrameScheduler; frame: () => void } {
  const frames: (() => void)[] = [];
  const schedule: FrameScheduler = (cb) => {
    frames.push(cb);
    return () => undefined;
  };
  return { schedule, frame: () => frames.splice(0).forEach((cb) => cb()) };
}

/** Lets pending promise callbacks run. */
export const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
