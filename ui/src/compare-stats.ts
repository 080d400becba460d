/**
 * The summary table of a compare run as pure functions, once every column has ended: each
 * column's saved numbers (Rust's, the same the stats line under an answer shows), formatted.
 */
import { formatCost } from "./format";
import type { MessageState, Stats } from "./types";

/** What the summary table needs of one column. */
export interface ColumnResult {
  model: string;
  state: MessageState;
  content: string;
  stats: Stats | null;
}

/** One row of the summary table, ready to print ("–" where a number is unknown). */
export interface SummaryRow {
  model: string;
  state: MessageState;
  ttft: string;
  total: string;
  tokens: string;
  tokensPerSec: string;
  characters: string;
  /** The answer's cost (the core's, from the server's counts), "–" when it has none. */
  cost: string;
}

const DASH = "–";
const seconds = (ms: number | null | undefined) => (ms == null ? DASH : `${(ms / 1000).toFixed(2)} s`);

/** The summary table's rows, one per column in column order. */
export function summaryRows(columns: ColumnResult[]): SummaryRow[] {
  return columns.map(({ model, state, content, stats }) => {
    const est = stats?.tokens_estimated ? "~" : "";
    return {
      model,
      state,
      ttft: seconds(stats?.ttft_ms),
      total: seconds(stats?.duration_ms),
      tokens: stats?.output_tokens == null ? DASH : `${est}${stats.output_tokens}`,
      tokensPerSec:
        stats?.tokens_per_sec == null || !Number.isFinite(stats.tokens_per_sec) ? DASH : `${est}${stats.tokens_per_sec.toFixed(1)}`,
      characters: String(Array.from(content).length),
      cost: stats?.cost_usd == null ? DASH : formatCost(stats.cost_usd),
    };
  });
}

/** Whether every column has ended (the table shows only then). */
export function allEnded(columns: { state: MessageState }[]): boolean {
  return columns.length > 0 && columns.every((c) => c.state !== "streaming");
}
