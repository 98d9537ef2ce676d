import { readFileSync, statSync } from "node:fs";
import { env } from "./env";

// The time that key rotation's overlaps, quiet windows and deadlines (and key expiry) are judged
// by. Tests move it instead of waiting hours: Vitest with setClockOffsetForTests, an end-to-end
// server through LATCHKEY_TEST_CLOCK_FILE, a file holding the seconds to add, read again when it
// changes (the spec writes it while the server runs). The server says at start when that file is
// set (lib/boot.ts); unset, as in production, this is the system clock.

let offsetMs = 0;
let file: { path: string; mtimeMs: number; offsetMs: number; checkedAt: number } | null = null;
/** How often the file is looked at: a spec that moves the clock waits at least this long. */
const FILE_CHECK_MS = 50;

export function now(): Date {
  return new Date(Date.now() + offsetMs + fileOffsetMs());
}

function fileOffsetMs(): number {
  const path = env().LATCHKEY_TEST_CLOCK_FILE;
  if (!path) return 0;
  const at = Date.now();
  if (file && file.path === path && at - file.checkedAt < FILE_CHECK_MS) return file.offsetMs;
  try {
    const { mtimeMs } = statSync(path);
    if (!file || file.path !== path || file.mtimeMs !== mtimeMs) {
      const seconds = Number(readFileSync(path, "utf8").trim() || "0");
      file = { path, mtimeMs, offsetMs: Number.isFinite(seconds) ? seconds * 1000 : 0, checkedAt: at };
    }
    file.checkedAt = at;
    return file.offsetMs;
  } catch {
    return 0;
  }
}

/** For tests: moves this process's clock `ms` ahead of the system's (0 puts it back). */
export function setClockOffsetForTests(ms: number): void {
  offsetMs = ms;
}
