/**
 * Turns a `UiError` into words a person can act on. The provider's own message is shown beside
 * this sentence (see views/message.ts); this says what happened and what to do about it.
 */
import type { UiError } from "./types";

/** `providerName` is the display name of the provider that failed (from the catalog), if known. */
export function describeError(error: UiError, providerName?: string | null): string {
  const who = providerName || "The provider";
  const whoLower = providerName || "the provider";
  switch (error.kind) {
    case "rate_limited":
      return error.retry_after != null
        ? `Rate limited — retry in ${formatSeconds(error.retry_after)}`
        : `Rate limited by ${whoLower} — wait a moment, then retry`;
    case "authentication":
      return `Key rejected by ${whoLower} — check it in Settings`;
    case "permission":
      return `${who} refused access — your key may not be allowed to use this model`;
    case "not_found":
      return `${who} doesn't know this model — pick another one (Ctrl+K)`;
    case "overloaded":
      return `${who} is overloaded — try again shortly`;
    case "invalid_request":
      return `${who} rejected the request`;
    case "server":
      return `${who} had a server error — try again`;
    case "network":
      return `Couldn't reach ${whoLower} — check your connection`;
    case "timeout":
      return `${who} stopped responding — try again`;
    case "protocol":
      return `${who} sent a reply Runnel couldn't read`;
    case "too_large":
      return `${who} sent more than Runnel accepts in one answer — the text so far is kept`;
    case "incomplete":
      return "The answer was cut off";
    case "config":
      return "Runnel's settings are incomplete — check Settings";
    case "key":
      return "Couldn't read the key from the keychain — check Settings";
    case "storage":
      return "Couldn't save to disk — check free space and permissions";
    case "invalid_input":
      return "That can't be sent as it is";
    default:
      return "Something went wrong";
  }
}

/** Whether the fix is in Settings (offers a Settings button). */
export function pointsToSettings(error: UiError): boolean {
  return ["authentication", "permission", "config", "key"].includes(error.kind);
}

function formatSeconds(s: number): string {
  if (s >= 90) {
    const m = Math.round(s / 60);
    return `${m} min`;
  }
  return `${Math.max(1, Math.ceil(s))} s`;
}
