export * from "./users";
export * from "./workspaces";
export * from "./api-keys";
export * from "./audit";
export * from "./rate-limits";
export * from "./access-logs";
export * from "./idempotency";
export * from "./webhooks";
