import { Badge, type BadgeVariant } from "@/components/ui/badge";
import type { HttpMethod } from "@/lib/api/operations";

const METHOD_VARIANT: Record<HttpMethod, BadgeVariant> = {
  GET: "success",
  POST: "default",
  PATCH: "warning",
  DELETE: "destructive",
};

export function MethodBadge({ method }: { method: HttpMethod }) {
  return (
    <Badge variant={METHOD_VARIANT[method]} className="w-16 font-mono text-[11px] tracking-wide">
      {method}
    </Badge>
  );
}
