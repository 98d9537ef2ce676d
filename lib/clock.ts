import { readFileSync } from "node:fs";
import { env } from "./env";

// The time that key rotation's overlaps, quiet windows and deadlines (and key expiry) are judged
// by. Tests move it instead of waiting hours: Vitest with setClockOffsetForTests, an end-to-end
// server through LATCHKEY_TEST_CLOCK_FILE, a file holding the seconds to add, read on every call
// (a few microseconds, and only when the variable is set) so a spec that rewrites it has moved
// the server's clock by the time the write returns. The server says at start when it is set
// (lib/boot.ts); unset, as in production, this is the system clock.

let offsetMs = 0;

export function now(): Date {
  return new Date(Date.now() + offsetMs + fileOffsetMs());
}

function fileOffsetMs(): number {
  const path = env().LATCHKEY_TEST_CLOCK_FILE;
  if (!path) return 0;
  try {
    const seconds = Number(readFileSync(path, "utf8").trim() || "0");
    return Number.isFinite(seconds) ? seconds * 1000 : 0;
  } catch {
    return 0;
  }
}

/** For tests: moves this process's clock `ms` ahead of the system's (0 puts it back). */
export function setClockOffsetForTests(ms: number): void {
  offsetMs = ms;
}
