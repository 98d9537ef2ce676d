import type { FieldRow } from "./fields";

export function FieldTable({ title, fields }: { title: string; fields: FieldRow[] }) {
  if (fields.length === 0) return null;
  return (
    <div className="grid gap-2">
      <h5 className="text-xs font-semibold tracking-wide text-muted-foreground uppercase">{title}</h5>
      <dl className="divide-y rounded-md border">
        {fields.map((f) => (
          <div key={f.name} className="grid gap-1 px-3 py-2 text-sm">
            <dt className="flex flex-wrap items-baseline gap-x-2">
              <span className="font-mono text-[0.8125rem] font-medium">{f.name}</span>
              <span className="font-mono text-xs text-muted-foreground">{f.type}</span>
              {f.required ? <span className="text-xs font-medium text-warning">required</span> : null}
            </dt>
            {f.description || f.notes.length > 0 ? (
              <dd className="text-[0.8125rem] leading-5 text-muted-foreground">
                {f.description}
                {f.description && f.notes.length > 0 ? " " : null}
                {f.notes.length > 0 ? <span>{f.notes.join(" · ")}.</span> : null}
              </dd>
            ) : null}
          </div>
        ))}
      </dl>
    </div>
  );
}
