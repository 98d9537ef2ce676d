import { vi } from "vitest";
import type { Db } from "@/db";

/**
 * How many queries `db` runs while `fn` runs, through the query builder (select) or as SQL text
 * (execute, as verification's lookup does): 0 means it was served from memory.
 */
export async function selectsDuring(db: Db, fn: () => Promise<unknown>): Promise<number> {
  const select = vi.spyOn(db, "select");
  const execute = vi.spyOn(db, "execute");
  try {
    await fn();
    return select.mock.calls.length + execute.mock.calls.length;
  } finally {
    select.mockRestore();
    execute.mockRestore();
  }
}
