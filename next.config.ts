import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships a 15 MB WASM build; bundling it would copy it into the static folder.
  serverExternalPackages: ["@electric-sql/pglite"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
