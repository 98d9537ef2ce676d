import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase } from "@/db";

// The embedded database's shared buffers are WebAssembly memory resident for the process's life:
// the server opens it with 32 MB instead of PostgreSQL's 128 MB (db/index.ts), on a data
// directory and in memory alike, without writing the setting into the directory.
describe.runIf(!process.env.DATABASE_URL)("the embedded database's settings", () => {
  it("opens with 32 MB of shared buffers, in memory and on a data directory, and leaves postgresql.conf as initdb wrote it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-settings-"));
    try {
      for (const dataDir of ["memory", path.join(dir, "data")]) {
        const handle = await openDatabase({ dataDir, migrate: false });
        try {
          const result = (await handle.db.execute(sql`show shared_buffers`)) as unknown as { rows: { shared_buffers: string }[] };
          expect(result.rows[0].shared_buffers).toBe("32MB");
        } finally {
          await handle.close();
        }
      }
      expect(fs.readFileSync(path.join(dir, "data", "postgresql.conf"), "utf8")).not.toMatch(/^shared_buffers\s*=\s*32MB/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
