import { z } from "zod";

// Zod probes for eval support with Function("") the first time it parses an object. The console's
// Content-Security-Policy (proxy.ts) forbids eval, so the probe fails harmlessly but is reported
// as a policy violation on every page that validates a form: tell zod not to try.
z.config({ jitless: true });
