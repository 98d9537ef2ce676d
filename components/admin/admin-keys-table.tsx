"use client";

import { useMemo, useRef, useState } from "react";
import { Download, KeyRound } from "lucide-react";
import { toast } from "sonner";
import { bulkDisableKeysAction, bulkRevokeKeysAction } from "@/lib/admin/keys-actions";
import { createDataTableColumnHelper, DataTable, DataTableColumnHeader, type DataTableRowSelection } from "@/components/data-table";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { RevocationReasonField, useRevocationChoice } from "@/components/api-keys/revocation-reason-field";
import { Badge, type BadgeVariant } from "@/components/ui/badge";
import { Button, buttonVariants } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import type { AdminKeyRow, BulkKeyOutcome, WorkspaceOption } from "@/lib/admin/keys";
import type { ApiKeyState } from "@/lib/api-keys/core";
import { ADMIN_KEY_FILTER_PARAMS, ADMIN_KEY_STATE_LABELS, ADMIN_KEY_STATES } from "@/lib/admin/params";
import { ANY, FilterCheckbox, FilterForm, FilterInput, FilterSelect } from "./filter-form";

const col = createDataTableColumnHelper<AdminKeyRow>();

const STATE_BADGE: Record<ApiKeyState, { label: string; variant: BadgeVariant }> = {
  active: { label: "Active", variant: "success" },
  disabled: { label: "Disabled", variant: "secondary" },
  expired: { label: "Expired", variant: "warning" },
  revoked: { label: "Revoked", variant: "destructive" },
};

// Module-level: the DataTable wants stable column and label identities.
const columns = col.columns([
  col.accessor("name", {
    id: "name",
    header: ({ column }) => <DataTableColumnHeader column={column} title="Name" />,
    cell: ({ row }) => (
      <span className="block max-w-56 truncate font-medium" title={row.original.name}>
        {row.original.name}
      </span>
    ),
  }),
  col.accessor("workspaceName", {
    id: "workspace",
    header: ({ column }) => <DataTableColumnHeader column={column} title="Workspace" />,
    cell: ({ row }) => (
      <span className="block max-w-40 truncate" title={`${row.original.workspaceName} (${row.original.workspaceSlug})`}>
        {row.original.workspaceName}
      </span>
    ),
  }),
  col.accessor("kind", {
    id: "kind",
    header: "Kind",
    enableSorting: false,
    cell: ({ getValue }) => <span className="text-muted-foreground">{getValue() === "personal" ? "Personal token" : "Workspace key"}</span>,
  }),
  col.accessor("ownerEmail", {
    id: "owner",
    header: ({ column }) => <DataTableColumnHeader column={column} title="Owner" />,
    cell: ({ row }) =>
      row.original.ownerId ? (
        <div className="max-w-52 leading-tight">
          <span className="block truncate" title={row.original.ownerName ?? undefined}>
            {row.original.ownerName}
          </span>
          <span className="block truncate text-xs text-muted-foreground" title={row.original.ownerEmail ?? undefined}>
            {row.original.ownerEmail}
          </span>
        </div>
      ) : (
        <Badge variant="outline">Service key</Badge>
      ),
  }),
  col.accessor("prefix", {
    id: "prefix",
    header: "Key",
    enableSorting: false,
    cell: ({ getValue }) => <code className="font-mono text-xs whitespace-nowrap">{getValue()}</code>,
  }),
  col.accessor("state", {
    id: "state",
    header: "State",
    enableSorting: false,
    cell: ({ getValue }) => {
      const badge = STATE_BADGE[getValue()];
      return <Badge variant={badge.variant}>{badge.label}</Badge>;
    },
  }),
  col.accessor("createdAt", {
    id: "created",
    header: ({ column }) => <DataTableColumnHeader column={column} title="Created" />,
    cell: ({ getValue }) => <RelativeTime value={getValue()} />,
  }),
  col.accessor("expiresAt", {
    id: "expires",
    header: ({ column }) => <DataTableColumnHeader column={column} title="Expires" />,
    cell: ({ getValue }) => <RelativeTime value={getValue()} />,
  }),
  col.accessor("lastUsedAt", {
    id: "lastUsed",
    header: ({ column }) => <DataTableColumnHeader column={column} title="Last used" />,
    cell: ({ getValue }) => <RelativeTime value={getValue()} />,
  }),
]);

