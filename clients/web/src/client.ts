/**
 * The typed Salamin client: one `httpsCallable<Req, Res>` per callable, and the error contract.
 *
 *   const api = salaminClient(getFunctions(app, "us-central1"));
 *   const { slots } = await api.getAvailableSlots({ expertId, daysAhead: 7 });
 *
 * Types come from src/generated (scripts/gen_client_types.py); every callable in
 * `CALLABLE_NAMES` gets a wrapper, so a regenerated contract needs no edit here.
 */
import { FunctionsError, httpsCallable, type Functions, type HttpsCallableOptions } from "firebase/functions";

import { CALLABLE_NAMES, type CallableName, type Callables } from "./generated/callables.js";
import { ERROR_REASONS, type ErrorReason } from "./generated/errors.js";

export type { Callables, CallableName } from "./generated/callables.js";
export type { ErrorReason } from "./generated/errors.js";
export { CALLABLE_NAMES } from "./generated/callables.js";
export { ERROR_REASONS } from "./generated/errors.js";

export type Request<N extends CallableName> = Callables[N]["request"];
export type Response<N extends CallableName> = Callables[N]["response"];

/** One callable: request in, the callable's answer (`result.data`) out. */
export type CallableFn<N extends CallableName> = (data: Request<N>) => Promise<Response<N>>;

export type SalaminClient = { readonly [N in CallableName]: CallableFn<N> };

/** The raw SDK callable, typed: `httpsCallable<Request<N>, Response<N>>`. */
export function callable<N extends CallableName>(
  functions: Functions,
  name: N,
  options?: HttpsCallableOptions,
) {
  return httpsCallable<Request<N>, Response<N>>(functions, name, options);
}

export function salaminClient(functions: Functions, options?: HttpsCallableOptions): SalaminClient {
  const client: Partial<Record<CallableName, unknown>> = {};
  for (const name of CALLABLE_NAMES) {
    const fn = callable(functions, name, options);
    client[name] = async (data: unknown) => (await fn(data as never)).data;
  }
  return client as SalaminClient;
}

/** One offending request field of an `invalid-argument` error. */
export interface FieldError {
  /** Dotted path with map keys, e.g. `pricing.sessionTypes.mock_interview.basePrice`. */
  path: string;
  message: string;
}

/** `error.details` of a Salamin callable error. */
export interface SalaminErrorDetails {
  /** Machine-readable cause; always present on failed-precondition, not-found, already-exists. */
  reason?: ErrorReason;
  /** invalid-argument only. */
  fields?: FieldError[];
  [key: string]: unknown;
}

export type SalaminError = FunctionsError & { details?: SalaminErrorDetails };

export function isSalaminError(error: unknown): error is SalaminError {
  return error instanceof FunctionsError;
}

/** The error's `details.reason`, if it is one this client knows. */
export function errorReason(error: unknown): ErrorReason | undefined {
  if (!isSalaminError(error)) return undefined;
  const reason = error.details?.reason;
  return (ERROR_REASONS as readonly unknown[]).includes(reason) ? (reason as ErrorReason) : undefined;
}

/** `details.fields` of an invalid-argument error (empty for any other error). */
export function fieldErrors(error: unknown): FieldError[] {
  return isSalaminError(error) && error.code === "functions/invalid-argument"
    ? (error.details?.fields ?? [])
    : [];
}
