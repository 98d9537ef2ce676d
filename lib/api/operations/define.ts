import type { z } from "zod";
import type { ApiKeyScope } from "@/lib/validations/api-keys";
import type { ApiAnswer } from "../envelope";
import type { ApiContext } from "../handler";
import type { ApiRequest } from "../request";

// One entry per endpoint: what the dispatcher routes, what the wrapper checks, what the OpenAPI
// document and the reference page describe. Handlers return data; the wrapper parses it with
// `output.schema` and builds the envelope.

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export const API_TAGS = [
  { name: "API keys", description: "The workspace's keys: list, create, change, revoke." },
  { name: "Personal tokens", description: "The calling user's own personal access tokens, where the workspace allows them." },
  { name: "Caller", description: "Who the presented key acts as." },
  { name: "Verification", description: "For integrating services: is a key presented to you good?" },
  { name: "Audit log", description: "Who did what to which key, when and from where." },
  {
    name: "Webhooks",
    description: "Endpoints the workspace's key events are sent to, signed (Standard Webhooks), and what was delivered to each.",
  },
  {
    name: "Revocation",
    description: "For whoever finds a key where it should not be: revoke it by presenting it (RFC 7009); no other authentication.",
  },
  { name: "Service", description: "Health and this description; no authentication." },
] as const;
export type ApiTag = (typeof API_TAGS)[number]["name"];

/**
 * What a handler may return for an output schema: the schema's shape with its leaves widened
 * (any string may still be a Date, which leaves as an ISO string; enums and literals are checked
 * when the data is parsed on its way out, not here).
 */
export type Wire<T> = T extends string
  ? string | Date
  : T extends boolean
    ? boolean
    : T extends readonly (infer U)[]
      ? readonly Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

interface Common {
  /** The OpenAPI operationId: a verb-noun name, unique. */
  id: string;
  method: HttpMethod;
  /** With {name} templates for path parameters, e.g. /api/data/api-keys/{id}. */
  path: string;
  tag: ApiTag;
  summary: string;
  description: string;
  /** Path parameters and what each names. */
  params?: Record<string, string>;
  /** For the reference page's curl lines: shell variables for path parameters, a query, a JSON body. */
  examples?: { params?: Record<string, string>; query?: Record<string, string>; body?: Record<string, unknown> };
}

export interface OperationOutput<S extends z.ZodType = z.ZodType> {
  /** The OpenAPI component name of `data`. */
  component: string;
  schema: S;
  example: z.input<S>;
}

/** An endpoint that needs an API key with `scope`; its handler's data is enveloped. */
export interface KeyOperation<S extends z.ZodType = z.ZodType> extends Common {
  scope: ApiKeyScope;
  /** What the key's owner must be allowed to do, in words (the core functions check it). */
  permission: string | null;
  query?: z.ZodObject;
  body?: { component: string; schema: z.ZodType; required: boolean; invalidExample: unknown };
  output: OperationOutput<S>;
  status: 200 | 201;
  /** Has a path parameter that may name nothing (404). */
  notFound?: boolean;
  /** A POST that changes nothing (a search, a verification): Idempotency-Key does not apply. */
  readOnly?: true;
  /**
   * A GET whose answer is a function of the verified key (its owner, role, workspace) alone: no
   * path parameter, query or body, no database read. Its answer is then made once per
   * verification-cache entry and sent again while the entry lives (lib/api/handler.ts).
   */
  answerPerKey?: true;
  /** For a 201: where the created resource lives, from the handler's data. */
  location?(data: z.output<S>): string;
  /** The data, or the answer api.answerFor made from it. */
  handler(api: ApiContext, params: Record<string, string>): Promise<Wire<z.input<S>> | ApiAnswer>;
}

/** An endpoint anyone may call (no key, no rate limit): health and the OpenAPI document. */
export interface PublicOperation extends Common {
  scope: null;
  permission: null;
  /** The enveloped data; absent when the handler answers with its own ApiAnswer. */
  output?: OperationOutput;
  status: 200;
  /** The error statuses it may answer (it has no key to refuse). */
  errorStatuses?: number[];
  handler(req: ApiRequest): Promise<unknown>;
}

export type Operation = KeyOperation | PublicOperation;

/** Does the operation change anything (so that Idempotency-Key applies)? */
export const isMutation = (op: Operation): boolean => op.scope !== null && op.method !== "GET" && !op.readOnly;

/** Checks an entry's types (the handler's data against its output schema) and returns it as is. */
export function defineOperation<S extends z.ZodType>(op: KeyOperation<S>): KeyOperation;
export function defineOperation(op: PublicOperation): PublicOperation;
export function defineOperation(op: Operation): Operation {
  return op;
}
