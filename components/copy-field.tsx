"use client";

import { useEffect, useRef, useState } from "react";
import { Check, Copy } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";

async function copyText(text: string, fallbackInput: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers or a denied permission: select the text and use the legacy command.
    if (!fallbackInput) return false;
    fallbackInput.select();
    return document.execCommand("copy");
  }
}

/**
 * A read-only value shown once (a key's secret, a one-time password) with Copy to clipboard.
 * Give it a `key` of the value so a new value starts uncopied.
 */
export function CopyField({
  id,
  label,
  value,
  noun,
  onCopiedChange,
}: {
  id: string;
  label: string;
  value: string;
  /** What is copied, in words for the messages: "secret", "password". */
  noun: string;
  onCopiedChange?: (copied: boolean) => void;
}) {
  const [copied, setCopied] = useState(false);
  const [copyError, setCopyError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2500);
    return () => clearTimeout(t);
  }, [copied]);

  return (
    <div className="grid gap-2">
      <Label htmlFor={id}>{label}</Label>
      <div className="flex gap-2">
        <input
          id={id}
          ref={inputRef}
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          autoComplete="off"
          className="h-9 min-w-0 flex-1 rounded-md border border-input bg-muted px-3 font-mono text-sm outline-none focus-visible:ring-2 focus-visible:ring-ring"
        />
        <Button
          type="button"
          variant={copied ? "secondary" : "default"}
          onClick={async () => {
            if (!value) return;
            const ok = await copyText(value, inputRef.current);
            setCopied(ok);
            if (ok) onCopiedChange?.(true);
            setCopyError(ok ? null : `Could not reach the clipboard. Select the ${noun} and copy it by hand.`);
          }}
        >
          {copied ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />}
          {copied ? "Copied" : "Copy to clipboard"}
        </Button>
      </div>
      <p aria-live="polite" className="sr-only">
        {copied ? `${noun[0].toUpperCase()}${noun.slice(1)} copied to the clipboard.` : ""}
      </p>
      {copyError ? <p className="text-sm text-destructive">{copyError}</p> : null}
    </div>
  );
}
