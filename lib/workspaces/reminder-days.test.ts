import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { auditEventsAfter, contextFor, lastAuditEventId, seedFixtures, snapshotOf } from "@/lib/testing/fixtures";
import { updateWorkspaceSettings } from "./core";

// A workspace's expiry reminder days: 1-3650, at most 5, each once; stored largest first; bad
// input is named on the field and changes nothing; only Admins may change them; audited.

let handle: OpenDatabase;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
});
afterAll(async () => {
  await handle.close();
});

describe("reminder days", () => {
  it("default to 14, 7 and 1, and are saved largest first with an audit event", async () => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    expect(ctx.workspace.reminderDays).toEqual([14, 7, 1]);
    const mark = await lastAuditEventId(db);
    const updated = await updateWorkspaceSettings(db, ctx, { reminderDays: [3, 30] });
    expect(updated.reminderDays).toEqual([30, 3]);
    const events = await auditEventsAfter(db, mark);
    expect(events.map((e) => [e.action, e.changes])).toEqual([["workspace.settings_updated", { reminderDays: { from: [14, 7, 1], to: [30, 3] } }]]);
    expect((await updateWorkspaceSettings(db, ctx, { reminderDays: [] })).reminderDays).toEqual([]);
  });

  it.each([
    [[0], "A reminder must be at least 1 day before expiry."],
    [[3651], "A reminder can be at most 3650 days (10 years) before expiry."],
    [[1.5], "Each reminder must be a whole number of days."],
    [[7, 7], "Each reminder day may appear only once."],
    [[1, 2, 3, 4, 5, 6], "Choose at most 5 reminders."],
    [[Number.NaN], "Each reminder must be a number of days."],
    ["14,7", "Reminders must be a list of days."],
  ])("refuses %j on the field, changing nothing", async (reminderDays, message) => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const before = await snapshotOf(db, { workspaces: true });
    await expect(updateWorkspaceSettings(db, ctx, { reminderDays })).rejects.toMatchObject({
      code: "validation",
      fieldErrors: { reminderDays: [message] },
    });
    expect(await snapshotOf(db, { workspaces: true })).toBe(before);
  });

  it("may be changed by a workspace's Admin only, and only in their workspace", async () => {
    const db = handle.db;
    const before = await snapshotOf(db, { workspaces: true });
    const manager = await contextFor(db, "manager@acme.test", "acme");
    await expect(updateWorkspaceSettings(db, manager, { reminderDays: [2] })).rejects.toMatchObject({ code: "forbidden" });
    // Globex's Admin changes Globex, never Acme.
    const globex = await contextFor(db, "admin@globex.test", "globex");
    await updateWorkspaceSettings(db, globex, { reminderDays: [2] });
    const acme = await contextFor(db, "admin@acme.test", "acme");
    expect(acme.workspace.reminderDays).toEqual(JSON.parse(before).w.find((w: { slug: string }) => w.slug === "acme").reminderDays);
  });
});
