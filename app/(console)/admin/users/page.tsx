import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { UsersTable } from "@/components/admin/users/users-table";
import { getDb } from "@/db";
import { filterValues } from "@/lib/admin/filter-values";
import { adminUserFiltersSchema, listUsers, listWorkspaceChoices } from "@/lib/admin/users";
import { ADMIN_USER_FILTER_PARAMS } from "@/lib/admin/users-params";
import { requireCurrentUser } from "@/lib/auth/current";
import { parseFiltersLeniently, searchParamsRecord } from "@/lib/validations/admin";

export const metadata: Metadata = { title: "Users · Admin" };

export default async function AdminUsersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireCurrentUser();
  // Not "forbidden": to anyone else this page does not exist.
  if (!user.isGlobalAdmin) notFound();

  const raw = searchParamsRecord(await searchParams);
  const { filters, errors } = parseFiltersLeniently(adminUserFiltersSchema, raw);
  const db = await getDb();
  const [page, workspaces] = await Promise.all([listUsers(db, user, filters), listWorkspaceChoices(db, user)]);
  const { values, query } = filterValues(raw, ADMIN_USER_FILTER_PARAMS, errors);

  return (
    <section aria-labelledby="admin-users-title" className="grid gap-4">
      <div>
        <h2 id="admin-users-title" className="text-lg font-semibold">
          Users
        </h2>
        <p className="max-w-prose text-sm text-muted-foreground">
          Everyone who can sign in to Latchkey. Disabling a user ends their sessions and stops their keys until you re-enable them.
        </p>
      </div>
      <UsersTable
        rows={page.rows}
        total={page.total}
        workspaces={workspaces}
        values={values}
        errors={errors}
        filtered={query !== ""}
        currentUserId={user.id}
      />
    </section>
  );
}
