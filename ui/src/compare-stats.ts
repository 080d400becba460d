/**
 * The numbers of a compare run, as pure functions: a column's live stats while it streams
 * (folded from the stream messages and the times they arrived), and the summary table once
 * every column has ended (from what Rust saved), like the guide's per-stream summary.
 */
import { isEnding } from "./stream";
import type { MessageState, Stats, StreamMessage } from "./types";

/** Whether `m` carries answer content (the first one marks the time to first token). */
function isContent(m: StreamMessage): boolean {
  return m.type === "tool_call" || ((m.type === "text" || m.type === "thinking" || m.type === "refusal") && m.text !== "");
}

/**
 * A streaming column's numbers so far, from the times its messages arrived. Tokens are the provider's count once it sends usage,
 * until then the deltas counted (marked estimated, as the saved stats mark it).
 */
export class LiveStats {
  private firstAt: number | null = null;
  private deltas = 0;
  private usageTokens: number | null = null;
  private reason: string | null = null;

  /** `startedAt`: when the column's request went out (ms, the clock `apply` is given). */
  constructor(private readonly startedAt: number) {}

  /** Folds messages that arrived at `at`. */
  apply(batch: StreamMessage[], at: number): void {
    for (const m of batch) {
      if (isContent(m)) {
        this.firstAt ??= at;
        this.deltas++;
      } else if (m.type === "usage" && m.output_tokens != null) {
        this.usageTokens = m.output_tokens;
      } else if (m.type === "finish" && isEnding(m)) {
        this.reason = m.reason;
      }
    }
  }

  /** The numbers as of `now`, in the saved stats' shape (so they print the same way). */
  snapshot(now: number): Stats {
    const tokens = this.usageTokens ?? (this.deltas || null);
    const seconds = this.firstAt === null ? 0 : (now - this.firstAt) / 1000;
    return {
      ttft_ms: this.firstAt === null ? null : this.firstAt - this.startedAt,
      tokens_per_sec: tokens !== null && seconds > 0 ? tokens / seconds : null,
      output_tokens: tokens,
      tokens_estimated: this.usageTokens === null,
      input_tokens: null,
      duration_ms: now - this.startedAt,
      finish_reason: this.reason,
    };
  }
}

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
    };
  });
}

/** Whether every column has ended (the table shows only then). */
export function allEnded(columns: { state: MessageState }[]): boolean {
  return columns.length > 0 && columns.every((c) => c.state !== "streaming");
}
