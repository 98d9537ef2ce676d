import type { NextConfig } from "next";

// Headers for everything Next serves but the REST API, whose envelopes set their own so that both
// of its transports answer alike (lib/api/envelope.ts). The CSP needs a nonce per page: proxy.ts.
const CONSOLE_HEADERS = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  {
    key: "Permissions-Policy",
    value: "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
  },
];

const nextConfig: NextConfig = {
  // PGlite ships a 15 MB WASM build; bundling it would copy it into the static folder. nodemailer
  // is Node-only (sockets, TLS, child processes for sendmail): loaded from node_modules as it is.
  serverExternalPackages: ["@electric-sql/pglite", "nodemailer"],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [{ source: "/((?!api/).*)", headers: CONSOLE_HEADERS }];
  },
};

export default nextConfig;
