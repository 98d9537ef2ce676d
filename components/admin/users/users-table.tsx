"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { Users } from "lucide-react";
import { toast } from "sonner";
import { ANY, FilterForm, FilterInput, FilterSelect } from "@/components/admin/filter-form";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { createDataTableColumnHelper, DataTable, DataTableColumnHeader } from "@/components/data-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import type { AdminUserRow, WorkspaceChoice } from "@/lib/admin/users";
import { deleteUserAction, disableUserAction, enableUserAction } from "@/lib/admin/users-actions";
import { ADMIN_USER_FILTER_PARAMS, ADMIN_USER_STATE_LABELS, ADMIN_USER_STATES, ROLE_OPTIONS } from "@/lib/admin/users-params";
import { CreateUserDialog } from "./create-user-dialog";

const ROLE_LABEL = Object.fromEntries(ROLE_OPTIONS.map((r) => [r.value, r.label])) as Record<string, string>;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

type Operation = { kind: "disable" | "enable" | "delete"; user: AdminUserRow };

function RowActions({ user, isMe, onAct }: { user: AdminUserRow; isMe: boolean; onAct: (op: Operation) => void }) {
  // Same height as the buttons, so this row lines up with the others.
  if (isMe) return <span className="inline-flex h-8 items-center px-3 text-xs text-muted-foreground">You</span>;
  return (
    <div className="flex justify-end gap-1">
      {user.state === "disabled" ? (
        <Button variant="ghost" size="sm" aria-label={`Re-enable ${user.name}`} onClick={() => onAct({ kind: "enable", user })}>
          Re-enable
        </Button>
      ) : (
        <Button variant="ghost" size="sm" aria-label={`Disable ${user.name}`} onClick={() => onAct({ kind: "disable", user })}>
          Disable
        </Button>
      )}
      <Button
        variant="ghost"
        size="sm"
        className="text-destructive hover:text-destructive"
        aria-label={`Delete ${user.name}`}
        onClick={() => onAct({ kind: "delete", user })}
      >
        Delete
      </Button>
    </div>
  );
}

const col = createDataTableColumnHelper<AdminUserRow>();

function buildColumns(currentUserId: string, onAct: (op: Operation) => void) {
  return col.columns([
    col.accessor("name", {
      id: "name",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Name" />,
      cell: ({ row }) => (
        <div className="flex max-w-56 flex-wrap items-center gap-1.5">
          <span className="truncate font-medium" title={row.original.name}>
            {row.original.name}
          </span>
          {row.original.isGlobalAdmin ? <Badge variant="outline">Global Admin</Badge> : null}
        </div>
      ),
    }),
    col.accessor("email", {
      id: "email",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Email" />,
      cell: ({ getValue }) => (
        <span className="block max-w-60 truncate text-muted-foreground" title={getValue()}>
          {getValue()}
        </span>
      ),
    }),
    col.accessor("workspaces", {
      id: "workspaces",
      header: "Workspaces",
      enableSorting: false,
      cell: ({ getValue }) => {
        const list = getValue();
        if (list.length === 0) return <span className="text-muted-foreground">None</span>;
        return (
          <ul className="grid max-w-64 gap-0.5">
            {list.map((w) => (
              <li key={w.slug} className="truncate text-sm">
                {w.name} <span className="text-muted-foreground">· {ROLE_LABEL[w.role] ?? w.role}</span>
              </li>
            ))}
          </ul>
        );
      },
    }),
    col.accessor("liveKeys", {
      id: "liveKeys",
      header: "Live keys",
      enableSorting: false,
      meta: { cellClassName: "tabular-nums" },
      cell: ({ getValue }) => getValue(),
    }),
    col.accessor("state", {
      id: "state",
      header: "State",
      enableSorting: false,
      cell: ({ row }) =>
        row.original.state === "disabled" ? (
          <Badge variant="secondary">Disabled</Badge>
        ) : row.original.mustChangePassword ? (
          <Badge variant="warning">Invited</Badge>
        ) : (
          <Badge variant="success">Active</Badge>
        ),
    }),
    col.accessor("createdAt", {
      id: "created",
      header: ({ column }) => <DataTableColumnHeader column={column} title="Created" />,
      cell: ({ getValue }) => <RelativeTime value={getValue()} />,
    }),
    col.display({
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      meta: { headerClassName: "w-0", cellClassName: "text-right whitespace-nowrap" },
      cell: ({ row }) => <RowActions user={row.original} isMe={row.original.id === currentUserId} onAct={onAct} />,
    }),
  ]);
}

