import { cn } from "@/lib/utils";

/** A literal (a header, a code, a path) inside running text. */
export function InlineCode({ children, className }: { children: React.ReactNode; className?: string }) {
  return <code className={cn("rounded bg-muted px-1 py-0.5 font-mono text-[0.8125rem] whitespace-nowrap", className)}>{children}</code>;
}
