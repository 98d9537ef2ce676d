import { cn } from "@/lib/utils";

/**
 * A top-level section of the page. Its heading links to its own anchor (`id`), so a reader can
 * share the place; the nav links to the same ids.
 */
export function ReferenceSection({
  id,
  title,
  description,
  children,
}: {
  id: string;
  title: string;
  description?: string;
  children: React.ReactNode;
}) {
  const heading = (
    <h3 id={id} className="scroll-mt-20 text-base font-semibold tracking-tight">
      <a href={`#${id}`} className="outline-none hover:underline focus-visible:ring-2 focus-visible:ring-ring">
        {title}
      </a>
    </h3>
  );
  return (
    <section aria-labelledby={id} className="grid gap-4">
      {description ? (
        <div className="grid gap-1">
          {heading}
          <p className="text-sm text-muted-foreground">{description}</p>
        </div>
      ) : (
        heading
      )}
      {children}
    </section>
  );
}

/** Words on the left, code samples beside them on wide screens (below them on narrow ones). */
export function TextAndCode({ text, code, textClassName }: { text: React.ReactNode; code: React.ReactNode; textClassName?: string }) {
  return (
    <div className="grid gap-x-8 gap-y-4 xl:grid-cols-2">
      <div className={cn("grid content-start gap-3", textClassName)}>{text}</div>
      <div className="grid min-w-0 content-start gap-4">{code}</div>
    </div>
  );
}
