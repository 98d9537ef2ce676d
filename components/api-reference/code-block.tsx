"use client";

import { useEffect, useRef, useState } from "react";
import { Check, Copy } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";

type CopyState = "idle" | "copied" | "failed";

/**
 * A code sample in a bordered, horizontally scrolling <pre>, with an optional Copy button.
 * Where the clipboard is unavailable (plain http on another host), the text is selected instead.
 */
export function CodeBlock({
  code,
  title,
  copyLabel,
  className,
  preClassName,
}: {
  code: string;
  /** Shown above the block, and the scrollable region's accessible name. */
  title: string;
  /** The Copy button's accessible name; no button when omitted. */
  copyLabel?: string;
  className?: string;
  preClassName?: string;
}) {
  const [state, setState] = useState<CopyState>("idle");
  const preRef = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(code);
      setState("copied");
    } catch {
      const pre = preRef.current;
      if (pre) {
        const range = document.createRange();
        range.selectNodeContents(pre);
        const selection = window.getSelection();
        selection?.removeAllRanges();
        selection?.addRange(range);
      }
      setState("failed");
    }
  }

  return (
    <div className={cn("grid min-w-0 gap-1.5", className)}>
      <div className="flex h-7 items-center justify-between gap-2">
        <span className="text-xs font-medium text-muted-foreground">{title}</span>
        {copyLabel ? (
          <Button type="button" variant="ghost" size="sm" className="h-7 px-2 text-xs" aria-label={copyLabel} onClick={copy}>
            {state === "copied" ? <Check aria-hidden="true" className="size-3.5 text-success" /> : <Copy aria-hidden="true" className="size-3.5" />}
            {state === "copied" ? "Copied" : state === "failed" ? "Press Ctrl+C" : "Copy"}
          </Button>
        ) : null}
      </div>
      <pre
        ref={preRef}
        tabIndex={0}
        aria-label={title}
        className={cn(
          "overflow-x-auto rounded-md border bg-muted/50 px-3 py-2.5 font-mono text-xs leading-5 text-foreground outline-none focus-visible:ring-2 focus-visible:ring-ring",
          preClassName,
        )}
      >
        <code>{code}</code>
      </pre>
      {copyLabel ? (
        <span role="status" className="sr-only">
          {state === "copied"
            ? "Copied to the clipboard."
            : state === "failed"
              ? "Could not copy: the text is selected, press Ctrl+C to copy it."
              : ""}
        </span>
      ) : null}
    </div>
  );
}
