import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AdminKeysTable } from "@/components/admin/admin-keys-table";
import { getDb } from "@/db";
import { filterValues } from "@/lib/admin/filter-values";
import { listAllKeys, listWorkspaceOptions } from "@/lib/admin/keys";
import { requireCurrentUser } from "@/lib/auth/current";
import { ADMIN_KEY_FILTER_PARAMS, adminKeyFiltersSchema, parseFiltersLeniently, searchParamsRecord } from "@/lib/validations/admin";

export const metadata: Metadata = { title: "All keys · Admin" };

export default async function AdminKeysPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireCurrentUser();
  // Not "forbidden": to anyone else this page does not exist.
  if (!user.isGlobalAdmin) notFound();

  const raw = searchParamsRecord(await searchParams);
  // A bad value drops that one filter (and says so) instead of failing the page.
  const { filters, errors } = parseFiltersLeniently(adminKeyFiltersSchema, raw);
  const db = await getDb();
  const [page, workspaces] = await Promise.all([listAllKeys(db, user, filters), listWorkspaceOptions(db, user)]);

  const { values, query: qs } = filterValues(raw, ADMIN_KEY_FILTER_PARAMS, errors);

  return (
    <section aria-labelledby="admin-keys-title" className="grid gap-4">
      <div>
        <h2 id="admin-keys-title" className="text-lg font-semibold">
          All keys
        </h2>
        <p className="max-w-prose text-sm text-muted-foreground">
          Every workspace key and personal token in every workspace. Revoked keys are hidden unless you filter by state.
        </p>
      </div>
      <AdminKeysTable
        rows={page.rows}
        total={page.total}
        workspaces={workspaces}
        values={values}
        errors={errors}
        exportHref={qs ? `/admin/keys/export?${qs}` : "/admin/keys/export"}
        filtered={qs !== ""}
      />
    </section>
  );
}
