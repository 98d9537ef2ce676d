import Link from "next/link";
import { connection } from "next/server";

export const metadata = { title: "Not found" };

// Rendered per request, not at build time: a prerendered page carries no CSP nonce, so under the
// console's policy (proxy.ts) none of its scripts would run.
export default async function NotFound() {
  await connection();
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-3 px-4 text-center">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <p className="text-sm text-muted-foreground">There is nothing at this address.</p>
      <Link href="/" className="text-sm underline underline-offset-4">
        Go to the console
      </Link>
    </main>
  );
}
