import { NextResponse, type NextRequest } from "next/server";
import { env } from "@/lib/env";
import { HSTS, contentSecurityPolicy, newNonce, servedOverHttps } from "@/lib/http/console-headers";

// Security headers for the console's pages. The REST API (/api/**) is left out: the production
// server answers it outside Next (lib/api/listener.ts), so headers added here would differ
// between the two transports; its envelopes carry their own (lib/api/envelope.ts).

export function proxy(req: NextRequest) {
  const https = servedOverHttps(req.headers);
  const csp = contentSecurityPolicy(newNonce(), { https, development: env().NODE_ENV === "development" });
  // Next reads the nonce from the request's CSP header and puts it on every script it renders.
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", csp);
  if (https) response.headers.set("strict-transport-security", HSTS);
  return response;
}

export const config = {
  // Pages, not the API, static chunks, image optimisation or the icons.
  matcher: ["/((?!api/|_next/static/|_next/image|favicon\\.ico$|icon\\.svg$).*)"],
};
