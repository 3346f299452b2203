/**
 * The times `logs --since` accepts, a subset of `journalctl --since`'s: a date and time, `today`,
 * `yesterday`, `now`, and times relative to now.
 *
 * @module
 */

import { UsageError } from "./options.ts";

const UNITS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * Parses a `--since` time: `2026-12-01`, `2026-12-01 10:30[:00]` (local time), an ISO 8601 time
 * with a zone (`2026-12-01T10:30:00Z`), `now`, `today`, `yesterday` (midnight, local time),
 * `-2h`, `2h ago`, `30min ago` (units `s`, `m`/`min`, `h`, `d`, `w`).
 *
 * @param text The time as given.
 * @param now The present (for relative times).
 * @returns The time.
 * @throws {UsageError} For anything else.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSince } from "./time.ts";
 * const now = new Date("2026-12-05T12:00:00Z");
 * assert.equal(parseSince("-2h", now).toISOString(), "2026-12-05T10:00:00.000Z");
 * assert.equal(parseSince("1d ago", now).toISOString(), "2026-12-04T12:00:00.000Z");
 * assert.equal(parseSince("2026-12-01T00:00:00Z", now).toISOString(), "2026-12-01T00:00:00.000Z");
 * ```
 */
export function parseSince(text: string, now: Date = new Date()): Date {
  const t = text.trim().toLowerCase();
  if (t === "now") return new Date(now);
  if (t === "today" || t === "yesterday") {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    if (t === "yesterday") d.setDate(d.getDate() - 1);
    return d;
  }
  const rel = /^(?:-\s*(\d+)\s*([a-z]+)|(\d+)\s*([a-z]+)\s+ago)$/.exec(t);
  if (rel) {
    const n = Number(rel[1] ?? rel[3]);
    const unit = UNITS[rel[2] ?? rel[4]];
    if (unit !== undefined) return new Date(now.getTime() - n * unit);
  }
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1).map((v) => v === undefined ? 0 : Number(v));
    const date = new Date(y, mo - 1, d, h, mi, s);
    // Date rolls 2026-02-31 over to March: refuse it instead.
    if (date.getMonth() === mo - 1 && date.getDate() === d && h < 24 && mi < 60 && s < 60) {
      return date;
    }
  } else if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})$/.test(t)) {
    const ms = Date.parse(text.trim());
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new UsageError(
    `invalid time: ${JSON.stringify(text)}: expected YYYY-MM-DD [HH:MM[:SS]], an ISO 8601 time, ` +
      "now, today, yesterday, -2h or 2h ago",
  );
}
