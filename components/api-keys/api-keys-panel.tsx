"use client";

import Link from "next/link";
import { useCallback, useRef, useState } from "react";
import type { CreatedKeyResult } from "@/lib/api-keys/actions";
import type { ApiKeyView, WorkspaceMemberOption } from "@/lib/api-keys/core";
import type { API_KEY_LIST_STATES } from "@/lib/validations/api-keys";
import type { Quota, RateLimit } from "@/lib/validations/limits";
import { ApiKeysTable } from "./api-keys-table";
import { CreateApiKeyDialog } from "./create-api-key-dialog";
import { EditApiKeyDialog } from "./edit-api-key-dialog";
import { RevokeAllDialog, RevokeApiKeyDialog } from "./revoke-dialogs";
import { RotateKeyDialog } from "./rotate-key-dialog";
import { SecretDialog } from "./secret-dialog";

export interface ApiKeysPanelProps {
  slug: string;
  workspaceName: string;
  apiKeysEnabled: boolean;
  rows: ApiKeyView[];
  total: number;
  owners: WorkspaceMemberOption[];
  currentUserId: string | null;
  canCreateServiceKeys: boolean;
  maxExpiry: string | null;
  maxLifetimeDays: number | null;
  defaultLimits: { rateLimit: RateLimit | null; quota: Quota | null };
  /** The grid's state filter. */
  state: (typeof API_KEY_LIST_STATES)[number];
  /** When the server rendered the page (ms since the epoch). */
  renderedAt: number;
}

export function ApiKeysPanel(props: ApiKeysPanelProps) {
  const { slug, workspaceName, rows, total } = props;
  const [created, setCreated] = useState<CreatedKeyResult | null>(null);
  const [editing, setEditing] = useState<ApiKeyView | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);
  const [rotating, setRotating] = useState<ApiKeyView | null>(null);
  // The row to return focus to once the new secret's dialog closes (by then `rotating` is cleared).
  const rotatedRow = useRef<string | null>(null);
  const onRotate = useCallback((key: ApiKeyView) => {
    rotatedRow.current = key.id;
    setRotating(key);
  }, []);

  return (
    <section aria-labelledby="api-keys-title" className="grid gap-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="api-keys-title" className="text-lg font-semibold">
            API keys
          </h2>
          <p className="max-w-prose text-sm text-muted-foreground">
            Keys let integrations call the Latchkey API as their owner. Send one as{" "}
            <code className="font-mono text-xs">Authorization: Bearer &lt;key&gt;</code> or{" "}
            <code className="font-mono text-xs">X-ApiKey: &lt;key&gt;</code>.{" "}
            <Link href={`/w/${slug}/account/api/reference`} className="font-medium text-primary underline-offset-4 hover:underline">
              API reference
            </Link>
          </p>
        </div>
        <div className="flex gap-2">
          <RevokeAllDialog slug={slug} workspaceName={workspaceName} liveCount={total} />
          <CreateApiKeyDialog {...props} onCreated={setCreated} />
        </div>
      </div>
      {!props.apiKeysEnabled ? (
        <p className="rounded-md border border-warning/40 bg-warning-muted p-3 text-sm text-warning">
          API key authentication is turned off for this workspace: every key is refused until an Admin turns it back on.
        </p>
      ) : null}
      <ApiKeysTable
        rows={rows}
        total={total}
        state={props.state}
        renderedAt={props.renderedAt}
        actions={{ slug, onEdit: setEditing, onRevoke: setRevoking, onRotate }}
      />
      <SecretDialog
        shown={created}
        onClose={() => setCreated(null)}
        returnFocusTo={() => document.querySelector<HTMLElement>("[data-create-key-trigger]")}
      />
      <EditApiKeyDialog slug={slug} apiKey={editing} maxLifetimeDays={props.maxLifetimeDays} onOpenChange={(open) => !open && setEditing(null)} />
      <RevokeApiKeyDialog slug={slug} apiKey={revoking} onOpenChange={(open) => !open && setRevoking(null)} />
      <RotateKeyDialog
        slug={slug}
        apiKey={rotating}
        onOpenChange={(open) => !open && setRotating(null)}
        returnFocusTo={() => document.querySelector<HTMLElement>(`[data-rotate-row="${rotatedRow.current}"]`)}
      />
    </section>
  );
}
