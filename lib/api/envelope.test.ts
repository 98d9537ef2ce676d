import { describe, expect, it } from "vitest";
import { DATABASE_UNAVAILABLE, databaseUnavailable, OUTCOME_UNKNOWN, outcomeUnknown } from "@/lib/errors";
import { errorResponse, toResponse, type ApiAnswer } from "./envelope";

// What a client reads when the database fails under a request: a 503 envelope that says whether
// anything changed and what to do next.
describe("database failures as envelopes", () => {
  const read = async (answer: ApiAnswer) => {
    const res = toResponse(answer, "GET");
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
  };

  it("a commit whose fate is unknown tells the client to retry with the same Idempotency-Key", async () => {
    expect(await read(errorResponse(outcomeUnknown()))).toEqual({
      status: 503,
      retryAfter: "5",
      body: {
        success: false,
        hasError: true,
        statusCode: "ServiceUnavailable",
        error: { message: OUTCOME_UNKNOWN, code: "outcome_unknown", technicalError: expect.stringContaining("same Idempotency-Key") },
      },
    });
  });

  it("an unreachable database, named or as the driver's own error, is 'nothing changed'", async () => {
    const expected = {
      status: 503,
      retryAfter: "5",
      body: {
        success: false,
        hasError: true,
        statusCode: "ServiceUnavailable",
        error: { message: DATABASE_UNAVAILABLE, code: "database_unavailable" },
      },
    };
    expect(await read(errorResponse(databaseUnavailable()))).toEqual(expected);
    expect(await read(errorResponse(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })))).toEqual(expected);
    expect(await read(errorResponse(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })))).toEqual(expected);
  });
});
