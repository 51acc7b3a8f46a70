import picomatch from "picomatch";

/**
 * Case names are hierarchical, `<runtime>/<concern>/<case>` (`triton/health/rest-live`), and are
 * selected with shell globs in which `*` stays inside one segment and `**` spans segments:
 * `triton/**` is every Triton case, `* /auth/*` (without the space) every auth case, and
 * `{tgis,ovms}/health/*` works too (picomatch syntax).
 */
export type CaseMatcher = (name: string) => boolean;

/**
 * Compiles globs into one matcher that accepts a name matching any of them. An empty list
 * matches nothing. A blank pattern is rejected, since it is almost always a configuration slip.
 */
export function compileCaseGlobs(patterns: readonly string[]): CaseMatcher {
  const matchers = patterns.map((pattern) => {
    if (pattern.trim() === "") throw new TypeError("empty case glob");
    return picomatch(pattern.trim(), { dot: true });
  });
  return (name) => matchers.some((matches) => matches(name));
}

/**
 * The selection a run makes: a name is selected when it matches an `include` glob (or there are
 * none) and no `exclude` glob.
 */
export function compileCaseSelection(
  include: readonly string[] = [],
  exclude: readonly string[] = [],
): CaseMatcher {
  const included = include.length === 0 ? () => true : compileCaseGlobs(include);
  const excluded = compileCaseGlobs(exclude);
  return (name) => included(name) && !excluded(name);
}
