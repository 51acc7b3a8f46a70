import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

/**
 * Header sets as clients and calls give them: anything `Headers` accepts, or a record whose
 * `null` (or `undefined`) values remove a header set by an earlier layer, e.g.
 * `{ authorization: null }` to send one call without the client's token.
 */
export type HeadersLike = HeadersInit | Readonly<Record<string, string | null | undefined>>;

function entriesOf(headers: HeadersLike): Iterable<readonly [string, string | null | undefined]> {
  if (headers instanceof Headers) {
    return headers.entries();
  }
  if (Array.isArray(headers)) {
    return headers as readonly (readonly [string, string])[];
  }
  return Object.entries(headers as Record<string, string | null | undefined>);
}

/**
 * Merges header sets in order: a later set replaces a header of an earlier one (names are
 * case-insensitive), and a `null` or `undefined` value removes it. Used for built-in headers <
 * client headers < call headers, and for gRPC default metadata < call metadata. An invalid name
 * or value (a token with a line break) throws `Code.InvalidArgument`, never retried.
 */
export function mergeHeaders(...sets: readonly (HeadersLike | undefined)[]): Headers {
  const merged = new Headers();
  for (const set of sets) {
    if (set === undefined) {
      continue;
    }
    const seen = new Set<string>();
    for (const [name, value] of entriesOf(set)) {
      if (value === null || value === undefined) {
        merged.delete(name);
        continue;
      }
      const key = name.toLowerCase();
      try {
        if (seen.has(key)) {
          merged.append(name, value);
        } else {
          merged.set(name, value);
          seen.add(key);
        }
      } catch (cause) {
        throw new ServingkitError(
          `invalid header ${JSON.stringify(name)}: names must be tokens and values must not contain line breaks`,
          Code.InvalidArgument,
          { cause, retryable: false },
        );
      }
    }
  }
  return merged;
}
