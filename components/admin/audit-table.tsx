"use client";

import { useMemo } from "react";
import { Download, ScrollText } from "lucide-react";
import { createDataTableColumnHelper, DataTable, DataTableColumnHeader, type DataTableColumnDef } from "@/components/data-table";
import { buttonVariants } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import type { WorkspaceOption } from "@/lib/admin/keys";
import { auditActionLabel, describeActor, describeRevocationReason, describeTarget, formatChanges } from "@/lib/audit/format";
import type { AuditEventRow } from "@/lib/audit/list";
import { AUDIT_FILTER_PARAMS } from "@/lib/admin/params";
import { ANY, FilterForm, FilterInput, FilterSelect } from "./filter-form";

const col = createDataTableColumnHelper<AuditEventRow>();

const timeColumn = col.accessor("createdAt", {
  id: "time",
  header: ({ column }) => <DataTableColumnHeader column={column} title="Time" />,
  cell: ({ getValue }) => <RelativeTime value={getValue()} />,
});

const workspaceColumn = col.accessor("workspaceName", {
  id: "workspace",
  header: "Workspace",
  enableSorting: false,
  cell: ({ row }) => (
    <span className="block max-w-36 truncate" title={row.original.workspaceName ?? undefined}>
      {row.original.workspaceName ?? "—"}
    </span>
  ),
});

const restColumns = col.columns([
  col.accessor("actorEmail", {
    id: "actor",
    header: "Actor",
    enableSorting: false,
    cell: ({ row }) => {
      const who = describeActor(row.original);
      return (
        <div className="max-w-52 leading-tight">
          <span className={row.original.actorApiKeyId ? "block truncate font-mono text-xs" : "block truncate"} title={who.primary}>
            {who.primary}
          </span>
          {who.secondary ? (
            <span className="block truncate text-xs text-muted-foreground" title={who.secondary}>
              {who.secondary}
            </span>
          ) : null}
        </div>
      );
    },
  }),
  col.accessor("action", {
    id: "action",
    header: "Action",
    enableSorting: false,
    cell: ({ getValue }) => (
      <div className="leading-tight">
        <span className="block font-medium">{auditActionLabel(getValue())}</span>
        <code className="block font-mono text-[11px] text-muted-foreground">{getValue()}</code>
      </div>
    ),
  }),
  col.accessor("targetName", {
    id: "target",
    header: "Target",
    enableSorting: false,
    cell: ({ row }) => {
      const target = describeTarget(row.original);
      return target ? (
        <span className="block max-w-48 truncate" title={target}>
          {target}
        </span>
      ) : (
        <span className="text-muted-foreground">—</span>
      );
    },
  }),
  col.accessor("metadata", {
    id: "reason",
    header: "Reason",
    enableSorting: false,
    cell: ({ row }) => {
      const reason = describeRevocationReason(row.original);
      return reason ? <span className="block max-w-48 break-words">{reason}</span> : <span className="text-muted-foreground">—</span>;
    },
  }),
  col.accessor("changes", {
    id: "changes",
    header: "Changes",
    enableSorting: false,
    cell: ({ getValue }) => {
      const lines = formatChanges(getValue());
      if (lines.length === 0) return <span className="text-muted-foreground">—</span>;
      return (
        <ul className="grid max-w-sm min-w-48 gap-0.5 font-mono text-xs whitespace-normal">
          {lines.map((line) => (
            <li key={line} className="break-words">
              {line}
            </li>
          ))}
        </ul>
      );
    },
  }),
  col.accessor("ip", {
    id: "ip",
    header: "IP",
    enableSorting: false,
    cell: ({ row }) =>
      row.original.ip ? (
        <span className="font-mono text-xs" title={row.original.userAgent ?? undefined}>
          {row.original.ip}
        </span>
      ) : (
        <span className="text-muted-foreground">—</span>
      ),
  }),
]);

const globalColumns: DataTableColumnDef<AuditEventRow>[] = [timeColumn, workspaceColumn, ...restColumns];
const workspaceColumns: DataTableColumnDef<AuditEventRow>[] = [timeColumn, ...restColumns];

export interface AuditTableProps {
  rows: AuditEventRow[];
  total: number;
  /** Workspaces for the filter and the column; null on a workspace's own audit page. */
  workspaces: WorkspaceOption[] | null;
  /** The recorded action names, for the filter (passed in: the list lives with the server code). */
  actions: readonly string[];
  values: Record<string, string>;
  errors: Record<string, string>;
  exportHref: string;
  filtered: boolean;
}

export function AuditTable({ rows, total, workspaces, actions, values, errors, exportHref, filtered }: AuditTableProps) {
  const global = workspaces !== null;
  const names = useMemo(() => AUDIT_FILTER_PARAMS.filter((n) => global || n !== "workspace"), [global]);
  const workspaceOptions = useMemo(
    () => [{ value: ANY, label: "All workspaces" }, ...(workspaces ?? []).map((w) => ({ value: w.slug, label: w.name }))],
    [workspaces],
  );
  const actionOptions = useMemo(
    () => [{ value: ANY, label: "All actions" }, ...actions.map((a) => ({ value: a, label: auditActionLabel(a) }))],
    [actions],
  );

  const toolbar = (
    <FilterForm
      label="Filter audit events"
      names={names}
      gridClassName={global ? "lg:grid-cols-3 xl:grid-cols-6" : "lg:grid-cols-5"}
      actions={
        <a href={exportHref} className={buttonVariants({ variant: "outline", size: "sm" })} download>
          <Download aria-hidden="true" />
          Export CSV
        </a>
      }
    >
      {global ? (
        <FilterSelect name="workspace" label="Workspace" options={workspaceOptions} defaultValue={values.workspace || ANY} error={errors.workspace} />
      ) : null}
      <FilterInput name="actor" label="Actor email" placeholder="e.g. ada@" type="search" defaultValue={values.actor} error={errors.actor} />
      <FilterSelect name="action" label="Action" options={actionOptions} defaultValue={values.action || ANY} error={errors.action} />
      <FilterInput name="key" label="Key name, prefix or id" placeholder="Starts with…" type="search" defaultValue={values.key} error={errors.key} />
      <FilterInput name="from" label="From (UTC day)" type="date" defaultValue={values.from} error={errors.from} />
      <FilterInput name="to" label="To (UTC day)" type="date" defaultValue={values.to} error={errors.to} />
    </FilterForm>
  );

  return (
    <DataTable
      columns={global ? globalColumns : workspaceColumns}
      data={rows}
      rowCount={total}
      ariaLabel="Audit events"
      defaultSort={{ id: "time", dir: "desc" }}
      toolbar={toolbar}
      emptyState={
        <div className="flex flex-col items-center gap-2 py-10 text-center">
          <ScrollText aria-hidden="true" className="size-8 text-muted-foreground" />
          {filtered ? (
            <>
              <p className="font-medium">No audit events match these filters</p>
              <p className="max-w-sm text-sm text-muted-foreground">Widen the time range or Reset the filters.</p>
            </>
          ) : (
            <>
              <p className="font-medium">Nothing has been recorded yet</p>
              <p className="max-w-sm text-sm text-muted-foreground">
                Creating, changing or revoking a key, and changing settings or members, each leave an event here.
              </p>
            </>
          )}
        </div>
      }
    />
  );
}
