import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { env } from "./env";

/**
 * AUTH_SECRET signs the session cookies. When it is absent we generate one into .env.local on
 * first run (never a hard-coded default), so restarts keep sessions valid.
 */
export function ensureAuthSecret(cwd = process.cwd()): "present" | "generated" {
  if (env().AUTH_SECRET) return "present";
  const file = path.join(cwd, ".env.local");
  const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const match = existing.match(/^AUTH_SECRET=(.+)$/m);
  if (match) {
    process.env.AUTH_SECRET = match[1].trim().replace(/^"|"$/g, "");
    return "present";
  }
  const secret = randomBytes(32).toString("base64url");
  fs.appendFileSync(file, `${existing && !existing.endsWith("\n") ? "\n" : ""}AUTH_SECRET=${secret}\n`, { mode: 0o600 });
  process.env.AUTH_SECRET = secret;
  return "generated";
}
