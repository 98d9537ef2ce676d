// Reads a V8 .cpuprofile (node --cpu-prof) for bench/api.ts --profile: self time per function,
// optionally only for the samples taken in a time window (the load, not the server's start-up).
// Next's server chunks are minified, so each function is mapped through its chunk's source map
// (node:module's SourceMap; Next writes <chunk>.js.map beside each) to the original file, line
// and name — otherwise the top of the list would read "u .next/server/chunks/_1grb….js:6".
import fs from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./lib";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  /** The original function name where the source map or source line gives one, else V8's. */
  name: string;
  /**
   * Original file:line (relative to the repository), or V8's url:line when there is no map. A
   * native function (a V8 builtin or a C++ binding, such as a socket's writeBuffer) has none: it is
   * named by its nearest JavaScript caller instead, "← name file:line", followed by its first
   * caller outside node's own modules, "… ← name file:line", and counted per caller.
   */
  location: string;
  /** Samples whose top frame was this function (its hitCount, summed over its nodes). */
  samples: number;
  /** Share of the busy (non-idle) samples, %. */
  sharePct: number;
  /** Its share of the process's CPU time per request, µs (when that was given). */
  usPerRequest: number | null;
}

export interface ProfileSummary {
  /** The span the samples cover, ms. */
  windowMs: number;
  /** Whether the samples were limited to the requested window (false: the whole profile). */
  windowed: boolean;
  samples: number;
  /** Samples with something on the stack: all but "(idle)". */
  busySamples: number;
  gcSamples: number;
  top: FunctionCost[];
  /**
   * Busy samples by origin: a file of the repository, a package, or node's internals; a native
   * function counts with its first caller outside node's own modules.
   */
  byOrigin: { origin: string; samples: number; sharePct: number; usPerRequest: number | null }[];
}

/** The profile a `--cpu-prof` process wrote for its main thread (CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile). */
export function findMainThreadProfile(dir: string, pid: number): string | null {
  const mine = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile") && f.split(".")[3] === String(pid) && f.split(".")[4] === "0");
  return mine.length > 0 ? path.join(dir, mine.sort().at(-1)!) : null;
}

/**
 * Self time per function, counted in samples (V8 samples the main thread every --cpu-prof-interval,
 * 1 ms by default; counting samples rather than the time between them keeps a gap in sampling,
 * such as the process waiting for a CPU on a busy machine, from being charged to whatever ran
 * last). `window` ([from, to] in µs of the monotonic clock, as process.hrtime.bigint() / 1000n
 * reads it: V8 stamps its samples on the same clock) limits them to the load; without it, or if
 * it does not overlap the profile, all count. `cpuMsPerRequest` (the process's CPU time per
 * request over the window) turns each share into µs per request.
 */
export function summariseProfile(file: string, top: number, window?: [number, number], cpuMsPerRequest?: number): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const overlaps = window !== undefined && window[0] < profile.endTime && window[1] > profile.startTime;
  const [from, to] = overlaps ? window : [profile.startTime, profile.endTime];

  const hits = new Map<number, number>();
  let t = profile.startTime;
  let samples = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const id = profile.samples[i];
    hits.set(id, (hits.get(id) ?? 0) + 1);
    samples++;
  }

  const mapper = new FrameMapper();
  const callerOf = (start: number | undefined, accept: (url: string) => boolean) => {
    let up = start;
    while (up !== undefined && !accept(byId.get(up)!.callFrame.url)) up = parent.get(up);
    return up;
  };
  const functions = new Map<string, { name: string; location: string; samples: number }>();
  const origins = new Map<string, number>();
  let busy = 0;
  let gc = 0;
  for (const [id, count] of hits) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    busy += count;
    if (frame.functionName === "(garbage collector)") gc += count;
    const described = mapper.describe(frame);
    const name = described.name;
    let { location, origin } = described;
    if (!frame.url && !frame.functionName.startsWith("(")) {
      // Native: name the JavaScript that called it, and the first caller outside node's own
      // modules (a socket write from postgres.js and one from the HTTP response are different costs).
      const near = callerOf(parent.get(id), (url) => url !== "");
      if (near !== undefined) {
        const first = mapper.describe(byId.get(near)!.callFrame);
        location = `← ${first.name} ${first.location}`;
        origin = first.origin;
        const far = callerOf(near, (url) => url !== "" && !url.startsWith("node:"));
        if (far !== undefined && far !== near) {
          const outer = mapper.describe(byId.get(far)!.callFrame);
          location += ` … ← ${outer.name} ${outer.location}`;
          origin = outer.origin;
        }
      }
    }
    const key = `${name} ${location}`;
    const entry = functions.get(key) ?? { name, location, samples: 0 };
    entry.samples += count;
    functions.set(key, entry);
    origins.set(origin, (origins.get(origin) ?? 0) + count);
  }
  const share = (n: number) => (busy > 0 ? (n * 100) / busy : 0);
  const perRequest = (n: number) => (cpuMsPerRequest === undefined || busy === 0 ? null : Number(((n / busy) * cpuMsPerRequest * 1000).toFixed(1)));
  return {
    windowMs: Number(((to - from) / 1000).toFixed(1)),
    windowed: overlaps,
    samples,
    busySamples: busy,
    gcSamples: gc,
    top: [...functions.values()]
      .sort((a, b) => b.samples - a.samples)
      .slice(0, top)
      .map((f) => ({ ...f, sharePct: Number(share(f.samples).toFixed(1)), usPerRequest: perRequest(f.samples) })),
    byOrigin: [...origins.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([origin, n]) => ({ origin, samples: n, sharePct: Number(share(n).toFixed(1)), usPerRequest: perRequest(n) })),
  };
}

