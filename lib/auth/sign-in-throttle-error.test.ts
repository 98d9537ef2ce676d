import { CredentialsSignin } from "@auth/core/errors";
import { describe, expect, it } from "vitest";
import { SignInThrottled, throttledMessageOf } from "./sign-in-throttle-error";

describe("throttledMessageOf", () => {
  it("turns authorize's throttle refusal into the form's sentence, and nothing else", () => {
    const err = new SignInThrottled(125);
    expect(err).toBeInstanceOf(CredentialsSignin);
    expect(err.code).toBe("throttled");
    expect(throttledMessageOf(err)).toBe("Too many attempts; try again in 3 minutes.");
    expect(throttledMessageOf(new CredentialsSignin())).toBeNull();
    expect(throttledMessageOf(new Error("throttled"))).toBeNull();
    expect(throttledMessageOf(Object.assign(new Error("x"), { code: "throttled", retryAfterSeconds: 60 }))).toBeNull();
  });
});
