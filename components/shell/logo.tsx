export function Logo({ className }: { className?: string }) {
  return (
    <span className={className ?? "flex items-center gap-2"}>
      <svg viewBox="0 0 32 32" width="24" height="24" aria-hidden="true">
        <rect width="32" height="32" rx="7" className="fill-primary" />
        <circle cx="12" cy="16" r="5" fill="none" stroke="#fff" strokeWidth="2.5" />
        <path d="M17 16h10M23 16v4M26 16v3" stroke="#fff" strokeWidth="2.5" strokeLinecap="round" />
      </svg>
      <span className="font-semibold tracking-tight">Latchkey</span>
    </span>
  );
}
