import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

/**
 * A bearer token, or a function that returns one (sync or async). The platform's "token
 * authorization" (kserve-v2.md §5, caikit-tgis.md, vllm-openai.md §2) expects
 * `Authorization: Bearer <token>`; a function is called before every attempt, so a token that
 * expires (a service-account token refreshed from a file) is fresh on each retry.
 */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * The `Authorization` header value for a token source, or `undefined` when there is no token
 * (none configured, or an empty string). A token function that throws or returns a non-string
 * yields a `Code.Unauthenticated` error, never retried.
 */
export async function authorizationFor(
  token: TokenSource | undefined,
): Promise<string | undefined> {
  if (token === undefined) {
    return undefined;
  }
  let value: unknown;
  try {
    value = typeof token === "function" ? await token() : token;
  } catch (cause) {
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    throw new ServingkitError(`could not obtain the bearer token${detail}`, Code.Unauthenticated, {
      cause,
      retryable: false,
    });
  }
  if (typeof value !== "string") {
    throw new ServingkitError(
      `the token function returned ${typeof value}, not a string`,
      Code.Unauthenticated,
      { retryable: false },
    );
  }
  return value.length > 0 ? `Bearer ${value}` : undefined;
}
