"use client";

import { useMemo, useOptimistic, useTransition } from "react";
import Link from "next/link";
import { KeyRound, Network, Pencil, RotateCw } from "lucide-react";
import { toast } from "sonner";
import { updateApiKeyAction } from "@/lib/api-keys/actions";
import { createDataTableColumnHelper, DataTable, DataTableColumnHeader } from "@/components/data-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { RelativeTime } from "@/components/ui/relative-time";
import { Switch } from "@/components/ui/switch";
import type { ApiKeyView } from "@/lib/api-keys/core";
import { API_KEY_LIST_STATES, API_KEY_SCOPES, EXPIRING_SOON_DAYS } from "@/lib/validations/api-keys";
import { FilterForm, FilterSelect } from "@/components/admin/filter-form";

const col = createDataTableColumnHelper<ApiKeyView>();

export interface RowActions {
  slug: string;
  onEdit: (key: ApiKeyView) => void;
  onRevoke: (key: ApiKeyView) => void;
  onRotate: (key: ApiKeyView) => void;
}

/** A per-row flag (Enabled, Bearer token) saved at once, shown optimistically, reverted with a toast on error. */
function useKeyFlag(slug: string, key: ApiKeyView, field: "enabled" | "bearerAllowed") {
  const [value, setOptimistic] = useOptimistic(key[field]);
  const [pending, startTransition] = useTransition();
  const set = (next: boolean) =>
    startTransition(async () => {
      setOptimistic(next);
      const result = await updateApiKeyAction(slug, key.id, { [field]: next });
      if (!result.ok) toast.error(result.error);
      else if (field === "enabled") toast.success(`${next ? "Enabled" : "Disabled"} “${key.name}”.`);
      else toast.success(`Bearer token ${next ? "allowed" : "no longer accepted"} for “${key.name}”.`);
    });
  return [value, set, pending] as const;
}

function EnabledCell({ slug, apiKey }: { slug: string; apiKey: ApiKeyView }) {
  const [value, set, pending] = useKeyFlag(slug, apiKey, "enabled");
  return <Switch checked={value} onCheckedChange={set} disabled={pending} aria-label="Enabled" aria-describedby={`key-name-${apiKey.id}`} />;
}

function BearerCell({ slug, apiKey }: { slug: string; apiKey: ApiKeyView }) {
  const [value, set, pending] = useKeyFlag(slug, apiKey, "bearerAllowed");
  return (
    <Checkbox
      checked={value}
      onCheckedChange={(v) => set(v === true)}
      disabled={pending}
      aria-label="Bearer token"
      aria-describedby={`key-name-${apiKey.id}`}
    />
  );
}

/**
 * A badge for a live key that expires within EXPIRING_SOON_DAYS days: time to rotate or extend it.
 * Counted from when the server rendered the page, so server and hydration render the same.
 */
function ExpiringSoon({ expiresAt, now }: { expiresAt: Date | null; now: number }) {
  if (!expiresAt) return null;
  const left = new Date(expiresAt).getTime() - now;
  if (left <= 0 || left > EXPIRING_SOON_DAYS * DAY_MS) return null;
  // Beside the relative time ("in 7 days"), which already says how long: this only says it is soon.
  return (
    <Badge variant="warning" title={`Expires within ${EXPIRING_SOON_DAYS} days: rotate it or extend it before then.`}>
      Expiring soon
    </Badge>
  );
}

const DAY_MS = 86_400_000;

