export * from "./client.js";
export type * as Requests from "./generated/requests.js";
export type * as Responses from "./generated/responses.js";
export type * as Docs from "./generated/documents.js";
