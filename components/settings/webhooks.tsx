"use client";

import { useLayoutEffect, useOptimistic, useRef, useState, useTransition } from "react";
import { toast } from "sonner";
import { Field, fieldAria } from "@/components/api-keys/field";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Badge, type BadgeVariant } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { RelativeTime } from "@/components/ui/relative-time";
import { Switch } from "@/components/ui/switch";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import {
  createWebhookAction,
  deleteWebhookAction,
  listWebhookDeliveriesAction,
  rotateWebhookSecretAction,
  sendTestWebhookAction,
  updateWebhookAction,
} from "@/lib/webhooks/actions";
import type { WebhookDeliveryPage, WebhookDeliveryView, WebhookEndpointView } from "@/lib/webhooks/core";
import { WEBHOOK_EVENT_LABELS, WEBHOOK_EVENT_TYPES, type WebhookEventType } from "@/lib/webhooks/events";
import { WebhookSecretDialog, type ShownWebhookSecret } from "./webhook-secret-dialog";

// "Send test event" reaches any endpoint, so it is not a subscription.
const SUBSCRIBABLE = WEBHOOK_EVENT_TYPES.filter((t) => t !== "webhook.test");

type FormState = { mode: "create" } | { mode: "edit"; endpoint: WebhookEndpointView } | null;

export function WebhookSettings({ slug, endpoints }: { slug: string; endpoints: WebhookEndpointView[] }) {
  const [form, setForm] = useState<FormState>(null);
  // A fresh form each time one opens; the same one while it closes, so it can give focus back.
  const [formSeq, setFormSeq] = useState(0);
  const openForm = (next: Exclude<FormState, null>) => {
    setFormSeq((n) => n + 1);
    setForm(next);
  };
  const addButton = useRef<HTMLButtonElement>(null);
  const [shown, setShown] = useState<ShownWebhookSecret | null>(null);
  const [deleting, setDeleting] = useState<WebhookEndpointView | null>(null);
  const [rotating, setRotating] = useState<WebhookEndpointView | null>(null);

  return (
    <section aria-labelledby="webhooks-title" className="rounded-lg border bg-card px-6 py-4">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h2 id="webhooks-title" className="text-lg font-semibold">
            Webhooks
          </h2>
          <p className="max-w-prose text-sm text-muted-foreground">
            Latchkey POSTs key events to these URLs, signed per the Standard Webhooks spec, and retries failed deliveries for up to 24 hours. Each
            endpoint&rsquo;s deliveries are listed for 30 days.
          </p>
        </div>
        <Button ref={addButton} type="button" onClick={() => openForm({ mode: "create" })}>
          Add endpoint
        </Button>
      </div>

      {endpoints.length === 0 ? (
        <p className="mt-4 rounded-md border border-dashed p-6 text-center text-sm text-muted-foreground">
          No webhook endpoints yet. Add one to be told when keys are created, rotated, revoked or about to expire.
        </p>
      ) : (
        <ul className="mt-4 divide-y rounded-md border">
          {endpoints.map((e) => (
            <EndpointItem
              key={e.id}
              slug={slug}
              endpoint={e}
              onEdit={() => openForm({ mode: "edit", endpoint: e })}
              onDelete={() => setDeleting(e)}
              onRotate={() => setRotating(e)}
            />
          ))}
        </ul>
      )}

      <EndpointFormDialog
        key={formSeq}
        slug={slug}
        state={form}
        onClose={() => setForm(null)}
        onCreated={(url, secret) => setShown({ url, secret, title: "Webhook endpoint added" })}
      />
      <WebhookSecretDialog shown={shown} onClose={() => setShown(null)} returnFocusTo={() => addButton.current} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title="Delete this webhook endpoint?"
        description={
          <>
            Events will no longer be sent to <span className="font-mono break-all text-foreground">{deleting?.url}</span>. Its delivery history and
            any deliveries still waiting are deleted too.
          </>
        }
        confirmLabel="Delete endpoint"
        pendingLabel="Deleting…"
        onConfirm={async () => {
          if (!deleting) return;
          const result = await deleteWebhookAction(slug, deleting.id);
          if (!result.ok) return result.error;
          toast.success("Webhook endpoint deleted.");
        }}
      />
      <ConfirmDialog
        open={rotating !== null}
        onOpenChange={(open) => !open && setRotating(null)}
        title="Roll this endpoint's signing secret?"
        description={
          <>
            The current secret of <span className="font-mono break-all text-foreground">{rotating?.url}</span> stops at once: requests are signed with
            the new one from now on, so the receiver must be given it.
          </>
        }
        confirmLabel="Roll secret"
        pendingLabel="Rolling…"
        onConfirm={async () => {
          if (!rotating) return;
          const result = await rotateWebhookSecretAction(slug, rotating.id);
          if (!result.ok) return result.error;
          setShown({ url: result.data.endpoint.url, secret: result.data.secret, title: "New signing secret" });
          toast.success("Signing secret rolled.");
        }}
      />
    </section>
  );
}

