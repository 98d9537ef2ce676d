"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { UsageBucket } from "@/lib/access-log/query";

const dayLabel = (iso: string) => new Date(iso).toLocaleDateString("en", { weekday: "short", day: "numeric", timeZone: "UTC" });
const hourLabel = (iso: string) =>
  new Date(iso).toLocaleString("en", { weekday: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "UTC", hour12: false }) +
  " UTC";

/** Requests per hour (stacked: succeeded, refused). The table below the chart carries the same data for screen readers. */
export function UsageChart({ data }: { data: UsageBucket[] }) {
  const total = data.reduce((n, b) => n + b.success + b.refused, 0);
  const refused = data.reduce((n, b) => n + b.refused, 0);
  return (
    <figure>
      <div
        className="h-56 w-full"
        data-testid="usage-chart"
        role="img"
        aria-label={`Requests per hour over 7 days: ${total} in all, ${refused} refused.`}
      >
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis
              dataKey="hour"
              tickFormatter={dayLabel}
              interval={23}
              tick={{ fontSize: 12, fill: "var(--muted-foreground)" }}
              tickLine={false}
              axisLine={false}
            />
            <YAxis allowDecimals={false} tick={{ fontSize: 12, fill: "var(--muted-foreground)" }} tickLine={false} axisLine={false} />
            <Tooltip
              labelFormatter={(v) => hourLabel(String(v))}
              contentStyle={{ background: "var(--popover)", border: "1px solid var(--border)", borderRadius: 6, fontSize: 12 }}
              cursor={{ fill: "var(--muted)" }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="success" name="Succeeded" stackId="r" fill="var(--primary)" isAnimationActive={false} />
            <Bar dataKey="refused" name="Refused" stackId="r" fill="var(--destructive)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="sr-only">
        {total === 0 ? "No requests in the last 7 days." : `${total} requests in the last 7 days, ${refused} of them refused.`}
      </figcaption>
    </figure>
  );
}
