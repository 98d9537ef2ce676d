"use client";

import { useState, useTransition } from "react";
import { RotateCw } from "lucide-react";
import { toast } from "sonner";
import { rotateApiKeyAction, type RotatedKeyResult } from "@/lib/api-keys/actions";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { RadioGroup, RadioGroupItem } from "@/components/ui/radio-group";
import { DEFAULT_DEADLINE_DAYS, DEFAULT_QUIET_MINUTES, type RotateApiKeyInput } from "@/lib/validations/api-keys";
import { fieldAria } from "./field";
import { SecretDialog } from "./secret-dialog";

type Choice = "now" | "1h" | "24h" | "7d" | "custom" | "quiet";

const CHOICES: { value: Choice; label: string; hint: string }[] = [
  { value: "now", label: "Now", hint: "The old secret is refused from its next request." },
  { value: "1h", label: "1 hour", hint: "Both secrets work for an hour." },
  { value: "24h", label: "24 hours", hint: "Both secrets work for a day." },
  { value: "7d", label: "7 days", hint: "Both secrets work for a week." },
  { value: "custom", label: "Custom", hint: "Both secrets work for the hours you choose (at most 30 days)." },
  {
    value: "quiet",
    label: "Retire when quiet",
    hint: "The old secret works until it has not been used for a while, or until the deadline, whichever comes first.",
  },
];

export interface RotatableKey {
  id: string;
  name: string;
  prefix: string;
}

