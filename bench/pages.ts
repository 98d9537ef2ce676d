// npx tsx --conditions=react-server bench/pages.ts [--db postgres|pglite|both] [--keys 100000] [--audit 1000000] [--access-logs 200000]
//                        [--runs 20] [--warmup 3] [--only <text>] [--explain slow|all] [--sql <file>] [--wait-idle 90] [--keep]
// On-demand benchmark of the console pages at scale (see bench/README.md): seeds a throwaway
// database with 100,000 keys, 1,000,000 audit events and a busy key's 200,000 access-log rows,
// starts the production server on it, signs in as the Global Admin like a browser, and times
// every page (and its filter / sort variants) one request at a time against the 150 ms target.
// Needs a prior `npm run build`. Never touches a developer's data.
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { and, eq, sql } from "drizzle-orm";
import type { Db, DatabaseKind, OpenDatabase } from "@/db";
import * as schema from "@/db/schema";
import { apiKeys, memberships, users, workspaces, type Role } from "@/db/schema";
import { DEMO_PASSWORD, seedDemo } from "@/db/seed";
import { ensureAccessLogPartitions } from "@/lib/access-log/partitions";
import { accessLogQuerySchema, listAccessLogs, usageByHour } from "@/lib/access-log/query";
import { iterateAllKeys, listAllKeys, listWorkspaceOptions } from "@/lib/admin/keys";
import { getApiKey, listApiKeys, listKeyOwnerOptions } from "@/lib/api-keys/core";
import { iterateAuditEvents, listAuditEvents } from "@/lib/audit/list";
import type { AuditAction } from "@/lib/audit/record";
import { loadSessionUser, resolveWorkspaceContext, type SessionUser } from "@/lib/auth/context";
import { API_KEY_SCOPES, listApiKeysSchema } from "@/lib/validations/api-keys";
import { adminKeyFiltersSchema, auditFiltersSchema, parseFiltersLeniently } from "@/lib/validations/admin";
import { listMembers } from "@/lib/workspaces/core";
import {
  adminUrlFromEnv,
  cleanUpOnSignals,
  DEFAULT_ADMIN_URL,
  fail,
  formatMs,
  interrupted,
  loadAverage,
  percentile,
  positiveInt,
  prepareDatabase,
  printTable,
  requireRepoRootAndBuild,
  round,
  runCleanups,
  startServer,
  writeResults,
  type Server,
  type Target,
} from "./lib";

const TARGET_MS = 150;
const DAY_MS = 86_400_000;
const GLOBAL_ADMIN = "global@latchkey.test";
const EXTRA_USERS = 50;
const AUDIT_CHUNK = 250_000; // rows per `insert … select generate_series` statement (progress + bounded memory)
const IDLE_LOAD = 1.5;
const REQUEST_TIMEOUT_MS = 60_000;
const FULL_EXPORT_RUNS = 3;
const EXPLAIN_SHOW_MS = 10; // print the full plan of statements slower than this

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  databases: DatabaseKind[];
  keys: number;
  audit: number;
  accessLogs: number;
  runs: number;
  warmup: number;
  only: string | null;
  explain: "none" | "slow" | "all";
  waitIdle: number;
  keep: boolean;
  /** SQL run after seeding, before vacuum (analyze): candidate indexes to try before writing a migration. */
  sqlFile: string | null;
  adminUrl: string;
}

const USAGE = `Usage: npx tsx --conditions=react-server bench/pages.ts [options]
  --db postgres|pglite|both  database(s) to measure (default postgres)
  --keys N                   API keys to seed (default 100000)
  --audit N                  audit events to seed (default 1000000)
  --access-logs N            access-log rows of the busy key (default 200000)
  --runs N                   timed requests per page (default 20), after --warmup N (default 3)
  --only TEXT                measure only the pages whose label or path contains TEXT
  --explain slow|all         PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) the queries of the pages over
                             the target (slow) or of every page (all), after measuring
  --sql FILE                 run this SQL after seeding, before vacuum (analyze) — e.g. candidate
                             indexes, to measure them before writing a migration
  --wait-idle S              wait up to S seconds (default 90) for a 1-minute load < ${IDLE_LOAD} before measuring
  --keep                     keep the database afterwards (prints how to drop it)
PostgreSQL runs create a throwaway database on BENCH_ADMIN_URL (default ${DEFAULT_ADMIN_URL}).`;

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: "string", default: "postgres" },
      keys: { type: "string", default: "100000" },
      audit: { type: "string", default: "1000000" },
      "access-logs": { type: "string", default: "200000" },
      runs: { type: "string", default: "20" },
      warmup: { type: "string", default: "3" },
      only: { type: "string" },
      explain: { type: "string" },
      "wait-idle": { type: "string", default: "90" },
      keep: { type: "boolean", default: false },
      sql: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const db = values.db;
  if (db !== "pglite" && db !== "postgres" && db !== "both") fail(`--db must be pglite, postgres or both (got "${db}").`);
  const explain = values.explain ?? "none";
  if (explain !== "none" && explain !== "slow" && explain !== "all") fail(`--explain must be slow or all (got "${explain}").`);
  if (values.sql && !fs.existsSync(values.sql)) fail(`--sql: no such file ${values.sql}.`);
  return {
    databases: db === "both" ? ["pglite", "postgres"] : [db],
    keys: positiveInt("keys", values.keys, 1000),
    audit: positiveInt("audit", values.audit, 1000),
    accessLogs: positiveInt("access-logs", values["access-logs"], 100),
    runs: positiveInt("runs", values.runs, 1),
    warmup: positiveInt("warmup", values.warmup, 0),
    only: values.only ?? null,
    explain,
    waitIdle: positiveInt("wait-idle", values["wait-idle"], 0),
    keep: values.keep,
    sqlFile: values.sql ?? null,
    adminUrl: adminUrlFromEnv(),
  };
}

// ---------------------------------------------------------------------------------------------
// Seeding: demo data, then everything else in bulk SQL (insert … select generate_series).

/** What the page list needs to know about the seeded data. */
interface Fixture {
  busyKeyId: string;
  busyKeyName: string;
  /** The start of one key's display prefix, e.g. "lk_Ab3x". */
  displayPrefix: string;
  /** A name word that many keys start with. */
  nameWord: string;
  /** Part of a seeded user's email. */
  ownerEmailPart: string;
  actorEmail: string;
  counts: { users: number; memberships: number; keys: number; liveKeys: number; auditEvents: number; accessLogs: number };
  seconds: { demo: number; users: number; keys: number; audit: number; accessLogs: number; extraSql: number; vacuumAnalyze: number };
}

