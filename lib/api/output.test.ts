import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { outputResponse } from "./handler";

// Every answer's data passes its operation's strict output schema before it is sent; a read
// remembers the texts its schema accepted, so the same answer again skips the check. What must
// hold: a refused answer is refused every time, and what a remembered text is sent with (its
// status, its Location) is what the check gave it the first time.
describe("the output check", () => {
  const op = {
    id: "outputCheckTest",
    status: 200,
    output: { component: "T", schema: z.object({ id: z.string(), n: z.number() }).strict(), example: { id: "a", n: 1 } },
    location: (data: unknown) => `/things/${(data as { id: string }).id}`,
  };

  it("answers an accepted text the same way the second time", () => {
    const first = outputResponse(op, { id: "x1", n: 1 }, true);
    const again = outputResponse(op, { id: "x1", n: 1 }, true);
    expect(again).toEqual(first);
    expect(again.headers.location).toBe("/things/x1");
    expect(JSON.parse(again.text!)).toEqual({ success: true, hasError: false, statusCode: "OK", data: { id: "x1", n: 1 } });
  });

  it("refuses an undocumented field every time, remembered or not, without saying its value", () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      for (const repeats of [true, true, false])
        expect(() => outputResponse(op, { id: "x2", n: 2, hash: "sekrit" }, repeats)).toThrow("outputCheckTest: output refused");
      expect(errors.mock.calls.flat().join(" ")).not.toContain("sekrit");
      // The same data without the field is fine, and a field refused once stays refused after.
      expect(outputResponse(op, { id: "x2", n: 2 }, true).status).toBe(200);
      expect(() => outputResponse(op, { id: "x2", n: 2, hash: "sekrit" }, true)).toThrow("output refused");
    } finally {
      errors.mockRestore();
    }
  });
});