/** The roll-key dialog: how long the old secret keeps working, then the new secret, shown once. */
export function RotateKeyDialog({
  slug,
  apiKey,
  onOpenChange,
  returnFocusTo,
}: {
  slug: string;
  apiKey: RotatableKey | null;
  onOpenChange: (open: boolean) => void;
  returnFocusTo?: () => HTMLElement | null;
}) {
  const [choice, setChoice] = useState<Choice>("24h");
  const [customHours, setCustomHours] = useState("48");
  const [quietMinutes, setQuietMinutes] = useState(String(DEFAULT_QUIET_MINUTES));
  const [deadlineDays, setDeadlineDays] = useState(String(DEFAULT_DEADLINE_DAYS));
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [rotated, setRotated] = useState<RotatedKeyResult | null>(null);
  const [pending, startTransition] = useTransition();

  function reset() {
    setChoice("24h");
    setCustomHours("48");
    setQuietMinutes(String(DEFAULT_QUIET_MINUTES));
    setDeadlineDays(String(DEFAULT_DEADLINE_DAYS));
    setErrors({});
    setError(null);
  }

  function input(): RotateApiKeyInput | null {
    if (choice === "quiet") return { mode: "quiet", quietMinutes: Number(quietMinutes), deadlineDays: Number(deadlineDays) };
    if (choice !== "custom") return { overlap: choice };
    const hours = Number(customHours);
    if (!Number.isFinite(hours) || hours <= 0 || hours > 720) {
      setErrors({ custom: ["Choose from 1 minute (0.02 hours) to 720 hours (30 days)."] });
      return null;
    }
    return { overlap: { seconds: Math.round(hours * 3600) } };
  }

  const key = apiKey;
  return (
    <>
      <Dialog
        open={key !== null && rotated === null}
        onOpenChange={(open) => {
          if (!open) reset();
          onOpenChange(open);
        }}
      >
        <DialogContent className="sm:max-w-lg">
          <DialogHeader>
            <DialogTitle>Roll “{key?.name}”?</DialogTitle>
            <DialogDescription>
              The key gets a new secret and keeps its name, owner, scopes and settings. Choose how long the current secret{" "}
              <span className="font-mono">{key?.prefix}</span> keeps working, so integrations can switch without an outage. If the key was rolled
              before and its previous secret still works, that one stops working now.
            </DialogDescription>
          </DialogHeader>
          <form
            className="grid gap-4"
            onSubmit={(e) => {
              e.preventDefault();
              if (!key) return;
              setErrors({});
              setError(null);
              const body = input();
              if (!body) return;
              startTransition(async () => {
                const result = await rotateApiKeyAction(slug, key.id, body);
                if (!result.ok) {
                  setErrors(result.fieldErrors ?? {});
                  if (!result.fieldErrors) setError(result.error);
                  return;
                }
                toast.success(`Rolled “${result.data.name}”: its new secret is ${result.data.prefix}.`);
                setRotated(result.data);
              });
            }}
          >
            <fieldset className="grid gap-2">
              <legend id="rotate-mode-legend" className="mb-1 text-sm font-medium">
                The current secret stops working
              </legend>
              <RadioGroup aria-labelledby="rotate-mode-legend" value={choice} onValueChange={(v) => setChoice(v as Choice)} name="rotation">
                {CHOICES.map((c) => (
                  <div key={c.value} className="flex items-start gap-2">
                    <RadioGroupItem id={`rotate-${c.value}`} value={c.value} aria-describedby={`rotate-${c.value}-hint`} className="mt-0.5" />
                    <div className="grid gap-0.5">
                      <Label htmlFor={`rotate-${c.value}`}>{c.label}</Label>
                      <p id={`rotate-${c.value}-hint`} className="text-xs text-muted-foreground">
                        {c.hint}
                      </p>
                    </div>
                  </div>
                ))}
              </RadioGroup>
            </fieldset>
            {choice === "custom" ? (
              <div className="grid gap-1.5">
                <Label htmlFor="rotate-custom-hours">Overlap in hours</Label>
                <Input
                  id="rotate-custom-hours"
                  type="number"
                  min="0.02"
                  max="720"
                  step="any"
                  value={customHours}
                  onChange={(e) => setCustomHours(e.target.value)}
                  {...fieldAria("rotate-custom-hours", errors.custom ?? errors.overlap)}
                />
                <FieldErrors id="rotate-custom-hours" errors={errors.custom ?? errors.overlap} />
              </div>
            ) : null}
            {choice === "quiet" ? (
              <div className="grid gap-3 sm:grid-cols-2">
                <div className="grid gap-1.5">
                  <Label htmlFor="rotate-quiet-minutes">Quiet for (minutes)</Label>
                  <Input
                    id="rotate-quiet-minutes"
                    type="number"
                    min="1"
                    step="1"
                    value={quietMinutes}
                    onChange={(e) => setQuietMinutes(e.target.value)}
                    {...fieldAria("rotate-quiet-minutes", errors.quietMinutes)}
                  />
                  <FieldErrors id="rotate-quiet-minutes" errors={errors.quietMinutes} />
                </div>
                <div className="grid gap-1.5">
                  <Label htmlFor="rotate-deadline-days">Deadline (days)</Label>
                  <Input
                    id="rotate-deadline-days"
                    type="number"
                    min="1"
                    max="30"
                    step="1"
                    value={deadlineDays}
                    onChange={(e) => setDeadlineDays(e.target.value)}
                    {...fieldAria("rotate-deadline-days", errors.deadlineDays)}
                  />
                  <FieldErrors id="rotate-deadline-days" errors={errors.deadlineDays} />
                </div>
              </div>
            ) : null}
            {error ? (
              <p role="alert" className="text-sm font-medium text-destructive">
                {error}
              </p>
            ) : null}
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={pending}>
                <RotateCw aria-hidden="true" />
                {pending ? "Rolling…" : "Roll key"}
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
      <SecretDialog
        shown={rotated}
        title="API key rolled"
        onClose={() => {
          setRotated(null);
          reset();
          onOpenChange(false);
        }}
        returnFocusTo={returnFocusTo}
      />
    </>
  );
}

function FieldErrors({ id, errors }: { id: string; errors?: string[] }) {
  return errors?.length ? (
    <p id={`${id}-error`} className="text-sm font-medium text-destructive">
      {errors.join(" ")}
    </p>
  ) : null;
}

/** The detail page's button: the dialog with its own trigger. */
export function RotateKeyButton({ slug, apiKey }: { slug: string; apiKey: RotatableKey }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="outline" size="sm" onClick={() => setOpen(true)} data-rotate-key-trigger>
        <RotateCw aria-hidden="true" />
        Roll key
      </Button>
      <RotateKeyDialog
        slug={slug}
        apiKey={open ? apiKey : null}
        onOpenChange={setOpen}
        returnFocusTo={() => document.querySelector<HTMLElement>("[data-rotate-key-trigger]")}
      />
    </>
  );
}