const NAME_WORDS = [
  "billing",
  "deploy",
  "reporting",
  "analytics",
  "backup",
  "crm",
  "etl",
  "monitoring",
  "payments",
  "search",
  "inventory",
  "mobile",
  "partner",
  "payroll",
  "sync",
  "webhook",
  "import",
  "export",
  "ci",
  "dashboard",
  "ledger",
  "support",
  "marketing",
  "warehouse",
];
const FIRST_NAMES = ["Alex", "Bo", "Cleo", "Dev", "Eli", "Fay", "Gio", "Hana", "Ivo", "Jun", "Kai", "Lea", "Milo", "Nia", "Oli", "Pia", "Quin"];
const LAST_NAMES = ["Archer", "Brook", "Castell", "Dunn", "Ellis", "Frost", "Grant", "Hale", "Ives", "Joss", "Kerr", "Lund"];
const ROLES: Role[] = ["admin", "manager", "member", "member", "member", "guest"];

/**
 * Audit actions with weights: key edits dominate, membership and settings changes are rare, as
 * in a console that has been used for a year. `revoked_all` and the non-key actions carry no key.
 */
const ACTION_WEIGHTS: Record<AuditAction, number> = {
  "api_key.created": 12,
  "api_key.updated": 20,
  "api_key.enabled": 4,
  "api_key.disabled": 4,
  "api_key.bearer_enabled": 2,
  "api_key.bearer_disabled": 2,
  "api_key.revoked": 8,
  "api_key.revoked_all": 1,
  "api_key.rotated": 3,
  "api_key.expiring": 0,
  "api_key.expired": 0,
  "api_key.quota_threshold": 0,
  "personal_token.created": 3,
  "personal_token.deleted": 2,
  "personal_token.deleted_all": 1,
  "workspace.settings_updated": 1,
  "member.role_changed": 1,
  "member.grant_changed": 1,
  "member.added": 1,
  "member.removed": 1,
  "user.deleted": 1,
  // Account events are left out so the seeded data set (and the recorded figures) stay as they were.
  "user.created": 0,
  "user.disabled": 0,
  "user.enabled": 0,
  "user.password_changed": 0,
  "user.signed_out_everywhere": 0,
  "user.profile_updated": 0,
  "webhook.created": 0,
  "webhook.updated": 0,
  "webhook.deleted": 0,
  "webhook.secret_rotated": 0,
};
const KEYLESS_ACTIONS: AuditAction[] = [
  "api_key.revoked_all",
  "personal_token.deleted_all",
  "workspace.settings_updated",
  "member.role_changed",
  "member.grant_changed",
  "member.added",
  "member.removed",
  "user.deleted",
];

/**
 * A deterministic pseudo-random number in [0, 1) for row `g` of a generate_series and a salt, so
 * every run seeds the same data (random() would not be repeatable across statements).
 */
const rnd = (g: string, salt: number) => sql.raw(`((hashint8(${g}::bigint * 97 + ${salt}) & 2147483647)::float8 / 2147483648.0)`);

