/** Values for the page's unit tests (never imported by the app). */
import type { ProviderView } from "./types";

/** A provider as the backend sends it: an available, keyless, remote one unless `fields` say otherwise. */
export function providerView(fields: Partial<ProviderView> & Pick<ProviderView, "id">): ProviderView {
  return {
    name: fields.id,
    protocol: "openai",
    base_url: "",
    custom: false,
    local: false,
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
