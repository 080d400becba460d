/** Small pure formatting helpers: stats lines, model names, day groups. */
import type { ProviderView, Stats } from "./types";

/**
 * "0.41 s to first token · 96 tok/s · 312 tok (200 reasoning) · server 120 tok/s · stop" — "~"
 * marks token counts that were estimated from deltas rather than reported by the provider; the
 * reasoning count and the server's own rate appear only when the provider reports them.
 */
export function formatStats(stats: Stats | null): string {
  if (!stats) return "";
  const parts: string[] = [];
  const est = stats.tokens_estimated ? "~" : "";
  if (stats.ttft_ms != null) parts.push(`${(stats.ttft_ms / 1000).toFixed(2)} s to first token`);
  if (stats.tokens_per_sec != null && Number.isFinite(stats.tokens_per_sec))
    parts.push(`${est}${Math.round(stats.tokens_per_sec)} tok/s`);
  if (stats.output_tokens != null) {
    const reasoning = stats.reasoning_tokens ? ` (${stats.reasoning_tokens} reasoning)` : ""; // 0 is not shown
    parts.push(`${est}${stats.output_tokens} tok${reasoning}`);
  }
  if (stats.server_tokens_per_sec != null && Number.isFinite(stats.server_tokens_per_sec))
    parts.push(`server ${Math.round(stats.server_tokens_per_sec)} tok/s`);
  if (stats.finish_reason) parts.push(stats.finish_reason.replace(/_/g, " "));
  return parts.join(" · ");
}

/**
 * A cost in US dollars as the core's `cost::format_usd` writes it: cents from a dollar up
 * ("$1.25"), two significant digits below ("$0.0042"), at most six decimals ("<$0.000001" below).
 */
export function formatCost(usd: number): string {
  if (!(usd > 0)) return "$0.00";
  if (usd < 0.000001) return "<$0.000001";
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  const decimals = Math.min(6, Math.max(2, 1 - Math.floor(Math.log10(usd))));
  const written = usd.toFixed(decimals);
  const trimmed = written.replace(/0+$/, "");
  return `$${trimmed.length < 4 ? written.slice(0, 4) : trimmed}`;
}

/**
 * A conversation's cost line from its answers' costs (each the core's, `null` for an answer
 * without one): the sum of those priced, and how many were not ("$0.012 · 1 answer not priced").
 * Empty when no answer was priced.
 */
export function conversationCost(costs: (number | null | undefined)[]): string {
  let sum = 0;
  let priced = 0;
  for (const cost of costs) {
    if (cost == null) continue;
    sum += cost;
    priced++;
  }
  if (priced === 0) return "";
  const unpriced = costs.length - priced;
  const note = unpriced === 0 ? "" : ` · ${unpriced} ${unpriced === 1 ? "answer" : "answers"} not priced`;
  return `${formatCost(sum)}${note}`;
}

/** "provider/some-model" → { provider: "provider", model: "some-model" }. */
export function splitModel(full: string): { provider: string; model: string } {
  const i = full.indexOf("/");
  if (i < 0) return { provider: "", model: full };
  return { provider: full.slice(0, i), model: full.slice(i + 1) };
}

/** The model part of "provider/model", for labels. */
export function modelLabel(full: string | null | undefined): string {
  if (!full) return "";
  return splitModel(full).model || full;
}

/** The display name of a model's provider, from the catalog, else its id capitalized. */
export function providerName(full: string | null | undefined, catalog: ProviderView[]): string | null {
  if (!full) return null;
  const { provider } = splitModel(full);
  const group = catalog.find((g) => g.id === provider);
  if (group) return group.name;
  if (!provider) return null;
  return provider.charAt(0).toUpperCase() + provider.slice(1);
}

/**
 * The note when the model last used is gone: "gpt-x is no longer available — using runnel-demo
 * (Demo)", naming the fallback's provider when the catalog knows it.
 */
export function modelGoneNote(gone: string, fallback: string, catalog: ProviderView[]): string {
  const provider = providerName(fallback, catalog);
  const using = provider ? `${modelLabel(fallback)} (${provider})` : modelLabel(fallback);
  return `${modelLabel(gone) || gone} is no longer available — using ${using}`;
}

/** "A", "A or B", "A, B or C". */
export function orList(words: string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

/**
 * The hint shown while the offline demo (`AppInfo.demo_provider`) is chosen, made from the
 * catalog: the demo's name and the providers that wait for a key ("You're on Demo — add an API
 * key in Settings to chat with A or B.").
 */
export function demoHint(catalog: ProviderView[], demo: string): string {
  const name = catalog.find((g) => g.id === demo)?.name ?? demo;
  const waiting = catalog.filter((g) => !g.available).map((g) => g.name);
  return `You're on ${name} — add an API key in Settings to chat with ${waiting.length ? orList(waiting) : "another provider"}.`;
}

export type DayGroup = "Today" | "Yesterday" | "Previous 7 days" | "Older";
export const DAY_GROUPS: DayGroup[] = ["Today", "Yesterday", "Previous 7 days", "Older"];

/** Which sidebar group a conversation updated at `ms` belongs to, seen at `now` (local days). */
export function dayGroup(ms: number, now: Date = new Date()): DayGroup {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 24 * 60 * 60 * 1000;
  if (ms >= startOfToday) return "Today";
  const startOfYesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getTime();
  if (ms >= startOfYesterday) return "Yesterday";
  if (ms >= startOfToday - 7 * day) return "Previous 7 days";
  return "Older";
}

/** Groups items (already newest first) by day, keeping the order and skipping empty groups. */
export function groupByDay<T extends { updated_at: number }>(items: T[], now: Date = new Date()): [DayGroup, T[]][] {
  const map = new Map<DayGroup, T[]>();
  for (const item of items) {
    const g = dayGroup(item.updated_at, now);
    if (!map.has(g)) map.set(g, []);
    map.get(g)!.push(item);
  }
  return DAY_GROUPS.filter((g) => map.has(g)).map((g) => [g, map.get(g)!]);
}

/**
 * Which env var a provider reads its key from, when the status does not already say it:
 * "Reads SOME_API_KEY first" (it wins over the keychain); null when the key comes from it, or
 * the provider reads none.
 */
export function keyEnvNote(view: { key: string; key_env: string | null; takes_key: boolean }): string | null {
  if (!view.takes_key || view.key_env === null || view.key === "env") return null;
  return `Reads ${view.key_env} first`;
}

/** "Key set ✓ (keychain)" / "From SOME_API_KEY" / "No key" / "Keychain unavailable". */
export function keyStatus(view: { key: string; key_env: string | null; takes_key: boolean }): string {
  if (!view.takes_key) return "No key needed";
  switch (view.key) {
    case "keychain":
      return "Key set ✓ (keychain)";
    case "env":
      return `From ${view.key_env ?? "the environment"}`;
    case "unavailable":
      return "Keychain unavailable";
    default:
      return "No key";
  }
}
