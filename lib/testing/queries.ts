import { vi } from "vitest";
import type { Db } from "@/db";

/** How many queries (selects) `db` runs while `fn` runs: 0 means it was served from memory. */
export async function selectsDuring(db: Db, fn: () => Promise<unknown>): Promise<number> {
  const spy = vi.spyOn(db, "select");
  try {
    await fn();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}
