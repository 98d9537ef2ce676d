"use client";

import { useRef, useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { topUpQuotaAction } from "@/lib/api-keys/actions";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { RelativeTime } from "@/components/ui/relative-time";
import { describeQuota, describeRateLimit, type Quota, type RateLimit } from "@/lib/validations/limits";
import { Field, fieldAria } from "../field";

/** The key page's rate limit and quota: the budget, what this period used, and a top-up for a total quota. */
export function KeyLimits({
  slug,
  apiKey,
  canManage,
}: {
  slug: string;
  apiKey: { id: string; name: string; rateLimit: RateLimit | null; quota: (Quota & { used: number; resetsAt: Date | null }) | null };
  canManage: boolean;
}) {
  const { rateLimit, quota } = apiKey;
  const share = quota ? Math.min(100, Math.round((quota.used / quota.limit) * 100)) : 0;
  return (
    <>
      <div className="grid grid-cols-[10rem_1fr] gap-3 py-2 text-sm">
        <dt className="text-muted-foreground">Rate limit</dt>
        <dd>{rateLimit ? describeRateLimit(rateLimit) : "None"}</dd>
      </div>
      <div className="grid grid-cols-[10rem_1fr] gap-3 py-2 text-sm">
        <dt className="text-muted-foreground">Quota</dt>
        <dd className="grid gap-1.5">
          {quota ? (
            <>
              <span>
                {describeQuota(quota)}
                {quota.resetsAt ? (
                  <span className="text-muted-foreground">
                    {" "}
                    · starts again <RelativeTime value={quota.resetsAt} />
                  </span>
                ) : null}
              </span>
              <div
                role="meter"
                aria-label="Quota used"
                aria-valuemin={0}
                aria-valuemax={quota.limit}
                aria-valuenow={Math.min(quota.used, quota.limit)}
                aria-valuetext={`${quota.used.toLocaleString("en-US")} of ${quota.limit.toLocaleString("en-US")} used`}
                className="h-1.5 w-full max-w-xs overflow-hidden rounded-full bg-muted"
              >
                <div
                  className={share >= 100 ? "h-full bg-destructive" : share >= 80 ? "h-full bg-warning" : "h-full bg-primary"}
                  style={{ width: `${share}%` }}
                />
              </div>
              <span className="text-xs text-muted-foreground tabular-nums">
                {quota.used.toLocaleString("en-US")} of {quota.limit.toLocaleString("en-US")} used ({share} %)
                {share >= 100 ? " — requests are refused with quota_exhausted" : ""}
              </span>
              {canManage && quota.period === "total" ? <TopUpButton slug={slug} apiKey={apiKey} /> : null}
            </>
          ) : (
            "None"
          )}
        </dd>
      </div>
    </>
  );
}

function TopUpButton({ slug, apiKey }: { slug: string; apiKey: { id: string; name: string } }) {
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [pending, startTransition] = useTransition();
  const trigger = useRef<HTMLButtonElement>(null);
  const router = useRouter();
  return (
    <>
      <Button ref={trigger} size="sm" variant="outline" className="w-fit" onClick={() => setOpen(true)}>
        Top up quota
      </Button>
      <Dialog
        open={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (!next) setErrors({});
        }}
      >
        <DialogContent
          className="sm:max-w-md"
          onCloseAutoFocus={(e) => {
            e.preventDefault();
            trigger.current?.focus();
          }}
        >
          <DialogHeader>
            <DialogTitle>Top up “{apiKey.name}”</DialogTitle>
            <DialogDescription>The requests are added to the key&apos;s total quota; a key that ran out works again at once.</DialogDescription>
          </DialogHeader>
          <form
            className="grid gap-4"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              const raw = String(new FormData(e.currentTarget).get("requests") ?? "").trim();
              const requests = /^\d+$/.test(raw) ? Number(raw) : raw;
              startTransition(async () => {
                const result = await topUpQuotaAction(slug, apiKey.id, requests);
                if (!result.ok) {
                  setErrors(result.fieldErrors ?? { requests: [result.error] });
                  return;
                }
                toast.success(`Topped up “${result.data.name}”: ${result.data.limit.toLocaleString("en-US")} requests in total.`);
                setOpen(false);
                router.refresh();
              });
            }}
          >
            <Field id="top-up-requests" label="Requests to add" errors={errors.requests}>
              <Input
                id="top-up-requests"
                name="requests"
                inputMode="numeric"
                autoComplete="off"
                autoFocus
                className="w-40 tabular-nums"
                {...fieldAria("top-up-requests", errors.requests, true)}
              />
            </Field>
            <DialogFooter>
              <Button type="submit" disabled={pending}>
                {pending ? "Adding…" : "Add requests"}
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
    </>
  );
}
