// Runs once when a server process starts: secrets, migrations, demo data, then the startup log;
// and hands the REST API listener to the production server (scripts/server.mjs).
export async function register() {
  // Next's own markers, not configuration, so not in lib/env.ts: read the way Next documents it,
  // which lets the edge build of this file leave the Node-only imports below out.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { boot } = await import("./lib/boot");
  await boot();
  const { serveApiRequest } = await import("./lib/api/listener");
  (globalThis as { __latchkeyServeApi?: typeof serveApiRequest }).__latchkeyServeApi = serveApiRequest;
}
