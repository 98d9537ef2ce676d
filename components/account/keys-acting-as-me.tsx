"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { KeyRound } from "lucide-react";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { RevocationReasonField, useRevocationChoice } from "@/components/api-keys/revocation-reason-field";
import { Badge, type BadgeVariant } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { revokeKeyActingAsMeAction } from "@/lib/account/actions";
import type { KeyActingAsRow } from "@/lib/account/core";
import type { ApiKeyState } from "@/lib/api-keys/core";

const STATE_BADGE: Record<ApiKeyState, { label: string; variant: BadgeVariant }> = {
  active: { label: "Active", variant: "success" },
  disabled: { label: "Disabled", variant: "secondary" },
  expired: { label: "Expired", variant: "warning" },
  revoked: { label: "Revoked", variant: "destructive" },
};

export function KeysActingAsMe({ rows, userId }: { rows: KeyActingAsRow[]; userId: string }) {
  const router = useRouter();
  const [revoking, setRevoking] = useState<KeyActingAsRow | null>(null);
  const why = useRevocationChoice();
  return (
    <>
      <div className="overflow-x-auto rounded-lg border bg-card">
        <Table aria-label="Keys that act as you">
          <TableHeader className="bg-muted/40">
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead>Workspace</TableHead>
              <TableHead>Key</TableHead>
              <TableHead>Created by</TableHead>
              <TableHead>Created</TableHead>
              <TableHead>Last used</TableHead>
              <TableHead>State</TableHead>
              <TableHead>
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.length === 0 ? (
              <TableRow>
                <TableCell colSpan={8}>
                  <div className="flex flex-col items-center gap-2 py-10 text-center">
                    <KeyRound aria-hidden="true" className="size-8 text-muted-foreground" />
                    <p className="font-medium">No keys act as you</p>
                    <p className="max-w-sm text-sm text-muted-foreground">
                      Keys a workspace Admin makes with you as the owner, and your personal tokens, appear here.
                    </p>
                  </div>
                </TableCell>
              </TableRow>
            ) : (
              rows.map((k) => {
                const badge = STATE_BADGE[k.state];
                return (
                  <TableRow key={k.id}>
                    <TableCell>
                      <span className="block max-w-56 truncate font-medium" title={k.name}>
                        {k.name}
                      </span>
                      <span className="block text-xs text-muted-foreground">{k.kind === "personal" ? "Personal token" : "Workspace key"}</span>
                    </TableCell>
                    <TableCell>
                      <span className="block max-w-40 truncate" title={`${k.workspaceName} (${k.workspaceSlug})`}>
                        {k.workspaceName}
                      </span>
                      {k.memberOfWorkspace ? null : <span className="block text-xs text-muted-foreground">You left; refused until you are back</span>}
                    </TableCell>
                    <TableCell>
                      <code className="font-mono text-xs whitespace-nowrap">{k.prefix}</code>
                    </TableCell>
                    <TableCell>
                      <span className="block max-w-40 truncate">{k.createdById === userId ? "You" : (k.createdByName ?? "—")}</span>
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={k.createdAt} />
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={k.lastUsedAt} />
                    </TableCell>
                    <TableCell>
                      <Badge variant={badge.variant}>{badge.label}</Badge>
                    </TableCell>
                    <TableCell className="text-right">
                      <Button
                        variant="ghost"
                        size="sm"
                        className="text-destructive hover:text-destructive"
                        aria-label={`Revoke ${k.name} (${k.workspaceName})`}
                        onClick={() => setRevoking(k)}
                      >
                        Revoke
                      </Button>
                    </TableCell>
                  </TableRow>
                );
              })
            )}
          </TableBody>
        </Table>
      </div>
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => {
          if (open) return;
          setRevoking(null);
          why.reset();
        }}
        disabled={!why.complete}
        title={`Revoke ${revoking?.name ?? "key"}?`}
        description={
          <>
            Anything using this {revoking?.kind === "personal" ? "token" : "key"} in{" "}
            <span className="font-medium text-foreground">{revoking?.workspaceName}</span> is refused from its next request. Revoking is permanent;
            the workspace&apos;s audit log keeps a record.
          </>
        }
        confirmLabel="Revoke"
        pendingLabel="Revoking…"
        onConfirm={async () => {
          if (!revoking) return;
          const result = await revokeKeyActingAsMeAction(revoking.id, why.input);
          if (!result.ok) {
            why.setErrors(result.fieldErrors);
            return result.error;
          }
          toast.success(`Revoked ${result.data.name}.`);
          why.reset();
          router.refresh();
        }}
      >
        <RevocationReasonField id="my-key-revoke-reason" value={why.choice} onChange={why.setChoice} errors={why.errors} />
      </ConfirmDialog>
    </>
  );
}
