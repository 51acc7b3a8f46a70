import { readFile } from "node:fs/promises";
import picomatch from "picomatch";

/**
 * One line of a known-failing list: a glob over case names and why those cases are expected to
 * fail on this target. The reason is mandatory, so every entry says which platform quirk or
 * mock gap it papers over.
 */
export interface KnownFailingEntry {
  /** Glob over case names, e.g. `triton/auth/grpc-*` (see {@link compileCaseGlobs}). */
  readonly pattern: string;
  /** Why it fails, the text after `#`. */
  readonly reason: string;
  /** Where the entry comes from, `file:line`, for messages. */
  readonly source?: string;
}

/** A known-failing list that cannot be read: names the file and line. */
export class KnownFailingSyntaxError extends Error {
  override readonly name = "KnownFailingSyntaxError";
}

/**
 * Parses a known-failing list, after connect-es's conformance lists: one glob per line followed
 * by `# reason`. Blank lines and lines starting with `#` are comments. A glob without a reason is
 * an error, as is a line holding more than one glob.
 *
 * ```text
 * # live cluster, serverless mode
 * caikit-tgis/health/grpc-serving   # gRPC port not exposed by the REST-only template
 * ```
 *
 * @param source named in error messages and kept on each entry (a file path, or `inline`)
 */
export function parseKnownFailing(text: string, source = "inline"): KnownFailingEntry[] {
  const entries: KnownFailingEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${source}:${index + 1}`;
    const hash = line.indexOf("#");
    const pattern = (hash === -1 ? line : line.slice(0, hash)).trim();
    const reason = hash === -1 ? "" : line.slice(hash + 1).trim();
    if (reason === "") {
      throw new KnownFailingSyntaxError(
        `${where}: known-failing entry "${pattern}" has no reason; write it as "${pattern}  # why it fails"`,
      );
    }
    if (/\s/.test(pattern)) {
      throw new KnownFailingSyntaxError(
        `${where}: expected one case glob before "#", got "${pattern}"`,
      );
    }
    entries.push({ pattern, reason, source: where });
  }
  return entries;
}

/**
 * Reads and parses a known-failing file (UTF-8); see {@link parseKnownFailing}. An unreadable
 * file is a {@link KnownFailingSyntaxError} naming it.
 */
export async function readKnownFailing(path: string): Promise<KnownFailingEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new KnownFailingSyntaxError(
      `cannot read known-failing file ${path}: ${(error as Error).message}`,
    );
  }
  return parseKnownFailing(text, path);
}

/**
 * A compiled known-failing list: finds the entry that lists a case, and tells which entries
 * matched no case at all (a typo or a removed case: the list has rotted).
 */
export interface KnownFailingList {
  /** The first entry whose glob matches the case name, if any. */
  find(caseName: string): KnownFailingEntry | undefined;
  /** The entries matching none of the given case names. */
  unmatched(caseNames: Iterable<string>): KnownFailingEntry[];
}

/** Compiles entries into a {@link KnownFailingList}. */
export function compileKnownFailing(entries: readonly KnownFailingEntry[]): KnownFailingList {
  const compiled = entries.map((entry) => ({
    entry,
    matches: picomatch(entry.pattern, { dot: true }),
  }));
  return {
    find: (caseName) => compiled.find(({ matches }) => matches(caseName))?.entry,
    unmatched: (caseNames) => {
      const names = [...caseNames];
      return compiled
        .filter(({ matches }) => !names.some((name) => matches(name)))
        .map(({ entry }) => entry);
    },
  };
}