async function seedScale(handle: OpenDatabase, opts: Options): Promise<Fixture> {
  const { db } = handle;
  const seconds: Fixture["seconds"] = { demo: 0, users: 0, keys: 0, audit: 0, accessLogs: 0, extraSql: 0, vacuumAnalyze: 0 };
  const step = async <T>(name: keyof Fixture["seconds"], label: string, run: () => Promise<T>): Promise<T> => {
    process.stdout.write(`  ${label} … `);
    const t = performance.now();
    const out = await run();
    seconds[name] = round((performance.now() - t) / 1000, 2);
    console.log(`${seconds[name].toFixed(1)} s`);
    return out;
  };

  await step("demo", "migrations and demo data (seedDemo)", () => seedDemo(db));
  const ws = await db.select({ id: workspaces.id, slug: workspaces.slug }).from(workspaces);
  const wsId = Object.fromEntries(ws.map((w) => [w.slug, w.id]));
  if (!wsId.acme || !wsId.globex) throw new Error('seedDemo did not create workspaces "acme" and "globex".');

  // ~50 more users with memberships in one or both workspaces, so keys and events have varied owners and actors.
  const extra = await step("users", `${EXTRA_USERS} extra users and memberships`, async () => {
    const [global] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.email, GLOBAL_ADMIN));
    const rows = await db
      .insert(users)
      .values(
        Array.from({ length: EXTRA_USERS }, (_, i) => ({
          email: `bench.user${String(i + 1).padStart(2, "0")}@example.test`,
          name: `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[(i * 7) % LAST_NAMES.length]} ${i + 1}`,
          passwordHash: global.passwordHash,
        })),
      )
      .returning({ id: users.id, email: users.email });
    const ms = rows.flatMap((u, i) => {
      const where = i % 5 === 0 ? ["acme", "globex"] : i % 5 < 3 ? ["acme"] : ["globex"];
      return where.map((slug, j) => ({ workspaceId: wsId[slug], userId: u.id, role: ROLES[(i + j) % ROLES.length], canManageApiKeys: i % 4 === 0 }));
    });
    await db.insert(memberships).values(ms);
    return rows;
  });

  const members = await db.select({ userId: memberships.userId, workspaceId: memberships.workspaceId }).from(memberships);
  const ownersOf = (slug: string) => members.filter((m) => m.workspaceId === wsId[slug]).map((m) => m.userId);
  const acmeOwners = ownersOf("acme");
  const globexOwners = ownersOf("globex");
  const [acmeAdmin] = await db.select({ id: users.id }).from(users).where(eq(users.email, "admin@acme.test"));
  const [globexAdmin] = await db.select({ id: users.id }).from(users).where(eq(users.email, "admin@globex.test"));

  // Keys: 60 % acme, 40 % globex; 5 % personal tokens; 8 % service keys (no owner); 10 % revoked,
  // 5 % disabled, 8 % without expiry; created over the last 2 years with lifetimes of 30–730 days
  // (so expiries fall within ±2 years of today); 20 % never used, the rest last used within 120 days.
  await step("keys", `${opts.keys.toLocaleString("en-US")} API keys`, async () => {
    const uuids = (ids: string[]) => sql.raw(`array[${ids.map((id) => `'${id}'`).join(",")}]::uuid[]`);
    const words = sql.raw(`array[${NAME_WORDS.map((w) => `'${w}'`).join(",")}]`);
    const scopes = sql.raw(`array[${API_KEY_SCOPES.map((s) => `'${s}'`).join(",")}]::text[]`);
    const acmeO = uuids(acmeOwners);
    const globexO = uuids(globexOwners);
    const width = String(opts.keys).length;
    await db.execute(sql`
      with src as (
        select g,
          ${rnd("g", 1)} < 0.6 as in_acme,
          ${rnd("g", 2)} as r_kind, ${rnd("g", 3)} as r_owner, ${rnd("g", 4)} as r_revoked,
          ${rnd("g", 5)} as r_enabled, ${rnd("g", 6)} as r_expiry, ${rnd("g", 7)} as r_used,
          now() - ${rnd("g", 8)} * interval '730 days' as created_at
        from generate_series(1, ${opts.keys}::int) g
      ), shaped as (
        select *,
          case when r_kind < 0.05 then 'personal' else 'workspace' end as kind,
          case when in_acme then ${wsId.acme}::uuid else ${wsId.globex}::uuid end as workspace_id,
          case when r_kind >= 0.05 and r_owner < 0.08 then null
               when in_acme then (${acmeO})[1 + floor(r_owner * ${acmeOwners.length})::int]
               else (${globexO})[1 + floor(r_owner * ${globexOwners.length})::int] end as owner_id,
          case when r_expiry < 0.08 then null else created_at + (30 + r_expiry * 700) * interval '1 day' end as expires_at,
          case when r_used < 0.2 then null else greatest(created_at, now() - r_used * interval '120 days') end as last_used_at
        from src
      )
      insert into api_keys (workspace_id, kind, owner_id, name, secret_hash, prefix, scopes, expires_at, enabled,
                            created_by_id, created_at, updated_at, last_used_at, last_used_ip, revoked_at, revoked_by_id)
      select workspace_id, kind::api_key_kind, owner_id,
        initcap((${words})[1 + g % ${NAME_WORDS.length}]) || ' key ' || lpad(g::text, ${width}, '0'),
        encode(sha256(('latchkey-bench-' || g)::bytea), 'hex'),
        'lk_' || substr(translate(encode(sha256(('latchkey-prefix-' || g)::bytea), 'base64'), '+/', 'Qz'), 1, 8) || '…',
        ${scopes}, expires_at, r_enabled >= 0.05,
        coalesce(owner_id, case when in_acme then ${acmeAdmin.id}::uuid else ${globexAdmin.id}::uuid end),
        created_at, coalesce(last_used_at, created_at), last_used_at,
        case when last_used_at is null then null else '10.0.' || (g % 250) || '.' || (g % 199) end,
        case when r_revoked < 0.1 then greatest(created_at, now() - r_revoked * interval '2000 days') end,
        case when r_revoked < 0.1 then coalesce(owner_id, case when in_acme then ${acmeAdmin.id}::uuid else ${globexAdmin.id}::uuid end) end
      from shaped
    `);
  });

  // The busy key: the demo's "Billing sync" in acme (live, active, owned by admin@acme.test).
  const [busy] = await db
    .select({ id: apiKeys.id, name: apiKeys.name, workspaceId: apiKeys.workspaceId })
    .from(apiKeys)
    .where(and(eq(apiKeys.workspaceId, wsId.acme), eq(apiKeys.name, "Billing sync")));
  if (!busy) throw new Error('seedDemo did not create the key "Billing sync" in acme.');

  // Audit events over the last year, each about a random key (its workspace and name at the time).
  await step("audit", `${opts.audit.toLocaleString("en-US")} audit events`, async () => {
    const weighted = Object.entries(ACTION_WEIGHTS).flatMap(([a, w]) => Array<string>(w).fill(a));
    const actions = sql.raw(`array[${weighted.map((a) => `'${a}'`).join(",")}]::text[]`);
    const keyless = sql.raw(`array[${KEYLESS_ACTIONS.map((a) => `'${a}'`).join(",")}]::text[]`);
    const actors = sql.raw(`array[${members.map((m) => `'${m.userId}'`).join(",")}]::uuid[]`);
    // A plain table, not a temporary one: the pool may run the next statement on another connection.
    await db.execute(sql`create table bench_key_list as select (row_number() over (order by id))::int as n, id, workspace_id, name from api_keys`);
    await db.execute(sql`create unique index on bench_key_list (n)`);
    const [{ n: keyCount }] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from bench_key_list`));
    for (let start = 1; start <= opts.audit; start += AUDIT_CHUNK) {
      const end = Math.min(opts.audit, start + AUDIT_CHUNK - 1);
      await db.execute(sql`
        with src as (
          select g, (${actions})[1 + floor(${rnd("g", 11)} * ${weighted.length})::int] as action,
            1 + floor(${rnd("g", 12)} * ${keyCount})::int as key_n,
            ${rnd("g", 13)} as r_actor, ${rnd("g", 14)} as r_via,
            now() - ${rnd("g", 15)} * interval '365 days' as created_at
          from generate_series(${start}::int, ${end}::int) g
        )
        insert into audit_events (workspace_id, actor_user_id, actor_api_key_id, action, api_key_id, target_name,
                                  changes, metadata, ip, user_agent, created_at)
        select k.workspace_id,
          (${actors})[1 + floor(s.r_actor * ${members.length})::int],
          case when s.r_via < 0.1 then k.id end,
          s.action,
          case when s.action = any(${keyless}) then null else k.id end,
          case when s.action = any(${keyless}) then null else k.name end,
          case s.action
            when 'api_key.updated' then jsonb_build_object('description', jsonb_build_object('from', null, 'to', 'Updated ' || s.g))
            when 'api_key.enabled' then '{"enabled":{"from":false,"to":true}}'::jsonb
            when 'api_key.disabled' then '{"enabled":{"from":true,"to":false}}'::jsonb
            when 'api_key.revoked' then jsonb_build_object('revokedAt', jsonb_build_object('from', null, 'to', s.created_at))
          end,
          case when s.action in ('api_key.revoked_all', 'personal_token.deleted_all') then jsonb_build_object('count', 1 + s.g % 40) end,
          '10.' || (s.g % 200) || '.' || (s.g % 97) || '.' || (s.g % 251),
          case when s.r_via < 0.1 then 'latchkey-cli/1.4' else 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0' end,
          s.created_at
        from src s join bench_key_list k on k.n = s.key_n
      `);
      if (process.stdout.isTTY) process.stdout.write(`${end.toLocaleString("en-US")} `);
    }
    await db.execute(sql`drop table bench_key_list`);
  });

  // The busy key's access log: spread over the last 29 days (inside the 30-day retention), 8 % refused.
  await step("accessLogs", `${opts.accessLogs.toLocaleString("en-US")} access-log rows for "${busy.name}"`, async () => {
    await db.execute(sql`
      insert into access_logs (api_key_id, workspace_id, at, method, path, status, duration_ms, reason, ip, integration)
      select ${busy.id}::uuid, ${busy.workspaceId}::uuid,
        now() - ${rnd("g", 21)} * interval '29 days',
        (array['GET','GET','GET','POST','PUT','DELETE'])[1 + g % 6],
        (array['/api/data/me','/api/data/api-keys','/api/data/verify','/api/data/api-keys/search?q=billing','/api/data/me/tokens'])[1 + g % 5],
        case when ${rnd("g", 22)} < 0.08 then (array[401,403,429])[1 + g % 3] else 200 end,
        1 + floor(${rnd("g", 23)} * 120)::int,
        case when ${rnd("g", 22)} < 0.08 then (array['key_disabled','insufficient_scope','rate_limited'])[1 + g % 3] end,
        '203.0.113.' || (g % 250),
        (array['ledger-sync','nightly-export',null])[1 + g % 3]
      from generate_series(1, ${opts.accessLogs}::int) g
    `);
    // Days with no partition yet took these rows in the default partition; the maintenance a
    // running server does moves them into their days' partitions, where 29 days of traffic are.
    await ensureAccessLogPartitions(db, new Date(), 30);
    await db.update(apiKeys).set({ lastUsedAt: new Date(), lastUsedIp: "203.0.113.7" }).where(eq(apiKeys.id, busy.id));
  });

  if (opts.sqlFile) {
    const statements = splitSql(fs.readFileSync(opts.sqlFile, "utf8"));
    await step("extraSql", `--sql ${opts.sqlFile} (${statements.length} statements)`, async () => {
      for (const statement of statements) await db.execute(sql.raw(statement));
    });
  }

  // Fresh statistics and visibility maps, as on a database autovacuum has been looking after.
  await step("vacuumAnalyze", "vacuum (analyze)", () => db.execute(sql`vacuum (analyze)`));

  const [{ prefix }] = await db
    .select({ prefix: apiKeys.prefix })
    .from(apiKeys)
    .where(sql`${apiKeys.name} like ${"%" + String(Math.ceil(opts.keys / 3)).padStart(String(opts.keys).length, "0")}`);
  const count = async (from: string) => rowsOf<{ n: number }>(await db.execute(sql.raw(`select count(*)::int as n from ${from}`)))[0].n;
  return {
    busyKeyId: busy.id,
    busyKeyName: busy.name,
    displayPrefix: prefix.slice(0, 7),
    nameWord: "Pay",
    ownerEmailPart: extra[6].email.split("@")[0],
    actorEmail: extra[11].email,
    counts: {
      users: await count("users"),
      memberships: await count("memberships"),
      keys: await count("api_keys"),
      liveKeys: await count("api_keys where revoked_at is null"),
      auditEvents: await count("audit_events"),
      accessLogs: await count("access_logs"),
    },
    seconds,
  };
}

/**
 * Statements of an SQL file, one at a time (the drivers' extended protocol takes one per call):
 * split at drizzle-kit's `--> statement-breakpoint` and at semicolons that end a line. Enough for
 * DDL such as candidate indexes; not for function bodies with semicolons inside.
 */
function splitSql(text: string): string[] {
  return text
    .split(/-->\s*statement-breakpoint/)
    .flatMap((chunk) => chunk.split(/;[ \t]*(?:--[^\n]*)?$/m))
    .map((st) => st.replace(/^\s*--.*$/gm, "").trim())
    .filter(Boolean);
}

// The rows come back as an array from postgres.js and as { rows } from PGlite.
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

// ---------------------------------------------------------------------------------------------
// The pages

/** Lib calls that stand for a page's own queries, for --explain (the shell's few lookups are left out). */
type QueryRun = (db: Db, who: { user: SessionUser }) => Promise<unknown>;

interface Page {
  group: string;
  label: string;
  path: string;
  /** Text the HTML must contain (besides HTTP 200). */
  mustContain: string[];
  queries: QueryRun;
}

interface ExportEndpoint {
  label: string;
  path: string;
  queries: QueryRun;
}

const asRecord = (qs: string): Record<string, string> => Object.fromEntries(new URLSearchParams(qs));
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

function adminKeysPage(label: string, qs: string): Page {
  return {
    group: "/admin/keys",
    label,
    path: `/admin/keys${qs ? `?${qs}` : ""}`,
    mustContain: ["<table", "<tbody"],
    queries: async (db, { user }) => {
      const { filters } = parseFiltersLeniently(adminKeyFiltersSchema, asRecord(qs));
      await Promise.all([listAllKeys(db, user, filters), listWorkspaceOptions(db, user)]);
    },
  };
}

function adminAuditPage(label: string, qs: string): Page {
  return {
    group: "/admin/audit",
    label,
    path: `/admin/audit${qs ? `?${qs}` : ""}`,
    mustContain: ["<table", "<tbody"],
    queries: async (db, { user }) => {
      const { filters } = parseFiltersLeniently(auditFiltersSchema, asRecord(qs));
      await Promise.all([listAuditEvents(db, { all: true, principal: user }, filters), listWorkspaceOptions(db, user)]);
    },
  };
}

async function acmeContext(db: Db, user: SessionUser) {
  return resolveWorkspaceContext(db, { user, slug: "acme" });
}

function workspaceAuditPage(label: string, qs: string): Page {
  return {
    group: "/w/acme/audit",
    label,
    path: `/w/acme/audit${qs ? `?${qs}` : ""}`,
    mustContain: ["<table", "<tbody"],
    queries: async (db, { user }) => {
      const ctx = await acmeContext(db, user);
      const { filters } = parseFiltersLeniently(auditFiltersSchema, { ...asRecord(qs), workspace: undefined });
      await listAuditEvents(db, { workspaceId: ctx.workspace.id, principal: ctx }, filters);
    },
  };
}

function apiTabPage(label: string, qs: string): Page {
  return {
    group: "/w/acme/account/api",
    label,
    path: `/w/acme/account/api${qs ? `?${qs}` : ""}`,
    mustContain: ["<table", "<tbody"],
    queries: async (db, { user }) => {
      const ctx = await acmeContext(db, user);
      const parsed = listApiKeysSchema.safeParse(asRecord(qs));
      await Promise.all([listApiKeys(db, ctx, parsed.success ? parsed.data : {}), listKeyOwnerOptions(db, ctx)]);
    },
  };
}

function keyDetailPage(label: string, fixture: Fixture, qs: string): Page {
  return {
    group: "/w/acme/account/api/<id>",
    label,
    path: `/w/acme/account/api/${fixture.busyKeyId}${qs ? `?${qs}` : ""}`,
    mustContain: [fixture.busyKeyName, "Usage, last 7 days", "<table"],
    queries: async (db, { user }) => {
      const ctx = await acmeContext(db, user);
      await getApiKey(db, ctx, fixture.busyKeyId);
      const query = accessLogQuerySchema.parse(asRecord(qs));
      await Promise.all([listAccessLogs(db, ctx, fixture.busyKeyId, query), usageByHour(db, ctx, fixture.busyKeyId)]);
    },
  };
}

function pagesFor(f: Fixture): Page[] {
  return [
    adminKeysPage("default (live keys, newest first)", ""),
    adminKeysPage("state=expired", "state=expired"),
    adminKeysPage("state=revoked", "state=revoked"),
    adminKeysPage("expiring within 30 days", "expiringWithin=30"),
    adminKeysPage("idle for 90 days", "idleFor=90"),
    adminKeysPage("never used", "neverUsed=1"),
    adminKeysPage("no expiry", "noExpiry=1"),
    adminKeysPage(`q=${f.displayPrefix} (display prefix)`, `q=${encodeURIComponent(f.displayPrefix)}`),
    adminKeysPage(`q=${f.nameWord} (name prefix)`, `q=${f.nameWord}`),
    adminKeysPage(`owner=${f.ownerEmailPart}`, `owner=${f.ownerEmailPart}`),
    adminKeysPage("workspace=globex, state=all", "workspace=globex&state=all"),
    adminKeysPage("sort=name asc", "sort=name&dir=asc"),
    adminKeysPage("sort=owner", "sort=owner"),
    adminKeysPage("sort=workspace", "sort=workspace"),
    adminKeysPage("sort=expires", "sort=expires"),
    adminKeysPage("sort=lastUsed", "sort=lastUsed"),
    adminKeysPage("sort=lastUsed asc", "sort=lastUsed&dir=asc"),
    adminKeysPage("sort=expires desc", "sort=expires&dir=desc"),
    adminKeysPage("page=500", "page=500"),

    adminAuditPage("default (newest first)", ""),
    adminAuditPage("action=api_key.revoked", "action=api_key.revoked"),
    adminAuditPage("action=member.added (rare)", "action=member.added"),
    adminAuditPage(`actor=${f.actorEmail}`, `actor=${encodeURIComponent(f.actorEmail)}`),
    adminAuditPage(`from=${daysAgo(30)}`, `from=${daysAgo(30)}`),
    adminAuditPage("one week, 6 months ago", `from=${daysAgo(190)}&to=${daysAgo(183)}`),
    adminAuditPage(`key=${f.nameWord.toLowerCase()} (name prefix)`, `key=${f.nameWord.toLowerCase()}`),
    adminAuditPage(`key=<id of "${f.busyKeyName}">`, `key=${f.busyKeyId}`),
    adminAuditPage("workspace=globex", "workspace=globex"),
    adminAuditPage("oldest first", "dir=asc"),
    adminAuditPage("page=100", "page=100"),

    workspaceAuditPage("default (newest first)", ""),
    workspaceAuditPage("action=api_key.disabled", "action=api_key.disabled"),
    workspaceAuditPage(`actor=${f.actorEmail}`, `actor=${encodeURIComponent(f.actorEmail)}`),
    workspaceAuditPage(`from=${daysAgo(7)}`, `from=${daysAgo(7)}`),

    apiTabPage("default (newest first)", ""),
    apiTabPage("sort=name asc", "sort=name&dir=asc"),
    apiTabPage("sort=owner", "sort=owner"),
    apiTabPage("sort=lastUsed", "sort=lastUsed"),
    apiTabPage("page=500", "page=500"),

    keyDetailPage(`busy key (${f.counts.accessLogs.toLocaleString("en-US")} log rows), default 7d`, f, ""),
    keyDetailPage("status=refused, range=30d", f, "status=refused&range=30d"),
    keyDetailPage("range=24h, page=20", f, "range=24h&page=20"),

    {
      group: "/w/acme/settings",
      label: "members and settings",
      path: "/w/acme/settings",
      mustContain: ["<table", "<tbody"],
      queries: async (db, { user }) => listMembers(db, await acmeContext(db, user)),
    },
  ];
}

async function firstBatch<T>(it: AsyncGenerator<T[]>): Promise<void> {
  await it.next();
  await it.return(undefined);
}

function exportsFor(): ExportEndpoint[] {
  return [
    { label: "keys CSV (all live keys)", path: "/admin/keys/export", queries: (db, { user }) => firstBatch(iterateAllKeys(db, user, {})) },
    {
      label: "keys CSV, state=expired",
      path: "/admin/keys/export?state=expired",
      queries: (db, { user }) => firstBatch(iterateAllKeys(db, user, { state: "expired" })),
    },
    {
      label: "audit CSV (everything)",
      path: "/admin/audit/export",
      queries: (db, { user }) => firstBatch(iterateAuditEvents(db, { all: true, principal: user })),
    },
    {
      label: "audit CSV, action=api_key.revoked",
      path: "/admin/audit/export?action=api_key.revoked",
      queries: (db, { user }) => firstBatch(iterateAuditEvents(db, { all: true, principal: user }, { action: "api_key.revoked" })),
    },
    {
      label: "workspace audit CSV (acme)",
      path: "/w/acme/audit/export",
      queries: async (db, { user }) => {
        const ctx = await acmeContext(db, user);
        await firstBatch(iterateAuditEvents(db, { workspaceId: ctx.workspace.id, principal: ctx }));
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Signing in the way a browser does (Auth.js v5 credentials)

class CookieJar {
  private cookies = new Map<string, string>();

  absorb(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";", 1)[0];
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /;\s*max-age=0\b/i.test(line) || /;\s*expires=Thu, 01 Jan 1970/i.test(line);
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  has(pattern: RegExp): boolean {
    return [...this.cookies.keys()].some((name) => pattern.test(name));
  }

  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join("; ");
  }
}

/** GET /api/auth/csrf, then POST the credentials form; returns the Cookie header of the session. */
async function signIn(server: Server, email: string, password: string): Promise<string> {
  const jar = new CookieJar();
  const csrfRes = await fetch(`${server.baseUrl}/api/auth/csrf`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  jar.absorb(csrfRes);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken?: string };
  if (!csrfToken) throw new Error(`GET /api/auth/csrf returned no csrfToken (HTTP ${csrfRes.status}).`);

  const res = await fetch(`${server.baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header() },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${server.baseUrl}/admin/keys` }).toString(),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await res.arrayBuffer();
  jar.absorb(res);
  if (!jar.has(/session-token/))
    throw new Error(
      `signing in as ${email} set no session cookie (HTTP ${res.status}, location ${res.headers.get("location") ?? "none"}).\n${server.logTail()}`,
    );

  const check = await fetch(`${server.baseUrl}/admin/keys`, { headers: { cookie: jar.header() }, redirect: "manual" });
  const html = await check.text();
  if (check.status !== 200 || !html.includes("<table"))
    throw new Error(`signed in, but GET /admin/keys answered HTTP ${check.status} without the keys table.\n${server.logTail()}`);
  return jar.header();
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Sample {
  totalMs: number;
  ttfbMs: number;
}

interface PageResult {
  group: string;
  label: string;
  path: string;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  minMs: number;
  ttfbP50Ms: number;
  bytes: number;
  metTarget: boolean;
}

interface ExportResult {
  label: string;
  path: string;
  runs: number;
  /** Response headers and first body chunk (the CSV header row). */
  ttfbP50Ms: number;
  ttfbP95Ms: number;
  ttfbMaxMs: number;
  /** Until the first data row arrived (the first batch query has run). */
  firstRowP50Ms: number;
  firstRowP95Ms: number;
  firstRowMaxMs: number;
}

interface FullExportResult {
  path: string;
  runs: number;
  rows: number;
  bytes: number;
  totalMs: number[];
  medianMs: number;
}

/** One GET: time to the response headers and to the end of the body. */
async function timePage(server: Server, cookie: string, page: Page): Promise<Sample & { bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(server.baseUrl + page.path, { headers: { cookie }, redirect: "manual", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const tHeaders = performance.now();
  const body = await res.text();
  const t1 = performance.now();
  if (res.status !== 200)
    throw new Error(
      `${page.path} answered HTTP ${res.status}${res.headers.get("location") ? ` → ${res.headers.get("location")}` : ""}.\n${server.logTail()}`,
    );
  const missing = page.mustContain.filter((s) => !body.includes(s));
  if (missing.length) throw new Error(`${page.path}: the HTML lacks ${missing.map((m) => JSON.stringify(m)).join(", ")}.`);
  return { totalMs: t1 - t0, ttfbMs: tHeaders - t0, bytes: Buffer.byteLength(body) };
}

async function measurePage(server: Server, cookie: string, page: Page, opts: Options): Promise<PageResult> {
  for (let i = 0; i < opts.warmup; i++) await timePage(server, cookie, page);
  const samples: Sample[] = [];
  let bytes = 0;
  for (let i = 0; i < opts.runs; i++) {
    const s = await timePage(server, cookie, page);
    samples.push(s);
    bytes = s.bytes;
  }
  const total = samples.map((s) => s.totalMs).sort((a, b) => a - b);
  const ttfb = samples.map((s) => s.ttfbMs).sort((a, b) => a - b);
  const p95 = percentile(total, 0.95);
  return {
    group: page.group,
    label: page.label,
    path: page.path,
    runs: samples.length,
    p50Ms: round(percentile(total, 0.5), 1),
    p95Ms: round(p95, 1),
    maxMs: round(total[total.length - 1], 1),
    minMs: round(total[0], 1),
    ttfbP50Ms: round(percentile(ttfb, 0.5), 1),
    bytes,
    metTarget: p95 < TARGET_MS,
  };
}

/** One export GET read until the first data row, then cancelled. */
async function timeExportStart(server: Server, cookie: string, path: string): Promise<{ ttfbMs: number; firstRowMs: number }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const t0 = performance.now();
  try {
    const res = await fetch(server.baseUrl + path, { headers: { cookie }, redirect: "manual", signal: controller.signal });
    if (res.status !== 200 || !res.headers.get("content-type")?.startsWith("text/csv"))
      throw new Error(`${path} answered HTTP ${res.status} (${res.headers.get("content-type")}).\n${server.logTail()}`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let ttfbMs = NaN;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (Number.isNaN(ttfbMs)) ttfbMs = performance.now() - t0;
      text += decoder.decode(value, { stream: true });
      // The header row ends with the first CRLF; a second one means a full data row.
      const first = text.indexOf("\r\n");
      if (first >= 0 && text.indexOf("\r\n", first + 2) >= 0) break;
    }
    const firstRowMs = performance.now() - t0;
    await reader.cancel().catch(() => {});
    if (!text.includes("\r\n")) throw new Error(`${path}: the CSV has no header row.`);
    return { ttfbMs, firstRowMs };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function measureExportStart(server: Server, cookie: string, ep: ExportEndpoint, opts: Options): Promise<ExportResult> {
  for (let i = 0; i < opts.warmup; i++) await timeExportStart(server, cookie, ep.path);
  const samples: { ttfbMs: number; firstRowMs: number }[] = [];
  for (let i = 0; i < opts.runs; i++) samples.push(await timeExportStart(server, cookie, ep.path));
  const ttfb = samples.map((s) => s.ttfbMs).sort((a, b) => a - b);
  const firstRow = samples.map((s) => s.firstRowMs).sort((a, b) => a - b);
  return {
    label: ep.label,
    path: ep.path,
    runs: samples.length,
    ttfbP50Ms: round(percentile(ttfb, 0.5), 1),
    ttfbP95Ms: round(percentile(ttfb, 0.95), 1),
    ttfbMaxMs: round(ttfb[ttfb.length - 1], 1),
    firstRowP50Ms: round(percentile(firstRow, 0.5), 1),
    firstRowP95Ms: round(percentile(firstRow, 0.95), 1),
    firstRowMaxMs: round(firstRow[firstRow.length - 1], 1),
  };
}

/** The whole keys export, read to the end; checks its row count against the live keys. */
async function measureFullExport(server: Server, cookie: string, path: string, expectedRows: number): Promise<FullExportResult> {
  const totals: number[] = [];
  let rows = 0;
  let bytes = 0;
  for (let i = 0; i < FULL_EXPORT_RUNS; i++) {
    const t0 = performance.now();
    const res = await fetch(server.baseUrl + path, { headers: { cookie }, redirect: "manual", signal: AbortSignal.timeout(10 * REQUEST_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`${path} answered HTTP ${res.status}.\n${server.logTail()}`);
    const body = await res.text();
    totals.push(round(performance.now() - t0, 1));
    bytes = Buffer.byteLength(body);
    rows = body.split("\r\n").length - 2; // minus the header row and the empty string after the last CRLF
  }
  if (rows !== expectedRows) throw new Error(`${path} returned ${rows} rows; the database holds ${expectedRows} live keys.`);
  const sorted = [...totals].sort((a, b) => a - b);
  return { path, runs: totals.length, rows, bytes, totalMs: totals, medianMs: percentile(sorted, 0.5) };
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN (ANALYZE, BUFFERS) of a page's queries (PostgreSQL only)

interface ExplainedStatement {
  sql: string;
  params: unknown[];
  executionMs: number;
  planningMs: number;
  plan: string;
}

interface ExplainResult {
  label: string;
  path: string;
  statements: ExplainedStatement[];
}

/**
 * Runs the lib functions behind each page on a drizzle handle that records the SQL they send,
 * then runs EXPLAIN (ANALYZE, BUFFERS) on each recorded statement with its parameters.
 */
async function explainPages(url: string, items: { label: string; path: string; queries: QueryRun }[]): Promise<ExplainResult[]> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const captured: { sql: string; params: unknown[] }[] = [];
  const db = drizzle(client, {
    schema,
    logger: { logQuery: (query: string, params: unknown[]) => captured.push({ sql: query, params }) },
  }) as unknown as Db;
  const out: ExplainResult[] = [];
  try {
    const [global] = await db.select({ id: users.id }).from(users).where(eq(users.email, GLOBAL_ADMIN));
    const user = await loadSessionUser(db, global.id);
    if (!user) throw new Error("the Global Admin is missing.");
    for (const item of items) {
      captured.length = 0;
      await item.queries(db, { user });
      const seen = new Set<string>();
      const statements: ExplainedStatement[] = [];
      for (const q of [...captured]) {
        const id = q.sql + JSON.stringify(q.params);
        // Skip the permission look-ups every page makes (workspace context, the key's own row).
        if (
          seen.has(id) ||
          /from "workspaces" left join "memberships"/.test(q.sql) ||
          /^select "id", "email", "name", "is_global_admin" from "users"/.test(q.sql)
        )
          continue;
        seen.add(id);
        const rows = await client.unsafe(`explain (analyze, buffers) ${q.sql}`, q.params as never[]);
        const plan = rows.map((r) => String((r as Record<string, unknown>)["QUERY PLAN"])).join("\n");
        const ms = (re: RegExp) => Number(re.exec(plan)?.[1] ?? NaN);
        statements.push({
          sql: q.sql,
          params: q.params,
          executionMs: ms(/Execution Time: ([\d.]+) ms/),
          planningMs: ms(/Planning Time: ([\d.]+) ms/),
          plan,
        });
      }
      out.push({ label: item.label, path: item.path, statements });
    }
  } finally {
    await client.end({ timeout: 5 });
  }
  return out;
}

function printExplain(results: ExplainResult[]): void {
  for (const r of results) {
    console.log(`\n--- EXPLAIN: ${r.path}  (${r.label})`);
    for (const s of r.statements) {
      const head = s.sql.replace(/\s+/g, " ").slice(0, 150);
      console.log(`  ${formatMs(s.executionMs)} ms exec + ${formatMs(s.planningMs)} ms plan · ${head}${s.sql.length > 150 ? "…" : ""}`);
      if (s.executionMs >= EXPLAIN_SHOW_MS) {
        console.log(`    params: ${JSON.stringify(s.params)}`);
        for (const line of s.plan.split("\n")) console.log(`    | ${line}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One database end to end

interface DatabaseResult {
  database: DatabaseKind;
  seed: Omit<Fixture, "seconds" | "counts"> & { counts: Fixture["counts"]; seconds: Fixture["seconds"]; totalSeconds: number };
  serverStartSeconds: number;
  loadBefore: [number, number, number];
  loadAfter: [number, number, number];
  pages: PageResult[];
  exports: ExportResult[];
  fullKeysExport: FullExportResult | null;
  explain: ExplainResult[];
  targetMet: boolean;
}

async function waitForIdle(maxSeconds: number): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  let load = os.loadavg()[0];
  if (load < IDLE_LOAD || maxSeconds === 0) return;
  process.stdout.write(`  load ${load.toFixed(2)}: waiting up to ${maxSeconds} s for < ${IDLE_LOAD} … `);
  while (load >= IDLE_LOAD && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5_000));
    load = os.loadavg()[0];
  }
  console.log(load < IDLE_LOAD ? `idle (${load.toFixed(2)})` : `still ${load.toFixed(2)}; measuring anyway (see the load in the results)`);
}

