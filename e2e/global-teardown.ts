import fs from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";

// The secret scan (a secret exists in plaintext only in the create response and the show-once
// dialog; never in a log or an error). Every secret the tests were issued is in
// .e2e/secrets.txt; every API response they received, the create responses' new secrets
// redacted, is in .e2e/responses.log. None may appear in the server's log or in any response.
// Afterwards the two recordings are moved aside (*.last), so the next run starts clean and the
// evidence of this one is kept; nothing else is touched.

const DIR = path.join(__dirname, "..", ".e2e");
const SECRETS = path.join(DIR, "secrets.txt");
const RESPONSES = path.join(DIR, "responses.log");
const SERVER_LOG = path.join(DIR, "server.log");

const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
function base62(value: number): string {
  let n = value >>> 0;
  let out = "";
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(6, "0");
}

/** Any token in Latchkey's format with a correct checksum (what a secret scanner would flag). */
function wellFormedTokens(text: string): string[] {
  return [...text.matchAll(/lk_([0-9A-Za-z]{32})([0-9A-Za-z]{6})(?![0-9A-Za-z])/g)].filter((m) => base62(crc32(m[1])) === m[2]).map((m) => m[0]);
}

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;
const masked = (secret: string) => `${secret.slice(0, 11)}…`;

export default async function globalTeardown(): Promise<void> {
  const secrets = [
    ...new Set(
      read(SECRETS)
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const serverLog = read(SERVER_LOG);
  const responses = read(RESPONSES);
  const leaks: string[] = [];

  for (const secret of secrets) {
    if (serverLog.includes(secret)) leaks.push(`${masked(secret)} in .e2e/server.log line ${lineOf(serverLog, secret)}`);
    if (responses.includes(secret)) leaks.push(`${masked(secret)} in a recorded API response (.e2e/responses.log line ${lineOf(responses, secret)})`);
  }
  // The server should log no key at all, issued or merely presented to it.
  for (const token of new Set(wellFormedTokens(serverLog)))
    if (!secrets.includes(token)) leaks.push(`a well-formed key ${masked(token)} in .e2e/server.log line ${lineOf(serverLog, token)}`);

  for (const file of [SECRETS, RESPONSES]) if (fs.existsSync(file)) fs.renameSync(file, `${file}.last`);

  // The API specs are meant to exercise the production transport (lib/api/listener.ts): a
  // listener that failed to register would leave Next answering and every spec still green.
  // LATCHKEY_API_LISTENER=0 runs them through Next on purpose.
  if (serverLog && process.env.LATCHKEY_API_LISTENER !== "0") {
    const ready = serverLog.split("\n").find((l) => l.includes("Latchkey: ready on"));
    if (!ready || serverLog.includes("did not register") || ready.includes("LATCHKEY_API_LISTENER=0"))
      throw new Error(`The e2e server did not serve the REST API through its listener: ${ready ?? "no ready line in .e2e/server.log"}`);
  }

  if (leaks.length > 0)
    throw new Error(
      `Secret scan: ${leaks.length} leak(s) of ${secrets.length} issued secret(s):\n  ${leaks.join("\n  ")}\n` +
        "(see .e2e/secrets.txt.last and .e2e/responses.log.last)",
    );
  const recorded = responses.match(/^(GET|POST|PUT|PATCH|DELETE) \S+ → \d+$/gm)?.length ?? 0;
  console.log(`Secret scan: ${secrets.length} issued secret(s); none in the server log or in ${recorded} recorded API response(s).`);
}
