import { API_TAGS, OPERATIONS, type Operation } from "@/lib/api/operations";

// What the page holds, in order: the nav and the article both read these, so a section cannot
// be listed without existing nor exist without being listed.

/** The sections before the endpoints, each anchored at its id. */
export const GENERAL_SECTIONS = [
  { id: "authentication", label: "Authentication" },
  { id: "responses", label: "Responses" },
  { id: "errors", label: "Errors" },
] as const;

export interface EndpointGroup {
  /** The anchor, from the tag's name ("API keys" → "api-keys"). */
  id: string;
  name: string;
  description: string;
  ops: Operation[];
}

/** The endpoints by tag, in the registry's order. */
export const ENDPOINT_GROUPS: readonly EndpointGroup[] = API_TAGS.map((tag) => ({
  id: tag.name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
  name: tag.name,
  description: tag.description,
  ops: OPERATIONS.filter((o) => o.tag === tag.name),
}));
