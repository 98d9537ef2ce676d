import { z } from "zod";
import { fieldNote, queryNotesComponent } from "@/lib/api/openapi";
import type { Operation } from "@/lib/api/operations";

// The reference page's field tables, read from each operation's own zod schemas (as the handler
// parses its input: io "input"), so a field, limit or default cannot be documented here without
// being what the API accepts.

type JsonSchema = z.core.JSONSchema.JSONSchema;
type JsonSchemaOrBool = z.core.JSONSchema._JSONSchema;

/** One row of a field table. */
export interface FieldRow {
  name: string;
  /** e.g. "string", "uuid", "string[]", "string | null". */
  type: string;
  required: boolean;
  /** Limits, allowed values and the default, in words. */
  notes: string[];
  description?: string;
}

export interface OperationFields {
  path: FieldRow[];
  query: FieldRow[];
  body: FieldRow[];
}

/** `true`/`false` schemas (anything / nothing) and tuple forms say nothing a row could show. */
const schemaOf = (s: JsonSchemaOrBool | JsonSchemaOrBool[] | undefined): JsonSchema =>
  s !== undefined && typeof s === "object" && !Array.isArray(s) ? s : {};

const variantsOf = (s: JsonSchema): JsonSchema[] => (s.anyOf ? s.anyOf.flatMap(variantsOf) : [s]);

function typeLabel(s: JsonSchema): string {
  if (s.type === "array") return `${typeLabel(schemaOf(s.items))}[]`;
  if (s.format === "uuid") return "uuid";
  if (s.format === "date" || s.format === "date-time") return s.format;
  return typeof s.type === "string" ? s.type : "any";
}

function constraintsOf(s: JsonSchema): string[] {
  const notes: string[] = [];
  const values = s.enum ?? (s.type === "array" ? schemaOf(s.items).enum : undefined);
  if (values) notes.push(`One of ${values.map((v) => `"${v}"`).join(", ")}`);
  if (s.minLength !== undefined && s.maxLength !== undefined) notes.push(`${s.minLength}–${s.maxLength} characters`);
  else if (s.maxLength !== undefined) notes.push(`At most ${s.maxLength} characters`);
  else if (s.minLength !== undefined && s.minLength > 1) notes.push(`At least ${s.minLength} characters`);
  // z.int() bounds itself by the safe integers: no limit a person needs to read.
  const min = s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER ? s.minimum : undefined;
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (min !== undefined && max !== undefined) notes.push(`${min}–${max}`);
  else if (min !== undefined) notes.push(`At least ${min}`);
  else if (max !== undefined) notes.push(`At most ${max}`);
  if (s.minItems !== undefined) notes.push(`At least ${s.minItems} item${s.minItems === 1 ? "" : "s"}`);
  return notes;
}

/** A JSON Schema property as a row. A field with a default may be left out, so it is never required. */
function fieldRow(name: string, schema: JsonSchema, listedRequired: boolean, description?: string): FieldRow {
  const variants = variantsOf(schema);
  const notes = variants.flatMap(constraintsOf);
  if (schema.default !== undefined) notes.push(`Default ${JSON.stringify(schema.default)}`);
  return {
    name,
    type: [...new Set(variants.map(typeLabel))].join(" | "),
    required: listedRequired && schema.default === undefined,
    notes,
    description: schema.description ?? description,
  };
}

/** The rows of an object schema's properties; `component` picks the field notes ("" for the common ones). */
function objectRows(schema: z.ZodType, component: string): FieldRow[] {
  const json = z.toJSONSchema(schema, { io: "input" });
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, property]) =>
    fieldRow(name, schemaOf(property), required.has(name), fieldNote(component, name)),
  );
}

const cache = new WeakMap<Operation, OperationFields>();

/** Path parameters, query parameters and body fields of an operation. */
export function operationFields(op: Operation): OperationFields {
  const cached = cache.get(op);
  if (cached) return cached;
  // Every path parameter names a row by its id, which is a uuid throughout the API.
  const path = Object.entries(op.params ?? {}).map(([name, description]) => ({
    name,
    type: name === "id" || name.endsWith("Id") ? "uuid" : "string",
    required: true,
    notes: [],
    description,
  }));
  const query = op.scope !== null && op.query ? objectRows(op.query, queryNotesComponent(op)) : [];
  const body = op.scope !== null && op.body ? objectRows(op.body.schema, op.body.component) : [];
  const fields = { path, query, body };
  cache.set(op, fields);
  return fields;
}
