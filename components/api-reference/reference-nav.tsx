import { ENDPOINT_GROUPS, GENERAL_SECTIONS } from "./sections";

/** "On this page": the general sections, then every endpoint under its tag. Sticky beside the article on wide screens. */
export function ReferenceNav() {
  return (
    <nav aria-label="On this page" className="text-sm lg:sticky lg:top-20 lg:max-h-[calc(100dvh-6rem)] lg:self-start lg:overflow-y-auto">
      <p className="mb-2 text-xs font-semibold tracking-wide text-muted-foreground uppercase">On this page</p>
      <ul className="grid gap-0.5">
        {GENERAL_SECTIONS.map((t) => (
          <li key={t.id}>
            <a href={`#${t.id}`} className="block rounded px-2 py-1 text-muted-foreground hover:bg-accent hover:text-foreground">
              {t.label}
            </a>
          </li>
        ))}
        {ENDPOINT_GROUPS.map((g) => (
          <li key={g.id} className="mt-2">
            <a href={`#${g.id}`} className="block rounded px-2 py-1 font-medium hover:bg-accent">
              {g.name}
            </a>
            <ul className="grid gap-0.5">
              {g.ops.map((op) => (
                <li key={op.id}>
                  <a
                    href={`#${op.id}`}
                    className="flex items-baseline gap-2 rounded px-2 py-0.5 text-[0.8125rem] text-muted-foreground hover:bg-accent hover:text-foreground"
                  >
                    <span className="w-11 shrink-0 font-mono text-[10px] font-semibold">{op.method}</span>
                    <span>{op.summary}</span>
                  </a>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </nav>
  );
}
