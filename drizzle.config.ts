import { defineConfig } from "drizzle-kit";

// Migrations are generated from db/schema and applied by db/migrate.ts at server start.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
});