function EndpointItem({
  slug,
  endpoint,
  onEdit,
  onDelete,
  onRotate,
}: {
  slug: string;
  endpoint: WebhookEndpointView;
  onEdit: () => void;
  onDelete: () => void;
  onRotate: () => void;
}) {
  const [enabled, setEnabled] = useOptimistic(endpoint.enabled);
  const [, startToggle] = useTransition();
  const [testing, startTest] = useTransition();
  const [showDeliveries, setShowDeliveries] = useState(false);
  const deliveries = useDeliveries(slug, endpoint.id);
  const switchId = `webhook-enabled-${endpoint.id}`;

  return (
    <li className="grid gap-3 p-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1">
          <p className="truncate font-mono text-sm" title={endpoint.url}>
            {endpoint.url}
          </p>
          {endpoint.description ? <p className="text-sm text-muted-foreground">{endpoint.description}</p> : null}
          <p className="mt-1 flex flex-wrap gap-1">
            {endpoint.events.map((t) => (
              <Badge key={t} variant="outline" className="font-mono">
                {t}
              </Badge>
            ))}
          </p>
        </div>
        <div className="flex items-center gap-2">
          <Switch
            id={switchId}
            checked={enabled}
            aria-label={`Send events to ${endpoint.url}`}
            onCheckedChange={(next) =>
              startToggle(async () => {
                setEnabled(next);
                const result = await updateWebhookAction(slug, endpoint.id, { enabled: next });
                if (result.ok) toast.success(next ? "Endpoint enabled: events are sent to it." : "Endpoint disabled: no events are sent to it.");
                else toast.error(result.error);
              })
            }
          />
          <label htmlFor={switchId} className="text-sm">
            {enabled ? "Enabled" : "Disabled"}
          </label>
        </div>
      </div>
      <div className="flex flex-wrap gap-2">
        <Button
          type="button"
          size="sm"
          variant="outline"
          disabled={testing || !enabled}
          onClick={() =>
            startTest(async () => {
              const result = await sendTestWebhookAction(slug, endpoint.id);
              if (!result.ok) return void toast.error(result.error);
              toast.success("Test event queued: it is sent within a few seconds.");
              if (showDeliveries) deliveries.load(1);
            })
          }
        >
          {testing ? "Sending…" : "Send test event"}
        </Button>
        <Button
          type="button"
          size="sm"
          variant="outline"
          aria-expanded={showDeliveries}
          onClick={() => {
            if (!showDeliveries) deliveries.load(1);
            setShowDeliveries(!showDeliveries);
          }}
        >
          {showDeliveries ? "Hide deliveries" : "Deliveries"}
        </Button>
        <Button type="button" size="sm" variant="outline" onClick={onEdit}>
          Edit
        </Button>
        <Button type="button" size="sm" variant="outline" onClick={onRotate}>
          Roll secret
        </Button>
        <Button type="button" size="sm" variant="destructive" onClick={onDelete}>
          Delete
        </Button>
      </div>
      {showDeliveries ? <DeliveriesPanel {...deliveries} /> : null}
    </li>
  );
}

