// npm run user:create [-- --email you@example.com --name "Your Name"]
// Creates a Global Admin (the first user of a PostgreSQL install without demo data).
// The password is asked for, never taken from the command line (it would land in shell history).
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { defaultDataDir, openDatabase } from "@/db";
import { users } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";

const { values } = parseArgs({ options: { email: { type: "string" }, name: { type: "string" } } });

let muted = false;
const output = new Writable({
  write(chunk, _enc, cb) {
    if (!muted) process.stdout.write(chunk);
    cb();
  },
});
const rl = createInterface({ input: process.stdin, output, terminal: process.stdin.isTTY });
const lines = rl[Symbol.asyncIterator]();

async function ask(question: string, secret = false): Promise<string> {
  process.stdout.write(question);
  muted = secret;
  const { value, done } = await lines.next();
  muted = false;
  if (secret) process.stdout.write("\n");
  if (done) throw new Error("No input.");
  return String(value).trim();
}

async function main() {
  const email = z.email("That is not an email address.").parse(values.email ?? (await ask("Email: ")));
  const name = z
    .string()
    .trim()
    .min(1, "A name is required.")
    .max(100)
    .parse(values.name ?? (await ask("Name: ")));
  const password = await ask("Password (at least 12 characters): ", true);
  if (password.length < 12) throw new Error("The password must be at least 12 characters.");
  if (process.stdin.isTTY && (await ask("Repeat the password: ", true)) !== password) throw new Error("The passwords differ.");

  const { db, location, close } = await openDatabase({ url: process.env.DATABASE_URL || undefined, dataDir: defaultDataDir() });
  try {
    const [existing] = await db
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`);
    if (existing) throw new Error(`A user with the email ${email} already exists.`);
    await db.insert(users).values({ email, name, passwordHash: await hashPassword(password), isGlobalAdmin: true });
    console.log(`Created Global Admin ${email} in ${location}. Sign in at /login.`);
  } finally {
    await close();
  }
}

main()
  .catch((err: unknown) => {
    const message = err instanceof z.ZodError ? err.issues.map((i) => i.message).join(" ") : (err as Error).message;
    console.error(`user:create: ${message}`);
    process.exitCode = 1;
  })
  .finally(() => rl.close());
