import type { Metadata } from "next";
import { KeysActingAsMe } from "@/components/account/keys-acting-as-me";
import { NotificationsList } from "@/components/account/notifications-list";
import { PasswordForm } from "@/components/account/password-form";
import { ProfileForm } from "@/components/account/profile-form";
import { SignOutEverywhere } from "@/components/account/sign-out-everywhere";
import { RelativeTime } from "@/components/ui/relative-time";
import { getDb } from "@/db";
import { getAccount, listKeysActingAs } from "@/lib/account/core";
import { requireCurrentUser } from "@/lib/auth/current";
import { listNotifications, NOTIFICATIONS_PAGE_SIZE } from "@/lib/notifications/core";

export const metadata: Metadata = { title: "Your account" };

function Section({ id, title, description, children }: { id: string; title: string; description: React.ReactNode; children: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="grid gap-4 border-t pt-6 md:grid-cols-[16rem_1fr] md:gap-8">
      <div>
        <h2 id={id} className="text-base font-semibold">
          {title}
        </h2>
        <p className="mt-1 text-sm text-muted-foreground">{description}</p>
      </div>
      <div className="min-w-0">{children}</div>
    </section>
  );
}

export default async function AccountPage() {
  const user = await requireCurrentUser();
  const db = await getDb();
  const actor = { userId: user.id, isGlobalAdmin: user.isGlobalAdmin };
  const [account, keys, notifications] = await Promise.all([
    getAccount(db, actor),
    listKeysActingAs(db, actor),
    listNotifications(db, actor, { limit: NOTIFICATIONS_PAGE_SIZE }),
  ]);
  return (
    <div className="grid gap-6">
      <div>
        <p className="text-sm text-muted-foreground">{account.isGlobalAdmin ? "Global Admin" : "Signed in"}</p>
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
      </div>
      <Section id="profile-title" title="Profile" description="How you appear in member lists and audit logs.">
        <div className="max-w-md">
          <ProfileForm name={account.name} email={account.email} />
        </div>
      </Section>
      <Section
        id="password-title"
        title="Password"
        description={
          <>
            Changing it signs you out everywhere else.
            {account.passwordChangedAt ? (
              <>
                {" "}
                Last changed <RelativeTime value={account.passwordChangedAt} />.
              </>
            ) : null}
          </>
        }
      >
        <div className="max-w-md">
          <PasswordForm email={account.email} />
        </div>
      </Section>
      <Section id="sessions-title" title="Sessions" description="Lost a laptop, or signed in on a shared computer? End every session at once.">
        <SignOutEverywhere />
      </Section>
      <Section
        id="keys-title"
        title="Keys that act as you"
        description="Every live workspace key and personal token, in any workspace, whose owner is you. Revoke any you do not recognise."
      >
        <KeysActingAsMe rows={keys} userId={user.id} />
      </Section>
      <Section
        id="notifications-title"
        title="Notifications"
        description="Expiry reminders and other notices about keys, newest first. Email copies go to your address when the server sends email."
      >
        <NotificationsList initial={notifications} pageSize={NOTIFICATIONS_PAGE_SIZE} />
      </Section>
    </div>
  );
}