export interface UsersTableProps {
  rows: AdminUserRow[];
  total: number;
  workspaces: WorkspaceChoice[];
  values: Record<string, string>;
  errors: Record<string, string>;
  filtered: boolean;
  currentUserId: string;
}

export function UsersTable({ rows, total, workspaces, values, errors, filtered, currentUserId }: UsersTableProps) {
  const router = useRouter();
  const [op, setOp] = useState<Operation | null>(null);
  // The DataTable wants stable columns: built once per table (the handler only sets state).
  const [columns] = useState(() => buildColumns(currentUserId, setOp));

  const stateOptions = ADMIN_USER_STATES.map((s) => ({ value: s, label: ADMIN_USER_STATE_LABELS[s] }));
  const workspaceOptions = [{ value: ANY, label: "All workspaces" }, ...workspaces.map((w) => ({ value: w.slug, label: w.name }))];

  async function run(current: Operation): Promise<string | void> {
    const action = { disable: disableUserAction, enable: enableUserAction, delete: deleteUserAction }[current.kind];
    const result = await action(current.user.id);
    if (!result.ok) return result.error;
    const done = { disable: "Disabled", enable: "Re-enabled", delete: "Deleted" }[current.kind];
    toast.success(`${done} ${result.data.name}.`);
    router.refresh();
  }

  const toolbar = (
    <FilterForm
      label="Filter users"
      names={ADMIN_USER_FILTER_PARAMS}
      defaults={{ state: "all" }}
      gridClassName="lg:grid-cols-3"
      actions={<CreateUserDialog workspaces={workspaces} />}
    >
      <FilterInput name="q" label="Search name or email" placeholder="e.g. ada" defaultValue={values.q} error={errors.q} type="search" />
      <FilterSelect name="state" label="State" options={stateOptions} defaultValue={values.state || "all"} error={errors.state} />
      <FilterSelect name="workspace" label="Workspace" options={workspaceOptions} defaultValue={values.workspace || ANY} error={errors.workspace} />
    </FilterForm>
  );

  const user = op?.user;
  return (
    <>
      <DataTable
        columns={columns}
        data={rows}
        rowCount={total}
        ariaLabel="Users"
        defaultSort={{ id: "name", dir: "asc" }}
        toolbar={toolbar}
        emptyState={
          <div className="flex flex-col items-center gap-2 py-10 text-center">
            <Users aria-hidden="true" className="size-8 text-muted-foreground" />
            <p className="font-medium">{filtered ? "No users match these filters" : "No users yet"}</p>
            <p className="max-w-sm text-sm text-muted-foreground">{filtered ? "Loosen a filter, or Reset them." : "Create the first user."}</p>
          </div>
        }
      />
      <ConfirmDialog
        open={op !== null}
        onOpenChange={(open) => !open && setOp(null)}
        title={op?.kind === "delete" ? `Delete ${user?.name}?` : op?.kind === "disable" ? `Disable ${user?.name}?` : `Re-enable ${user?.name}?`}
        description={
          op?.kind === "delete"
            ? `${user?.name} (${user?.email}) leaves every workspace and can no longer sign in. ${
                user?.liveKeys ? `${plural(user.liveKeys, "live key")} they own will be revoked. ` : ""
              }This cannot be undone; the audit log keeps their name.`
            : op?.kind === "disable"
              ? `${user?.name} is signed out everywhere, cannot sign in, and their keys stop working until you re-enable them.`
              : `${user?.name} can sign in again and their keys work again.`
        }
        confirmLabel={op?.kind === "delete" ? "Delete user" : op?.kind === "disable" ? "Disable user" : "Re-enable user"}
        pendingLabel={op?.kind === "delete" ? "Deleting…" : op?.kind === "disable" ? "Disabling…" : "Re-enabling…"}
        onConfirm={() => (op ? run(op) : Promise.resolve())}
      />
    </>
  );
}