/** A key with IP rules: the icon, with the rules in words on hover and for screen readers. */
function IpRestrictedIcon({ apiKey }: { apiKey: ApiKeyView }) {
  const words = [
    apiKey.ipAllow.length ? `allowed from ${apiKey.ipAllow.length} ${apiKey.ipAllow.length === 1 ? "entry" : "entries"}` : null,
    apiKey.ipDeny.length ? `denied from ${apiKey.ipDeny.length} ${apiKey.ipDeny.length === 1 ? "entry" : "entries"}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <span className="inline-flex shrink-0 text-muted-foreground" title={`IP restricted: ${words}`} data-ip-restricted="">
      <Network aria-hidden="true" className="size-3.5" />
      <span className="sr-only">IP restricted: {words}</span>
    </span>
  );
}

const STATE_BADGE = {
  active: null,
  disabled: <Badge variant="secondary">Disabled</Badge>,
  expired: <Badge variant="warning">Expired</Badge>,
  revoked: <Badge variant="destructive">Revoked</Badge>,
} as const;

function buildColumns({ slug, onEdit, onRevoke, onRotate }: RowActions, renderedAt: number) {
  return col.columns([
    col.accessor("name", {
      id: "name",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Name" />,
      cell: ({ row }) => (
        <div className="min-w-40 max-w-72">
          <div className="flex items-center gap-2">
            <Link
              id={`key-name-${row.original.id}`}
              href={`/w/${slug}/account/api/${row.original.id}`}
              className="truncate font-medium hover:underline focus-visible:underline"
              title={row.original.name}
            >
              {row.original.name}
            </Link>
            {STATE_BADGE[row.original.state]}
            {row.original.ipAllow.length || row.original.ipDeny.length ? <IpRestrictedIcon apiKey={row.original} /> : null}
          </div>
          {row.original.description ? (
            <p className="truncate text-xs text-muted-foreground" title={row.original.description}>
              {row.original.description}
            </p>
          ) : null}
        </div>
      ),
    }),
    col.accessor("ownerName", {
      id: "owner",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Owner" />,
      cell: ({ row }) =>
        row.original.ownerId ? (
          <span className="block max-w-48 truncate" title={row.original.ownerEmail ?? undefined}>
            {row.original.ownerName}
          </span>
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
    col.accessor("scopes", {
      id: "scopes",
      header: "Scopes",
      enableSorting: false,
      cell: ({ getValue }) => {
        const scopes = getValue();
        if (scopes.length === API_KEY_SCOPES.length) return <span className="text-muted-foreground">All</span>;
        return (
          <span className="block max-w-48 truncate font-mono text-xs" title={scopes.join(", ")}>
            {scopes.join(", ")}
          </span>
        );
      },
    }),
    col.accessor("createdAt", {
      id: "created",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Created" />,
      cell: ({ getValue }) => <RelativeTime value={getValue()} className="whitespace-nowrap" />,
    }),
    col.accessor("expiresAt", {
      id: "expires",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Expires" />,
      cell: ({ row, getValue }) => (
        <div className="flex items-center gap-2 whitespace-nowrap">
          <RelativeTime value={getValue()} />
          {row.original.state === "active" || row.original.state === "disabled" ? <ExpiringSoon expiresAt={getValue()} now={renderedAt} /> : null}
        </div>
      ),
    }),
    col.accessor("lastUsedAt", {
      id: "lastUsed",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Last used" />,
      cell: ({ row }) => (
        <span
          title={
            row.original.lastUsedIp
              ? `From ${row.original.lastUsedIp}${row.original.lastUsedIntegration ? ` (${row.original.lastUsedIntegration})` : ""}`
              : undefined
          }
        >
          <RelativeTime value={row.original.lastUsedAt} className="whitespace-nowrap" />
        </span>
      ),
    }),
    col.accessor("enabled", {
      id: "enabled",
      header: "Enabled",
      enableSorting: false,
      cell: ({ row }) => <EnabledCell slug={slug} apiKey={row.original} />,
    }),
    col.accessor("bearerAllowed", {
      id: "bearer",
      header: "Bearer token",
      enableSorting: false,
      cell: ({ row }) => <BearerCell slug={slug} apiKey={row.original} />,
      meta: { headerClassName: "whitespace-nowrap" },
    }),
    col.display({
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      cell: ({ row }) => (
        <div className="flex justify-end gap-1">
          <Button variant="ghost" size="sm" onClick={() => onEdit(row.original)} aria-label={`Edit ${row.original.name}`}>
            <Pencil aria-hidden="true" />
            Edit
          </Button>
          <Button
            variant="ghost"
            size="sm"
            onClick={() => onRotate(row.original)}
            aria-label={`Roll ${row.original.name}`}
            disabled={row.original.state === "expired"}
            data-rotate-row={row.original.id}
          >
            <RotateCw aria-hidden="true" />
            Roll key
          </Button>
          <Button
            variant="ghost"
            size="sm"
            className="text-destructive hover:text-destructive"
            onClick={() => onRevoke(row.original)}
            aria-label={`Revoke ${row.original.name}`}
          >
            Revoke
          </Button>
        </div>
      ),
      meta: { headerClassName: "w-0", cellClassName: "text-right" },
    }),
  ]);
}

const STATE_FILTER_LABELS: Record<(typeof API_KEY_LIST_STATES)[number], string> = {
  all: "All keys",
  active: "Active",
  disabled: "Disabled",
  expiring: `Expiring within ${EXPIRING_SOON_DAYS} days`,
  expired: "Expired",
};
const STATE_OPTIONS = API_KEY_LIST_STATES.map((value) => ({ value, label: STATE_FILTER_LABELS[value] }));

export function ApiKeysTable({
  rows,
  total,
  actions,
  state = "all",
  renderedAt,
}: {
  rows: ApiKeyView[];
  total: number;
  actions: RowActions;
  /** When the server rendered the rows (ms): what "expires in N days" counts from. */
  renderedAt: number;
  /** The state filter the page was asked for (URL param `state`). */
  state?: (typeof API_KEY_LIST_STATES)[number];
}) {
  // TanStack v9 wants a stable column array; it only depends on the slug and two setState callbacks.
  const { slug, onEdit, onRevoke, onRotate } = actions;
  const columns = useMemo(() => buildColumns({ slug, onEdit, onRevoke, onRotate }, renderedAt), [slug, onEdit, onRevoke, onRotate, renderedAt]);
  return (
    <DataTable
      columns={columns}
      data={rows}
      rowCount={total}
      ariaLabel="API keys"
      defaultSort={{ id: "created", dir: "desc" }}
      toolbar={
        <FilterForm label="Filter keys" names={["state"]} defaults={{ state: "all" }} gridClassName="sm:grid-cols-[16rem] lg:grid-cols-[16rem]">
          <FilterSelect name="state" label="State" options={STATE_OPTIONS} defaultValue={state} />
        </FilterForm>
      }
      emptyState={
        state === "all" ? (
          <div className="flex flex-col items-center gap-2 py-10 text-center">
            <KeyRound aria-hidden="true" className="size-8 text-muted-foreground" />
            <p className="font-medium">No API keys yet</p>
            <p className="max-w-sm text-sm text-muted-foreground">
              Create a key for each system that calls the API, so you can disable or revoke one without touching the others.
            </p>
          </div>
        ) : (
          <div className="flex flex-col items-center gap-2 py-10 text-center">
            <p className="font-medium">No keys match “{STATE_FILTER_LABELS[state]}”</p>
            <p className="max-w-sm text-sm text-muted-foreground">Choose another state, or Reset to see every live key.</p>
          </div>
        )
      }
    />
  );
}
