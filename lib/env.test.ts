import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkEnv, configurationTable, env, ENV_NAMES, EnvError, type EnvName } from "./env";

// Each case starts from an environment with none of Latchkey's variables set, whatever the
// developer's shell or CI exports (DATABASE_URL for the PostgreSQL run, CI, …).
beforeEach(() => {
  for (const name of ENV_NAMES) vi.stubEnv(name, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const set = (values: Partial<Record<EnvName, string>>) => {
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
};

describe("env()", () => {
  it("gives today's defaults when nothing is set", () => {
    checkEnv();
    expect({ ...env() }).toEqual({
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 10,
      DATABASE_CONNECT_TIMEOUT_SECONDS: 5,
      DATABASE_QUERY_TIMEOUT_SECONDS: 5,
      LATCHKEY_DATA_DIR: undefined,
      LATCHKEY_DEMO: undefined,
      AUTH_SECRET: undefined,
      AUTH_URL: undefined,
      LATCHKEY_PUBLIC_URL: undefined,
      PORT: 3000,
      LATCHKEY_DRAIN_SECONDS: 2,
      LATCHKEY_HOSTNAME: undefined,
      LATCHKEY_WORKERS: 1,
      LATCHKEY_API_LISTENER: undefined,
      LATCHKEY_AUTH_FAILURE_LIMIT: 20,
      LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS: 60,
      LATCHKEY_TRUSTED_PROXY_HOPS: 0,
      LATCHKEY_ACCESS_LOG_RETENTION_DAYS: 30,
      LATCHKEY_SMTP_URL: undefined,
      LATCHKEY_SMTP_FROM: "Latchkey <latchkey@localhost>",
      NODE_ENV: undefined,
      E2E_PORT: 3210,
      E2E_SERVER_LOG: undefined,
      PLAYWRIGHT_CHROMIUM_PATH: undefined,
      CI: undefined,
      FC_SEED: undefined,
      FC_RUNS: undefined,
      BENCH_ADMIN_URL: undefined,
    });
  });

  it("refuses an SMTP URL of another scheme without repeating it (it may hold the mail password)", () => {
    set({ LATCHKEY_SMTP_URL: "http://mailer:hunter2@127.0.0.1" });
    expect(() => env().LATCHKEY_SMTP_URL).toThrow("LATCHKEY_SMTP_URL must be an smtp:// or smtps:// URL");
    expect(() => env().LATCHKEY_SMTP_URL).not.toThrow(/hunter2/);
  });

  it("takes a From address with or without a name, and refuses one without an address", () => {
    set({ LATCHKEY_SMTP_FROM: "keys@example.com" });
    expect(env().LATCHKEY_SMTP_FROM).toBe("keys@example.com");
    set({ LATCHKEY_SMTP_FROM: "Key Bot <keys@example.com>" });
    expect(env().LATCHKEY_SMTP_FROM).toBe("Key Bot <keys@example.com>");
    set({ LATCHKEY_SMTP_FROM: "Key Bot" });
    expect(() => env().LATCHKEY_SMTP_FROM).toThrow(
      'LATCHKEY_SMTP_FROM must be an address, e.g. `Latchkey <keys@example.com>` or `keys@example.com` (got "Key Bot")',
    );
  });

  it("treats a blank value as unset", () => {
    set({ DATABASE_URL: "", LATCHKEY_TRUSTED_PROXY_HOPS: "  ", DATABASE_POOL_SIZE: "", LATCHKEY_DEMO: "", AUTH_SECRET: "" });
    checkEnv();
    expect(env().DATABASE_URL).toBeUndefined();
    expect(env().LATCHKEY_TRUSTED_PROXY_HOPS).toBe(0);
    expect(env().DATABASE_POOL_SIZE).toBe(10);
    expect(env().LATCHKEY_DEMO).toBeUndefined();
    expect(env().AUTH_SECRET).toBeUndefined();
  });

  it("parses what is set, and sees a value change after it was first read", () => {
    set({ LATCHKEY_TRUSTED_PROXY_HOPS: " 2 ", DATABASE_POOL_SIZE: "25", LATCHKEY_DEMO: "0", DATABASE_URL: "postgresql://u@127.0.0.1/db" });
    expect(env().LATCHKEY_TRUSTED_PROXY_HOPS).toBe(2);
    expect(env().DATABASE_POOL_SIZE).toBe(25);
    expect(env().LATCHKEY_DEMO).toBe("0");
    expect(env().DATABASE_URL).toBe("postgresql://u@127.0.0.1/db");
    set({ LATCHKEY_TRUSTED_PROXY_HOPS: "1" });
    expect(env().LATCHKEY_TRUSTED_PROXY_HOPS).toBe(1);
    vi.stubEnv("LATCHKEY_TRUSTED_PROXY_HOPS", undefined);
    expect(env().LATCHKEY_TRUSTED_PROXY_HOPS).toBe(0);
  });

  const invalid: [EnvName, string, string][] = [
    ["LATCHKEY_TRUSTED_PROXY_HOPS", "x", `LATCHKEY_TRUSTED_PROXY_HOPS must be a whole number from 0 to 99 (got "x")`],
    ["LATCHKEY_TRUSTED_PROXY_HOPS", "-1", `LATCHKEY_TRUSTED_PROXY_HOPS must be a whole number from 0 to 99 (got "-1")`],
    ["LATCHKEY_TRUSTED_PROXY_HOPS", "100", `LATCHKEY_TRUSTED_PROXY_HOPS must be a whole number from 0 to 99 (got "100")`],
    ["DATABASE_POOL_SIZE", "0", `DATABASE_POOL_SIZE must be a whole number from 1 to 1000 (got "0")`],
    ["DATABASE_POOL_SIZE", "ten", `DATABASE_POOL_SIZE must be a whole number from 1 to 1000 (got "ten")`],
    ["PORT", "65536", `PORT must be a whole number from 0 to 65535 (got "65536")`],
    ["LATCHKEY_AUTH_FAILURE_LIMIT", "2.5", `LATCHKEY_AUTH_FAILURE_LIMIT must be a whole number from 0 to 1000000000 (got "2.5")`],
    ["LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS", "0", `LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS must be a whole number from 1 to 604800 (got "0")`],
    ["LATCHKEY_ACCESS_LOG_RETENTION_DAYS", "30d", `LATCHKEY_ACCESS_LOG_RETENTION_DAYS must be a whole number from 1 to 36500 (got "30d")`],
    ["E2E_PORT", "abc", `E2E_PORT must be a whole number from 1 to 65535 (got "abc")`],
    ["LATCHKEY_DEMO", "yes", `LATCHKEY_DEMO must be "0" or "1" (got "yes")`],
    ["LATCHKEY_API_LISTENER", "off", `LATCHKEY_API_LISTENER must be "0" or "1" (got "off")`],
    ["NODE_ENV", "staging", `NODE_ENV must be one of "development", "production", "test" (got "staging")`],
    ["LATCHKEY_PUBLIC_URL", "javascript:alert(1)", `LATCHKEY_PUBLIC_URL must be an http:// or https:// URL (got "javascript:alert(1)")`],
    ["AUTH_URL", "keys.example.com", `AUTH_URL must be an http:// or https:// URL (got "keys.example.com")`],
    // A database URL can hold a password: the message never repeats the value.
    ["DATABASE_URL", "mysql://root:hunter2@db.internal/keys", "DATABASE_URL must be a postgres:// or postgresql:// URL"],
  ];

  it.each(invalid)("refuses %s=%j, naming the variable and what it accepts", (name, value, message) => {
    set({ [name]: value });
    expect(() => env()[name]).toThrow(new EnvError(message));
    expect(() => checkEnv()).toThrow(new EnvError(`Latchkey: invalid configuration.\n  ${message}`));
  });

  it("names every invalid variable at once when the server starts", () => {
    set({ PORT: "http", LATCHKEY_DEMO: "true", DATABASE_URL: "postgres://postgres:hunter2@127.0.0.1/latchkey", AUTH_SECRET: "s3cret" });
    let message = "";
    try {
      checkEnv();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      `Latchkey: invalid configuration.\n  LATCHKEY_DEMO must be "0" or "1" (got "true")\n  PORT must be a whole number from 0 to 65535 (got "http")`,
    );
  });
});

describe("the README's Configuration table", () => {
  it("lists exactly the schema's variables, with the schema's descriptions, in its order", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Configuration\n"));
    const table = section.slice(section.indexOf("\n| variable |") + 1).split("\n\n")[0];
    const documented = [...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(ENV_NAMES);
    // The whole table, so a description changed on one side only fails here too.
    expect(table).toBe(configurationTable());
  });
});