const canSelect = (row: AdminKeyRow) => row.state !== "revoked";
const selectionLabel = (row: AdminKeyRow) => `Select ${row.name} (${row.workspaceName})`;

export interface AdminKeysTableProps {
  rows: AdminKeyRow[];
  total: number;
  workspaces: WorkspaceOption[];
  /** The filter params as they are in the URL, to fill the toolbar. */
  values: Record<string, string>;
  /** Filters that were ignored because their value was invalid. */
  errors: Record<string, string>;
  exportHref: string;
  filtered: boolean;
}

type Operation = "disable" | "revoke";
const plural = (n: number, word = "key") => `${n} ${word}${n === 1 ? "" : "s"}`;

export function AdminKeysTable({ rows, total, workspaces, values, errors, exportHref, filtered }: AdminKeysTableProps) {
  const [selection, setSelection] = useState<DataTableRowSelection>({});
  const [confirming, setConfirming] = useState<Operation | null>(null);
  const why = useRevocationChoice();
  // The dialog has no Radix trigger: focus goes back to the button that opened it by hand.
  const opener = useRef<HTMLButtonElement | null>(null);

  // Only rows on screen count: after a refresh a selected id may be gone (revoked, filtered out).
  const selected = useMemo(() => rows.filter((r) => selection[r.id] && canSelect(r)), [rows, selection]);
  const selectedTokens = selected.filter((r) => r.kind === "personal").length;

  const open = (operation: Operation, button: HTMLButtonElement) => {
    if (selected.length === 0) return;
    opener.current = button;
    setConfirming(operation);
  };

  const workspaceOptions = useMemo(
    () => [{ value: ANY, label: "All workspaces" }, ...workspaces.map((w) => ({ value: w.slug, label: w.name }))],
    [workspaces],
  );
  const stateOptions = ADMIN_KEY_STATES.map((s) => ({ value: s, label: ADMIN_KEY_STATE_LABELS[s] }));

  async function run(operation: Operation): Promise<string | void> {
    const result = await (operation === "revoke"
      ? bulkRevokeKeysAction(
          selected.map((r) => r.id),
          why.input,
        )
      : bulkDisableKeysAction(selected.map((r) => r.id)));
    if (!result.ok) {
      why.setErrors(result.fieldErrors);
      return result.error;
    }
    why.reset();
    setSelection({});
    announce(operation, result.data);
  }

  const toolbar = (
    <div className="grid gap-3">
      <FilterForm
        label="Filter keys"
        names={ADMIN_KEY_FILTER_PARAMS}
        defaults={{ state: "live" }}
        onNavigate={() => setSelection({})}
        actions={
          <a href={exportHref} className={buttonVariants({ variant: "outline", size: "sm" })} download>
            <Download aria-hidden="true" />
            Export CSV
          </a>
        }
      >
        <FilterInput name="q" label="Search name or key prefix" placeholder="Starts with…" defaultValue={values.q} error={errors.q} type="search" />
        <FilterSelect name="workspace" label="Workspace" options={workspaceOptions} defaultValue={values.workspace || ANY} error={errors.workspace} />
        <FilterInput name="owner" label="Owner email" placeholder="e.g. ada@" defaultValue={values.owner} error={errors.owner} type="search" />
        <FilterSelect name="state" label="State" options={stateOptions} defaultValue={values.state || "live"} error={errors.state} />
        <FilterInput
          name="expiringWithin"
          label="Expiring within (days)"
          inputMode="numeric"
          type="number"
          min={1}
          max={3650}
          defaultValue={values.expiringWithin}
          error={errors.expiringWithin}
        />
        <FilterInput
          name="idleFor"
          label="Idle for (days)"
          inputMode="numeric"
          type="number"
          min={1}
          max={3650}
          defaultValue={values.idleFor}
          error={errors.idleFor}
        />
        <div className="flex flex-wrap items-end gap-x-5 gap-y-2 pb-1.5 sm:col-span-2">
          <FilterCheckbox name="neverUsed" label="Never used" defaultChecked={values.neverUsed === "1"} />
          <FilterCheckbox name="noExpiry" label="No expiry" defaultChecked={values.noExpiry === "1"} />
        </div>
      </FilterForm>
      <div className="flex min-h-8 flex-wrap items-center gap-2" aria-live="polite">
        <p className="mr-auto text-sm text-muted-foreground tabular-nums">
          {selected.length > 0 ? `${plural(selected.length)} selected` : "Select keys to disable or revoke them together."}
        </p>
        {selected.length > 0 ? (
          <Button variant="ghost" size="sm" onClick={() => setSelection({})}>
            Clear selection
          </Button>
        ) : null}
        {/* aria-disabled, not disabled: after a bulk action the button keeps keyboard focus. */}
        <Button variant="outline" size="sm" aria-disabled={selected.length === 0 || undefined} onClick={(e) => open("disable", e.currentTarget)}>
          Disable selected
        </Button>
        <Button
          variant="outline"
          size="sm"
          className="text-destructive hover:text-destructive"
          aria-disabled={selected.length === 0 || undefined}
          onClick={(e) => open("revoke", e.currentTarget)}
        >
          Revoke selected
        </Button>
      </div>
    </div>
  );

  return (
    <>
      <DataTable
        columns={columns}
        data={rows}
        rowCount={total}
        ariaLabel="All API keys"
        defaultSort={{ id: "created", dir: "desc" }}
        toolbar={toolbar}
        enableRowSelection={canSelect}
        getRowSelectionLabel={selectionLabel}
        rowSelection={selection}
        onRowSelectionChange={setSelection}
        emptyState={
          <div className="flex flex-col items-center gap-2 py-10 text-center">
            <KeyRound aria-hidden="true" className="size-8 text-muted-foreground" />
            {filtered ? (
              <>
                <p className="font-medium">No keys match these filters</p>
                <p className="max-w-sm text-sm text-muted-foreground">Loosen a filter, or Reset them to see every live key.</p>
              </>
            ) : (
              <>
                <p className="font-medium">No API keys in any workspace yet</p>
                <p className="max-w-sm text-sm text-muted-foreground">
                  Keys appear here as soon as a workspace Admin creates one on a workspace&apos;s API tab.
                </p>
              </>
            )}
          </div>
        }
      />
      <ConfirmDialog
        open={confirming !== null}
        onOpenChange={(open) => {
          if (open) return;
          setConfirming(null);
          why.reset();
        }}
        onCloseAutoFocus={(event) => {
          event.preventDefault();
          opener.current?.focus();
        }}
        title={`${confirming === "revoke" ? "Revoke" : "Disable"} ${plural(selected.length)}?`}
        description={
          confirming === "revoke"
            ? "Integrations using these keys will be refused from their next request. Revoking is permanent: the keys cannot be restored, though they stay in the audit log."
            : "Integrations using these keys will be refused until a workspace Admin enables them again on the workspace's API tab."
        }
        confirmLabel={`${confirming === "revoke" ? "Revoke" : "Disable"} ${plural(selected.length)}`}
        pendingLabel={confirming === "revoke" ? "Revoking…" : "Disabling…"}
        disabled={selected.length === 0 || (confirming === "revoke" && !why.complete)}
        onConfirm={() => (confirming ? run(confirming) : Promise.resolve())}
      >
        <ul className="grid max-h-40 list-disc gap-0.5 overflow-y-auto pl-5 text-sm">
          {selected.slice(0, 8).map((r) => (
            <li key={r.id} className="break-words">
              <span className="font-medium">{r.name}</span> <span className="text-muted-foreground">· {r.workspaceName}</span>
            </li>
          ))}
          {selected.length > 8 ? <li className="text-muted-foreground">and {selected.length - 8} more</li> : null}
        </ul>
        {confirming === "revoke" ? (
          <RevocationReasonField id="bulk-revoke-reason" value={why.choice} onChange={why.setChoice} errors={why.errors} />
        ) : null}
        {confirming === "disable" && selectedTokens > 0 ? (
          <p className="text-sm text-muted-foreground">
            {plural(selectedTokens, "personal token")} will be left as {selectedTokens === 1 ? "it is" : "they are"}: tokens cannot be disabled, only
            revoked.
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}

function announce(operation: Operation, outcome: BulkKeyOutcome) {
  const verb = operation === "revoke" ? "Revoked" : "Disabled";
  const done = `${verb} ${plural(outcome.changed)}.`;
  if (outcome.skipped.length === 0) {
    toast.success(done);
    return;
  }
  const reasons = [...new Set(outcome.skipped.map((s) => s.reason))].join(" ");
  const skipped = `${plural(outcome.skipped.length)} left unchanged: ${reasons}`;
  if (outcome.changed > 0) toast.success(done, { description: skipped });
  else toast.warning(`Nothing changed. ${skipped}`);
}