/** Maps V8 call frames (generated positions) to original names and places through source maps. */
class FrameMapper {
  private maps = new Map<string, { map: SourceMap; dir: string; sources: Map<string, string[]> } | null>();

  describe(frame: CallFrame): { name: string; location: string; origin: string } {
    const v8Name = frame.functionName || "(anonymous)";
    if (!frame.url) return { name: v8Name, location: "", origin: v8Name.startsWith("(") ? v8Name : "(native)" };
    if (frame.url.startsWith("node:")) return { name: v8Name, location: `${frame.url}:${frame.lineNumber + 1}`, origin: "node (internals)" };
    const file = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
    const mapped = this.original(file, frame.lineNumber, frame.columnNumber);
    if (mapped) {
      const name = mapped.name ?? (frame.functionName.length > 2 ? frame.functionName : null) ?? nameFromLine(mapped.line, mapped.column) ?? v8Name;
      return { name, location: `${mapped.file}:${mapped.lineNumber}`, origin: originOf(mapped.file) };
    }
    const rel = relative(file);
    return { name: v8Name, location: `${rel}:${frame.lineNumber + 1}`, origin: originOf(rel) };
  }

  private original(file: string, line: number, column: number) {
    const m = this.load(file);
    if (!m) return null;
    const entry = m.map.findEntry(line, column) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
      name?: string;
    };
    if (!entry.originalSource || entry.originalLine === undefined) return null;
    // A bundler's own runtime has a URL of its own (turbopack:///[turbopack]/…): keep it as it is.
    const scheme = /^([a-z]+):\/\/\/?/.exec(entry.originalSource);
    const source =
      scheme && scheme[1] !== "file"
        ? `${scheme[1]}:${entry.originalSource.slice(scheme[0].length)}`
        : resolvePackageSource(path.resolve(m.dir, entry.originalSource.replace(/^file:\/\//, "")));
    const text = m.sources.get(entry.originalSource);
    return {
      file: relative(source),
      lineNumber: entry.originalLine + 1,
      name: entry.name,
      line: text?.[entry.originalLine] ?? "",
      column: entry.originalColumn ?? 0,
    };
  }

  private load(file: string) {
    if (this.maps.has(file)) return this.maps.get(file)!;
    let loaded: { map: SourceMap; dir: string; sources: Map<string, string[]> } | null = null;
    try {
      const mapFile = `${file}.map`;
      if (fs.existsSync(mapFile)) {
        const payload = JSON.parse(fs.readFileSync(mapFile, "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
        const sources = new Map<string, string[]>();
        payload.sources.forEach((s, i) => {
          const content = payload.sourcesContent?.[i];
          if (content) sources.set(s, content.split("\n"));
        });
        loaded = { map: new SourceMap(payload as never), dir: path.dirname(file), sources };
      }
    } catch {
      loaded = null;
    }
    this.maps.set(file, loaded);
    return loaded;
  }
}

/** The function named nearest to `column` on an original source line, if the line names one. */
function nameFromLine(line: string, column: number): string | null {
  const patterns = [
    /function\s*\*?\s*([A-Za-z_$][\w$]*)/g,
    /([A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*(?::[^=]*)?=>|[A-Za-z_$][\w$]*\s*=>)/g,
    /(?:async\s+|static\s+|get\s+|set\s+|\*\s*)*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\([^)]*\)\s*(?::[^{]*)?\{/g,
  ];
  let best: { name: string; distance: number } | null = null;
  for (const re of patterns) {
    for (const m of line.matchAll(re)) {
      const name = m[1];
      if (["if", "for", "while", "switch", "catch", "return", "function"].includes(name)) continue;
      const distance = Math.abs((m.index ?? 0) - column);
      if (!best || distance < best.distance) best = { name, distance };
    }
  }
  return best?.name ?? null;
}

const packageSources = new Map<string, string>();

/**
 * A package that publishes its own source maps to ../src (drizzle-orm does) comes out of Next's
 * bundle as node_modules/src/<file>.ts, its package name lost: find the package whose
 * <file>.js.map is there, and name it node_modules/<package>/src/<file>.ts.
 */
function resolvePackageSource(file: string): string {
  const marker = `${path.sep}node_modules${path.sep}src${path.sep}`;
  const at = file.indexOf(marker);
  if (at === -1) return file;
  const cached = packageSources.get(file);
  if (cached) return cached;
  const modules = file.slice(0, at + marker.length - 4);
  const rest = file.slice(at + marker.length).replace(/\.ts$/, "");
  let resolved = file;
  try {
    const packages = fs
      .readdirSync(modules)
      .flatMap((d) => (d.startsWith("@") ? fs.readdirSync(path.join(modules, d)).map((s) => `${d}/${s}`) : [d]));
    const owner = packages.find((pkg) => pkg !== "src" && fs.existsSync(path.join(modules, pkg, `${rest}.js.map`)));
    if (owner) resolved = path.join(modules, owner, "src", `${rest}.ts`);
  } catch {
    /* leave it as the map says */
  }
  packageSources.set(file, resolved);
  return resolved;
}

function relative(file: string): string {
  const rel = path.relative(ROOT, file);
  return rel.startsWith("..") ? file : rel;
}

/** A repository file's own path, a package's name, or the file. */
function originOf(file: string): string {
  // The last node_modules/ names the package (a bundled dependency's map may nest them).
  const pkg = [...file.matchAll(/(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/.][^/]*)/g)].at(-1);
  if (pkg) return `${pkg[1]} (package)`;
  if (file.startsWith(".next/")) return "next (build output)";
  if (file.startsWith("turbopack:")) return "turbopack (runtime)";
  if (file.startsWith("wasm:")) return "wasm (PGlite's PostgreSQL, compiled to WebAssembly)";
  return file;
}