const STATUS: Record<WebhookDeliveryView["status"], { label: string; variant: BadgeVariant }> = {
  delivered: { label: "Delivered", variant: "success" },
  pending: { label: "Pending", variant: "warning" },
  failed: { label: "Failed", variant: "destructive" },
};

/** One endpoint's deliveries, loaded when the list is opened (a click, not an effect) and on Refresh. */
function useDeliveries(slug: string, endpointId: string) {
  const [data, setData] = useState<WebhookDeliveryPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, startLoading] = useTransition();
  const load = (page: number) =>
    startLoading(async () => {
      const result = await listWebhookDeliveriesAction(slug, endpointId, page);
      if (result.ok) {
        setData(result.data);
        setError(null);
      } else setError(result.error);
    });
  return { data, error, loading, load };
}

function DeliveriesPanel({ data, error, loading, load }: ReturnType<typeof useDeliveries>) {
  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;
  return (
    <div className="grid gap-2 rounded-md border bg-background p-3" aria-busy={loading}>
      <div className="flex items-center justify-between gap-2">
        <h3 className="text-sm font-medium">Deliveries{data ? ` (${data.total.toLocaleString()})` : ""}</h3>
        <Button type="button" size="sm" variant="ghost" disabled={loading} onClick={() => load(data?.page ?? 1)}>
          {loading ? "Loading…" : "Refresh"}
        </Button>
      </div>
      {error ? <p className="text-sm text-destructive">{error}</p> : null}
      {data && data.rows.length === 0 ? (
        <p className="text-sm text-muted-foreground">Nothing sent yet. Use “Send test event” to try the endpoint.</p>
      ) : null}
      {data && data.rows.length > 0 ? (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Event</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="text-right">Attempts</TableHead>
              <TableHead>Response</TableHead>
              <TableHead>Created</TableHead>
              <TableHead>Last attempt</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {data.rows.map((d) => (
              <TableRow key={d.id}>
                <TableCell className="font-mono text-xs">{d.eventType}</TableCell>
                <TableCell>
                  <Badge variant={STATUS[d.status].variant}>{d.status === "pending" && d.attempts > 0 ? "Retrying" : STATUS[d.status].label}</Badge>
                  {d.status === "pending" && d.attempts > 0 ? (
                    <span className="ml-2 text-xs text-muted-foreground">
                      next <RelativeTime value={d.nextAttemptAt} />
                    </span>
                  ) : null}
                </TableCell>
                <TableCell className="text-right tabular-nums">{d.attempts}</TableCell>
                {/* A status code reads with the numbers beside it; an error's words are secondary. */}
                <TableCell className={d.lastStatusCode !== null ? "tabular-nums" : "text-xs text-muted-foreground"}>
                  {d.lastStatusCode ?? d.lastError ?? "—"}
                </TableCell>
                <TableCell>
                  <RelativeTime value={d.createdAt} />
                </TableCell>
                <TableCell>
                  <RelativeTime value={d.lastAttemptAt} empty="Not yet" />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {data && pages > 1 ? (
        <div className="flex items-center justify-end gap-2 text-sm">
          <span className="text-muted-foreground tabular-nums">
            Page {data.page} of {pages}
          </span>
          <Button type="button" size="sm" variant="outline" disabled={loading || data.page <= 1} onClick={() => load(data.page - 1)}>
            Previous
          </Button>
          <Button type="button" size="sm" variant="outline" disabled={loading || data.page >= pages} onClick={() => load(data.page + 1)}>
            Next
          </Button>
        </div>
      ) : null}
    </div>
  );
}

function EndpointFormDialog({
  slug,
  state,
  onClose,
  onCreated,
}: {
  slug: string;
  state: FormState;
  onClose: () => void;
  onCreated: (url: string, secret: string) => void;
}) {
  const editing = state?.mode === "edit" ? state.endpoint : null;
  const [url, setUrl] = useState(editing?.url ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [events, setEvents] = useState<Set<string>>(new Set(editing?.events ?? ["api_key.expiring", "api_key.revoked", "api_key.leaked"]));
  const [errors, setErrors] = useState<Record<string, string[] | undefined>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, startSaving] = useTransition();
  const opener = useRef<HTMLElement | null>(null);
  const handedOn = useRef(false);
  const open = state !== null;
  useLayoutEffect(() => {
    if (open && document.activeElement instanceof HTMLElement && document.activeElement !== document.body) opener.current = document.activeElement;
  }, [open]);

  const toggle = (type: WebhookEventType, on: boolean) =>
    setEvents((prev) => {
      const next = new Set(prev);
      if (on) next.add(type);
      else next.delete(type);
      return next;
    });

  const submit = () =>
    startSaving(async () => {
      const input = { url, description, events: SUBSCRIBABLE.filter((t) => events.has(t)) };
      const result = editing ? await updateWebhookAction(slug, editing.id, input) : await createWebhookAction(slug, input);
      if (!result.ok) {
        setErrors(result.fieldErrors ?? {});
        setFormError(result.fieldErrors ? null : result.error);
        return;
      }
      handedOn.current = "secret" in result.data;
      onClose();
      if ("secret" in result.data) onCreated(result.data.endpoint.url, result.data.secret);
      else toast.success("Webhook endpoint saved.");
    });

  return (
    <Dialog open={open} onOpenChange={(next) => !next && !pending && onClose()}>
      <DialogContent
        className="sm:max-w-lg"
        onCloseAutoFocus={(e) => {
          // After a creation the secret dialog has focus, and gives it back itself.
          if (handedOn.current) return e.preventDefault();
          if (opener.current?.isConnected) {
            e.preventDefault();
            opener.current.focus();
          }
        }}
      >
        <DialogHeader>
          <DialogTitle>{editing ? "Edit webhook endpoint" : "Add webhook endpoint"}</DialogTitle>
          <DialogDescription>Latchkey sends a signed JSON POST to this URL for each event you choose.</DialogDescription>
        </DialogHeader>
        <form
          id="webhook-form"
          className="grid gap-4"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <Field id="webhook-url" label="URL" errors={errors.url} hint="http:// or https://; a redirect is not followed.">
            <Input
              id="webhook-url"
              type="url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://example.com/webhooks/latchkey"
              className="font-mono"
              autoComplete="off"
              {...fieldAria("webhook-url", errors.url, true)}
            />
          </Field>
          <Field id="webhook-description" label="Description (optional)" errors={errors.description}>
            <Input
              id="webhook-description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              {...fieldAria("webhook-description", errors.description)}
            />
          </Field>
          <fieldset className="grid gap-2" aria-describedby={errors.events?.length ? "webhook-events-error" : undefined}>
            <legend className="mb-1 text-sm font-medium">Events</legend>
            <div className="grid gap-2 sm:grid-cols-2">
              {SUBSCRIBABLE.map((t) => (
                <label key={t} htmlFor={`webhook-event-${t}`} className="flex items-center gap-2 text-sm">
                  <Checkbox id={`webhook-event-${t}`} checked={events.has(t)} onCheckedChange={(v) => toggle(t, v === true)} />
                  <span>
                    {WEBHOOK_EVENT_LABELS[t]} <span className="font-mono text-xs text-muted-foreground">{t}</span>
                  </span>
                </label>
              ))}
            </div>
            {errors.events?.length ? (
              <p id="webhook-events-error" className="text-sm font-medium text-destructive">
                {errors.events.join(" ")}
              </p>
            ) : null}
          </fieldset>
          {formError ? <p className="text-sm font-medium text-destructive">{formError}</p> : null}
        </form>
        <DialogFooter>
          <Button type="button" variant="outline" disabled={pending} onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="webhook-form" disabled={pending}>
            {pending ? "Saving…" : editing ? "Save endpoint" : "Add endpoint"}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
