import "server-only";
import { and, eq, inArray, isNull, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { apiKeys, keyReminders, memberships, notifications, users, type NotificationKind } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { now as clockNow } from "@/lib/clock";
import { env } from "@/lib/env";
import { AppError, isConnectionFailure } from "@/lib/errors";
import { queueEmails } from "@/lib/email/outbox";
import type { EmailMessage } from "@/lib/email/send";

// Expiry reminders: for each live key with an expiry, once per threshold of its workspace's
// reminder_days (and once when it has expired), a notification to each person who should act on
// it, an email through the outbox, and the audit event the webhooks read — all in one
// transaction with the claim row (key_reminders) that makes it happen once, however many
// instances run this at the same moment: the second claim of the same (key, threshold, expiry)
// waits for the first's commit and then inserts nothing.

const DAY_MS = 86_400_000;
/** A key that expired longer ago than this (the server was down, the feature is new) gets no "has expired" notice. */
const EXPIRED_LOOKBACK_DAYS = 7;
const PAGE_SIZE = 200;

interface DueRow {
  id: string;
  workspace_id: string;
  kind: "workspace" | "personal";
  name: string;
  owner_id: string | null;
  created_by_id: string | null;
  expires_at: Date | string;
  /** expires_at as PostgreSQL's text, which keeps its microseconds (a Date does not). */
  expires_exact: string;
  slug: string;
  workspace_name: string;
  due: number;
}

function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/**
 * Sends every reminder and expiry notice that is due at `now` and not sent yet; returns how many
 * (one per key and threshold, however many people it went to). A key whose several thresholds
 * are due at once (made 3 days before its expiry) gets only the smallest one's: one "expires in
 * 3 days", not three. Reads the keys a page at a time, in expiry order.
 */
export async function sendDueReminders(db: Db, now = clockNow(), opts: { pageSize?: number } = {}): Promise<{ sent: number }> {
  const at = now.toISOString();
  const pageSize = opts.pageSize ?? PAGE_SIZE;
  let cursor: { expiresExact: string; id: string } | null = null;
  let sent = 0;
  for (;;) {
    const page: DueRow[] = rowsOf<DueRow>(
      await db.execute(sql`
        select k.id, k.workspace_id, k.kind, k.name, k.owner_id, k.created_by_id, k.expires_at, k.expires_at::text as expires_exact,
          w.slug, w.name as workspace_name, d.due
        from api_keys k
        join workspaces w on w.id = k.workspace_id
        cross join lateral (
          select case when k.expires_at <= ${at}::timestamptz then 0
            else (select min(x) from unnest(w.reminder_days) x where k.expires_at <= ${at}::timestamptz + x * interval '1 day') end as due
        ) d
        where k.revoked_at is null
          and k.expires_at > ${at}::timestamptz - ${EXPIRED_LOOKBACK_DAYS} * interval '1 day'
          and k.expires_at <= ${at}::timestamptz
            + (select coalesce(max(x), 0) from workspaces, unnest(workspaces.reminder_days) x) * interval '1 day'
          and d.due is not null
          and not exists (
            select 1 from key_reminders r where r.api_key_id = k.id and r.days_before = d.due and r.expires_at = k.expires_at
          )
          ${cursor ? sql`and (k.expires_at, k.id) > (${cursor.expiresExact}::timestamptz, ${cursor.id}::uuid)` : sql``}
        order by k.expires_at, k.id
        limit ${pageSize}`),
    );
    for (const row of page) {
      try {
        if (await sendReminder(db, row, now)) sent++;
      } catch (err) {
        // The database gone ends the round (the next one starts over); anything else is this key's
        // alone, and must not hold back every key after it in expiry order, round after round.
        if (isConnectionFailure(err) || err instanceof AppError) throw err;
        console.error(`[reminders] key ${row.id}: ${(err as Error)?.name ?? "error"} ${(err as { code?: string })?.code ?? ""}`);
      }
    }
    if (page.length < pageSize) return { sent };
    const last = page[page.length - 1];
    cursor = { expiresExact: last.expires_exact, id: last.id };
  }
}

/** Claims and sends one reminder; false when another instance claimed it first or the key changed meanwhile. */
async function sendReminder(db: Db, row: DueRow, now: Date): Promise<boolean> {
  const expiresAt = new Date(row.expires_at);
  return db.transaction(async (tx) => {
    // Claimed only while the key is still live with the expiry the page read (to the microsecond,
    // hence the text): revoked or given another expiry meanwhile, it is not reminded about this one.
    const claimed = rowsOf<{ api_key_id: string }>(
      await tx.execute(sql`
        insert into ${keyReminders} (api_key_id, days_before, expires_at, sent_at)
        select id, ${row.due}, expires_at, ${now.toISOString()}::timestamptz from ${apiKeys}
        where id = ${row.id} and revoked_at is null and expires_at = ${row.expires_exact}::timestamptz
        on conflict do nothing
        returning api_key_id`),
    );
    if (claimed.length === 0) return false;

    const people = await keyRecipients(tx, row);
    const expired = row.due === 0;
    const kind: NotificationKind = expired ? "key_expired" : "key_expiring";
    const daysLeft = Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS));
    const text = describe(row, expiresAt, expired, daysLeft);
    if (people.length > 0) {
      await tx.insert(notifications).values(
        people.map((p) => ({
          userId: p.id,
          workspaceId: row.workspace_id,
          kind,
          apiKeyId: row.id,
          title: text.title,
          body: text.body,
          href: text.href,
          createdAt: now,
        })),
      );
      await queueEmails(
        tx,
        people.map((p) => emailFor(p, row, text, p.id === row.owner_id || p.id === row.created_by_id)),
        now,
      );
    }
    await recordAudit(
      tx,
      { userId: null, workspace: { id: row.workspace_id } },
      {
        action: expired ? "api_key.expired" : "api_key.expiring",
        apiKeyId: row.id,
        targetName: row.name,
        metadata: expired ? { expiresAt: expiresAt.toISOString() } : { daysBefore: row.due, daysLeft, expiresAt: expiresAt.toISOString() },
      },
    );
    return true;
  });
}

