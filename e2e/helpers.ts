import fs from "node:fs";
import path from "node:path";

// What the specs share that is not a screen (the screens are in e2e/pages): the demo password,
// the secret format, the secret scan's record, and names no other run has used.

export const DEMO_PASSWORD = "latchkey-demo";
export const SECRET_RE = /^lk_[0-9A-Za-z]{38}$/;

/** Secrets and passwords the tests handle go to the secret scan (e2e/global-teardown.ts). */
export function recordSecret(secret: string): void {
  const dir = path.join(__dirname, "..", ".e2e");
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, "secrets.txt"), `${secret}\n`);
}

let seq = 0;
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
