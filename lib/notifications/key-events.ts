import "server-only";
import type { DbOrTx } from "@/db";
import { notifications, type NotificationKind } from "@/db/schema";
import { queueEmails } from "@/lib/email/outbox";
import { clean, consoleLink, keyRecipients } from "@/lib/reminders/run";

/** The key an event is about, as the notifications name and link it. */
export interface NotifiedKey {
  id: string;
  name: string;
  kind: "workspace" | "personal";
  ownerId: string | null;
  createdById: string | null;
}

/**
 * Tells the people who should act on a key (its owner, its creator and, for a workspace key, the
 * workspace's Admins: each once, while live members) in the console's notifications and, when
 * email is configured, by email: in the caller's transaction, so the event and the telling commit
 * together. `title` and `body` name the key; neither may hold a secret.
 */
export async function notifyAboutKey(
  tx: DbOrTx,
  key: NotifiedKey,
  workspace: { id: string; slug: string; name: string },
  message: { kind: NotificationKind; title: string; body: string; subject: string },
): Promise<number> {
  const people = await keyRecipients(tx, { workspace_id: workspace.id, kind: key.kind, owner_id: key.ownerId, created_by_id: key.createdById });
  if (people.length === 0) return 0;
  const href = key.kind === "personal" ? `/w/${workspace.slug}/account/tokens` : `/w/${workspace.slug}/account/api/${key.id}`;
  await tx.insert(notifications).values(
    people.map((p) => ({
      userId: p.id,
      workspaceId: workspace.id,
      kind: message.kind,
      apiKeyId: key.id,
      title: message.title,
      body: message.body,
      href,
    })),
  );
  await queueEmails(
    tx,
    people.map((p) => ({
      to: p.email,
      subject: `${message.subject} (${clean(workspace.name)})`,
      text: `Hello ${clean(p.name)},\n\n${message.body}\n\nOpen it in Latchkey: ${consoleLink(href)}\n\nYou are getting this as its owner, its creator or an Admin of ${clean(workspace.name)}.\n`,
    })),
  );
  return people.length;
}
