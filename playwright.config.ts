import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3210);
// The e2e server trusts one proxy hop, so each spec can name its own client address in
// X-Forwarded-For and one spec's failures never spend another's budget. Set here, in the runner,
// so the specs (which inherit this environment) know what the server (which does too) trusts.
process.env.LATCHKEY_TRUSTED_PROXY_HOPS ??= "1";
export const SERVER_LOG = path.join(__dirname, ".e2e", "server.log");

// Where Playwright's own browser cannot be downloaded, the system Chromium is used.
const executablePath = process.env.PLAYWRIGHT_CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./e2e",
  globalTeardown: "./e2e/global-teardown.ts",
  fullyParallel: false,
  // One production server on two cores: one worker keeps the timings honest.
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  timeout: 30_000,
  expect: { timeout: 7_500 },
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  webServer: {
    command: "node scripts/e2e-server.mjs",
    url: `http://127.0.0.1:${port}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: { E2E_PORT: String(port), E2E_SERVER_LOG: SERVER_LOG },
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
