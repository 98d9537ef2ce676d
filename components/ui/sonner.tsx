"use client";

import * as React from "react";
import { Toaster as Sonner, type ToasterProps } from "sonner";

// Sonner's own rich colours fall below 4.5:1 (e.g. its error text on its error background is
// about 4.3:1), so point its variables at the theme tokens, which switch with the colour scheme.
const themeVariables = {
  "--normal-bg": "var(--popover)",
  "--normal-text": "var(--popover-foreground)",
  "--normal-border": "var(--border)",
  "--success-bg": "var(--success-muted)",
  "--success-text": "var(--success)",
  "--success-border": "var(--border)",
  "--warning-bg": "var(--warning-muted)",
  "--warning-text": "var(--warning)",
  "--warning-border": "var(--border)",
  "--error-bg": "var(--destructive-muted)",
  "--error-text": "var(--destructive)",
  "--error-border": "var(--border)",
  "--info-bg": "var(--popover)",
  "--info-text": "var(--popover-foreground)",
  "--info-border": "var(--border)",
} as React.CSSProperties;

/** Mount once in the root layout; call `toast.success(...)` / `toast.error(...)` from "sonner". */
function Toaster({ style, ...props }: ToasterProps) {
  return <Sonner theme="system" richColors closeButton position="bottom-right" style={{ ...themeVariables, ...style }} {...props} />;
}

export { Toaster };
