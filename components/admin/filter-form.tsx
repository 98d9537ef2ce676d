"use client";

import * as React from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { cn } from "@/lib/utils";

// A filter toolbar whose state lives in the URL: "Apply" (or Enter) writes the filled-in
// fields as search params (dropping empty ones and the page number) and the server page
// re-renders. Sort and page size stay as they were.

/** Select value meaning "no filter"; never written to the URL. */
export const ANY = "__any";

interface FilterFormProps {
  /** The URL params this form owns. */
  names: readonly string[];
  /** Values that mean "no filter" for a param (e.g. state=live), left out of the URL. */
  defaults?: Record<string, string>;
  label: string;
  children: React.ReactNode;
  /** Shown beside Apply / Reset (e.g. the export link). */
  actions?: React.ReactNode;
  /** Called when the form changes the URL (e.g. to clear a row selection). */
  onNavigate?: () => void;
  /** Column classes for the fields' grid (default: up to four columns). */
  gridClassName?: string;
  className?: string;
}

export function FilterForm({ names, defaults = {}, label, children, actions, onNavigate, gridClassName, className }: FilterFormProps) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const [pending, startTransition] = React.useTransition();

  const current = names.map((n) => `${n}=${searchParams.get(n) ?? ""}`).join("&");
  // Re-mount the fields (so their defaults follow the URL) when the URL changes from outside —
  // Reset, back/forward — but not after our own Apply, which would drop keyboard focus.
  const [mount, setMount] = React.useState({ seen: current, applied: current, version: 0 });
  if (mount.seen !== current) {
    setMount({ seen: current, applied: "", version: current === mount.applied ? mount.version : mount.version + 1 });
  }

  function go(next: URLSearchParams, applied: string) {
    next.delete("page");
    const qs = next.toString();
    setMount((m) => ({ ...m, applied }));
    onNavigate?.();
    startTransition(() => router.push(qs ? `${pathname}?${qs}` : pathname, { scroll: false }));
  }

  function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = new URLSearchParams(searchParams.toString());
    for (const n of names) {
      next.delete(n);
      const raw = data.get(n);
      const value = typeof raw === "string" ? raw.trim() : "";
      if (value !== "" && value !== ANY && value !== defaults[n]) next.set(n, value);
    }
    go(next, names.map((n) => `${n}=${next.get(n) ?? ""}`).join("&"));
  }

  function onReset() {
    const next = new URLSearchParams(searchParams.toString());
    for (const n of names) next.delete(n);
    // Not "applied": the fields must re-mount empty.
    go(next, "");
  }

  const active = names.some((n) => searchParams.get(n));

  return (
    <form
      key={mount.version}
      role="search"
      aria-label={label}
      onSubmit={onSubmit}
      className={cn("grid gap-3 rounded-lg border bg-card p-3", className)}
    >
      <div className={cn("grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4", gridClassName)}>{children}</div>
      <div className="flex flex-wrap items-center gap-2">
        <Button type="submit" size="sm" disabled={pending}>
          {pending ? "Applying…" : "Apply filters"}
        </Button>
        <Button type="button" variant="ghost" size="sm" onClick={onReset} disabled={!active || pending}>
          Reset
        </Button>
        {actions ? <div className="ml-auto flex flex-wrap items-center gap-2">{actions}</div> : null}
      </div>
    </form>
  );
}

function FilterField({
  id,
  label,
  error,
  children,
  className,
}: {
  id: string;
  label: string;
  error?: string;
  children: React.ReactNode;
  className?: string;
}) {
  return (
    <div className={cn("grid content-start gap-1.5", className)}>
      <Label htmlFor={id} className="text-xs text-muted-foreground">
        {label}
      </Label>
      {children}
      {error ? (
        <p id={`${id}-error`} className="text-xs font-medium text-destructive">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function FilterInput({
  name,
  label,
  defaultValue,
  error,
  ...props
}: { name: string; label: string; defaultValue?: string; error?: string } & Omit<React.ComponentProps<"input">, "name" | "defaultValue">) {
  const id = `filter-${name}`;
  return (
    <FilterField id={id} label={label} error={error}>
      <Input
        id={id}
        name={name}
        defaultValue={defaultValue ?? ""}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="h-8"
        {...props}
      />
    </FilterField>
  );
}

export function FilterSelect({
  name,
  label,
  options,
  defaultValue,
  error,
}: {
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
  defaultValue: string;
  error?: string;
}) {
  const id = `filter-${name}`;
  const [value, setValue] = React.useState(defaultValue);
  const current = options.find((o) => o.value === value) ?? options[0];
  return (
    <FilterField id={id} label={label} error={error}>
      <Select name={name} value={current?.value} onValueChange={setValue}>
        <SelectTrigger id={id} size="sm" className="w-full" aria-invalid={error ? true : undefined}>
          {/* Explicit text: Radix fills an empty <SelectValue /> only after hydration. */}
          <SelectValue>
            <span className="truncate">{current?.label}</span>
          </SelectValue>
        </SelectTrigger>
        <SelectContent>
          {options.map((o) => (
            <SelectItem key={o.value} value={o.value}>
              {o.label}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
    </FilterField>
  );
}

export function FilterCheckbox({ name, label, defaultChecked }: { name: string; label: string; defaultChecked: boolean }) {
  const id = `filter-${name}`;
  return (
    <div className="flex items-center gap-2">
      <Checkbox id={id} name={name} value="1" defaultChecked={defaultChecked} />
      <Label htmlFor={id} className="font-normal">
        {label}
      </Label>
    </div>
  );
}