async function benchDatabase(kind: DatabaseKind, opts: Options): Promise<DatabaseResult> {
  console.log(`\n== ${kind === "pglite" ? "PGlite (embedded)" : "PostgreSQL"} ==`);
  try {
    const target: Target = await prepareDatabase(kind, opts.adminUrl, { keep: opts.keep });
    console.log(`  database: ${target.location}`);

    let t = performance.now();
    const handle = await target.open();
    let fixture: Fixture;
    try {
      fixture = await seedScale(handle, opts);
    } finally {
      await handle.close(); // PGlite allows one process per directory
    }
    const seedSeconds = (performance.now() - t) / 1000;
    const c = fixture.counts;
    console.log(
      `  seeded in ${seedSeconds.toFixed(1)} s: ${c.keys.toLocaleString("en-US")} keys, ${c.auditEvents.toLocaleString("en-US")} audit events, ` +
        `${c.accessLogs.toLocaleString("en-US")} access-log rows, ${c.users} users, ${c.memberships} memberships`,
    );

    t = performance.now();
    const server = await startServer(target);
    const serverStartSeconds = (performance.now() - t) / 1000;
    console.log(`  server healthy on ${server.baseUrl} after ${serverStartSeconds.toFixed(1)} s`);
    const cookie = await signIn(server, GLOBAL_ADMIN, DEMO_PASSWORD);
    console.log(`  signed in as ${GLOBAL_ADMIN}; /admin/keys answers 200 with the table`);

    const matches = (x: { label: string; path: string }) => !opts.only || x.label.includes(opts.only) || x.path.includes(opts.only);
    const pages = pagesFor(fixture).filter(matches);
    const exportsList = exportsFor().filter(matches);

    await waitForIdle(opts.waitIdle);
    const loadBefore = loadAverage();
    console.log(`  load average before measuring: ${loadBefore.join(", ")}`);

    const pageResults: PageResult[] = [];
    for (const page of pages) {
      process.stdout.write(`  ${page.path} … `);
      const r = await measurePage(server, cookie, page, opts);
      console.log(`p50 ${formatMs(r.p50Ms)} ms, p95 ${formatMs(r.p95Ms)} ms ${r.metTarget ? "✓" : "✗"}`);
      pageResults.push(r);
    }
    const exportResults: ExportResult[] = [];
    for (const ep of exportsList) {
      process.stdout.write(`  ${ep.path} (first row) … `);
      const r = await measureExportStart(server, cookie, ep, opts);
      console.log(`TTFB p50 ${formatMs(r.ttfbP50Ms)} ms, first row p50 ${formatMs(r.firstRowP50Ms)} ms`);
      exportResults.push(r);
    }
    let fullKeysExport: FullExportResult | null = null;
    if (!opts.only || matches({ label: "keys CSV (all live keys)", path: "/admin/keys/export" })) {
      process.stdout.write(`  /admin/keys/export in full, ${FULL_EXPORT_RUNS} times … `);
      fullKeysExport = await measureFullExport(server, cookie, "/admin/keys/export", fixture.counts.liveKeys);
      console.log(`${fullKeysExport.rows.toLocaleString("en-US")} rows, median ${(fullKeysExport.medianMs / 1000).toFixed(2)} s`);
    }
    const loadAfter = loadAverage();

    let explain: ExplainResult[] = [];
    if (opts.explain !== "none") {
      if (kind !== "postgres" || !target.url) console.log("  --explain needs PostgreSQL (PGlite is locked by the server): skipped");
      else {
        const slow = new Set(pageResults.filter((r) => !r.metTarget).map((r) => r.path));
        const chosen = [...pages, ...exportsList].filter((p) => opts.explain === "all" || slow.has(p.path));
        if (chosen.length) explain = await explainPages(target.url, chosen);
      }
    }

    const { counts, seconds, ...rest } = fixture;
    return {
      database: kind,
      seed: { ...rest, counts, seconds, totalSeconds: round(seedSeconds, 2) },
      serverStartSeconds: round(serverStartSeconds, 2),
      loadBefore,
      loadAfter,
      pages: pageResults,
      exports: exportResults,
      fullKeysExport,
      explain,
      targetMet: pageResults.every((r) => r.metTarget),
    };
  } finally {
    await runCleanups();
  }
}