interface Recipient {
  id: string;
  email: string;
  name: string;
}

/**
 * Who is told: the key's owner and its creator, and for a workspace key the workspace's Admins;
 * each once, and only while they are still members and neither deleted nor disabled. A Global
 * Admin is told only as one of those. A personal token's reminder goes to the person it belongs
 * to (Admins never see someone's tokens, so a link to them would lead nowhere).
 */
/** Who is told about a key: its owner, its creator and (for a workspace key) the workspace's Admins, each once, while live members. */
export async function keyRecipients(tx: DbOrTx, row: Pick<DueRow, "workspace_id" | "kind" | "owner_id" | "created_by_id">): Promise<Recipient[]> {
  const named = [row.owner_id, row.created_by_id].filter((id): id is string => id !== null);
  const who = [named.length ? inArray(users.id, named) : null, row.kind === "workspace" ? eq(memberships.role, "admin") : null].filter(
    (c) => c !== null,
  );
  if (who.length === 0) return [];
  return tx
    .selectDistinct({ id: users.id, email: users.email, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, row.workspace_id), isNull(users.deletedAt), isNull(users.disabledAt), or(...who)))
    .orderBy(users.id);
}

interface Described {
  title: string;
  body: string;
  href: string;
  /** The sentence after "Your …" / "… in <workspace>" in an email's subject. */
  what: string;
}

/** Control characters out of a name before it goes into a title or an email header. */
export const clean = (name: string) => name.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();

const exactTime = (d: Date) => `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;

function describe(row: DueRow, expiresAt: Date, expired: boolean, daysLeft: number): Described {
  const noun = row.kind === "personal" ? "personal token" : "API key";
  const name = clean(row.name);
  const when = expired ? "has expired" : `expires in ${daysLeft} ${daysLeft === 1 ? "day" : "days"}`;
  const href = row.kind === "personal" ? `/w/${row.slug}/account/tokens` : `/w/${row.slug}/account/api/${row.id}`;
  const body = expired
    ? `The ${noun} "${name}" in ${clean(row.workspace_name)} expired on ${exactTime(expiresAt)} and is refused from then on. Create a new one for the integrations that used it.`
    : `The ${noun} "${name}" in ${clean(row.workspace_name)} expires on ${exactTime(expiresAt)}. Rotate it or set a later expiry before then so the integrations using it keep working.`;
  const title = `${noun[0].toUpperCase()}${noun.slice(1)} "${name}" ${when}`;
  return { title, body, href, what: `${noun} "${name}" ${when}` };
}

/** The console's address for a link in an email: the configured public address, else the path alone. */
export function consoleLink(href: string): string {
  const base = env().LATCHKEY_PUBLIC_URL ?? env().AUTH_URL;
  if (!base) return href;
  try {
    return new URL(href, new URL(base).origin).toString();
  } catch {
    return href;
  }
}

function emailFor(person: Recipient, row: DueRow, text: Described, theirs: boolean): EmailMessage {
  const subject = theirs ? `Your ${text.what}` : `${text.what[0].toUpperCase()}${text.what.slice(1)} (${clean(row.workspace_name)})`;
  const why = theirs ? "You are getting this because you own or created it." : `You are getting this as an Admin of ${clean(row.workspace_name)}.`;
  return {
    to: person.email,
    subject,
    text: `Hello ${clean(person.name)},\n\n${text.body}\n\nOpen it in Latchkey: ${consoleLink(text.href)}\n\n${why}\n`,
  };
}