function printResults(r: DatabaseResult, opts: Options): void {
  const c = r.seed.counts;
  console.log(
    `\n${r.database}: ${c.keys.toLocaleString("en-US")} keys, ${c.auditEvents.toLocaleString("en-US")} audit events, ` +
      `${c.accessLogs.toLocaleString("en-US")} access-log rows; ${opts.runs} sequential requests per page after ${opts.warmup} warm-up; ` +
      `load ${r.loadBefore[0]} → ${r.loadAfter[0]}`,
  );
  printTable(
    ["page", "variant", "TTFB p50", "p50 ms", "p95 ms", "max ms", `p95 < ${TARGET_MS}`],
    r.pages.map((p) => [p.group, p.label, formatMs(p.ttfbP50Ms), formatMs(p.p50Ms), formatMs(p.p95Ms), formatMs(p.maxMs), p.metTarget ? "✓" : "✗"]),
  );
  const over = r.pages.filter((p) => !p.metTarget);
  console.log(
    `target: every page p95 < ${TARGET_MS} ms — ${r.targetMet ? "MET" : `NOT MET (${over.length} of ${r.pages.length} over: ${over.map((p) => p.path).join(", ")})`}`,
  );
  if (r.exports.length) {
    console.log("\nCSV exports (not subject to the target): time to first byte and to the first data row");
    printTable(
      ["export", "TTFB p50", "TTFB p95", "1st row p50", "1st row p95", "1st row max"],
      r.exports.map((e) => [
        e.path,
        formatMs(e.ttfbP50Ms),
        formatMs(e.ttfbP95Ms),
        formatMs(e.firstRowP50Ms),
        formatMs(e.firstRowP95Ms),
        formatMs(e.firstRowMaxMs),
      ]),
    );
  }
  if (r.fullKeysExport) {
    const f = r.fullKeysExport;
    console.log(
      `\nfull keys export ${f.path}: ${f.rows.toLocaleString("en-US")} rows, ${(f.bytes / 2 ** 20).toFixed(1)} MiB, ` +
        `${f.totalMs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(" / ")} (median ${(f.medianMs / 1000).toFixed(2)} s)`,
    );
  }
  if (r.explain.length) printExplain(r.explain);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  requireRepoRootAndBuild("bench/pages.ts");
  cleanUpOnSignals();
  console.log(
    `Latchkey console pages benchmark: ${opts.databases.join(" + ")}, ${opts.keys.toLocaleString("en-US")} keys, ` +
      `${opts.audit.toLocaleString("en-US")} audit events, ${opts.accessLogs.toLocaleString("en-US")} access-log rows; ` +
      `target p95 < ${TARGET_MS} ms per page. ${os.cpus().length} CPUs shared by the client, the server and the database; ` +
      `load average now ${loadAverage().join(", ")}.`,
  );
  const startedAt = new Date();
  const results: DatabaseResult[] = [];
  let error: string | null = null;
  try {
    for (const kind of opts.databases) {
      const result = await benchDatabase(kind, opts);
      results.push(result);
      printResults(result, opts);
    }
  } catch (err) {
    error = (err as Error).message;
  }
  if (interrupted()) return;
  if (results.length > 0 || error) {
    const options = {
      keys: opts.keys,
      audit: opts.audit,
      accessLogs: opts.accessLogs,
      runs: opts.runs,
      warmup: opts.warmup,
      only: opts.only,
      explain: opts.explain,
      sql: opts.sqlFile ? { file: opts.sqlFile, text: fs.readFileSync(opts.sqlFile, "utf8") } : null,
      targetMs: TARGET_MS,
      postgresSettings: await postgresSettings(opts).catch(() => null),
    };
    console.log(`\nresults: ${writeResults("pages-", startedAt, { benchmark: "pages", options, results, error })}`);
  }
  if (error) {
    console.error(`\nbench: FAILED: ${error}`);
    process.exitCode = 1;
  }
}

/** The server settings that shape the plans (for the results file). */
async function postgresSettings(opts: Options): Promise<Record<string, string> | null> {
  if (!opts.databases.includes("postgres")) return null;
  const { default: postgres } = await import("postgres");
  const client = postgres(opts.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await client<{ name: string; setting: string }[]>`
      select name, current_setting(name) as setting from pg_settings
      where name in ('server_version', 'shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit', 'max_parallel_workers_per_gather')`;
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end({ timeout: 5 });
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await runCleanups();
  process.exitCode = 1;
});
