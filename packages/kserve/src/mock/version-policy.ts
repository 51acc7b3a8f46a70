/**
 * Triton's model version policy (model_config.proto `ModelVersionPolicy`; server docs
 * model_configuration.md "Version Policy"): which numeric version folders of a model load. Pure
 * logic: repository.ts reads the folders and the config, model-control.ts serves what this picks.
 */
import type { TextMessage, TextValue } from "./pbtxt.js";

/**
 * A model's version policy: the newest `numVersions` folders (`latest`, Triton's default with 1
 * when the config names none: model_config_utils.cc `GetNormalizedModelConfig`), every folder
 * (`all`), or the listed versions that have a folder (`specific`).
 */
export type VersionPolicy =
  | { readonly kind: "latest"; readonly numVersions: number }
  | { readonly kind: "all" }
  | { readonly kind: "specific"; readonly versions: readonly number[] };

/** Triton's default policy: `latest { num_versions: 1 }`. */
export const defaultVersionPolicy: VersionPolicy = { kind: "latest", numVersions: 1 };

const asArray = (value: TextValue | undefined): TextValue[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A uint32 / int64 field of text format: an integer, else the text does not parse. */
function integerField(value: TextValue | undefined, min: number, field: string): number {
  if (value === undefined) return 0; // proto3 default
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new SyntaxError(`config.pbtxt: invalid value for ${field}`);
  }
  return value;
}

/**
 * The `version_policy` of a parsed `config.pbtxt`. Throws SyntaxError where protobuf's text
 * parser refuses the config (repository.ts turns that into the folder's poll failure, `failed to
 * read text proto from <path>`): two members of the `policy_choice` oneof (text_format.cc refuses
 * a field "specified along with" another member of its oneof), a negative or fractional
 * `num_versions` (uint32) or version (int64). An empty `latest {}` is `num_versions: 0`, the
 * proto default, which loads nothing ({@link versionsToLoad}).
 */
export function readVersionPolicy(config: TextMessage): VersionPolicy {
  const policy = config.version_policy;
  if (policy === undefined) return defaultVersionPolicy;
  if (typeof policy !== "object" || Array.isArray(policy)) {
    throw new SyntaxError("config.pbtxt: version_policy is a message");
  }
  const chosen = (["latest", "all", "specific"] as const).filter((k) => policy[k] !== undefined);
  if (chosen.length > 1) {
    throw new SyntaxError(
      `config.pbtxt: Field "${chosen[1]}" is specified along with field "${chosen[0]}", another member of oneof "policy_choice"`,
    );
  }
  const [kind] = chosen;
  if (kind === undefined) return defaultVersionPolicy; // an empty message: no choice set
  const body = policy[kind] as TextMessage;
  if (kind === "all") return { kind };
  if (kind === "latest") {
    return { kind, numVersions: integerField(body.num_versions, 0, "num_versions") };
  }
  return {
    kind,
    versions: asArray(body.versions).map((v) =>
      integerField(v, Number.MIN_SAFE_INTEGER, "versions"),
    ),
  };
}

/**
 * The version a folder name stands for, as core model_lifecycle.cc `VersionsToLoad` reads it:
 * a name with a leading zero (`01`) is ignored, and `std::stoll` reads the leading integer of the
 * rest (`2` of `2_old`; a name with no leading integer is ignored). Undefined: not a version.
 */
export function folderVersion(name: string): number | undefined {
  if (name.length > 1 && name.startsWith("0")) return undefined;
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(name);
  if (match === null) return undefined;
  const version = Number(match[1]);
  return Number.isSafeInteger(version) ? version : undefined;
}

/**
 * What a policy loads from a model's folders (core model_lifecycle.cc `VersionsToLoad`):
 * `versions` ascending (the newest last, as the mock serves them); `missing`, the specific
 * versions that have no folder (Triton logs `version <v> is specified for model '<m>', but the
 * version directory is not present` and loads the others). A specific version listed twice is
 * picked even without a folder: `VersionsToLoad` tests presence by inserting the version into its
 * set of existing versions, so the second listing finds it there (it is then both missing, for
 * the log line, and picked; its load goes to the backend, which finds no files: for a vLLM-backend
 * model the `model.json` assertion, repository.ts). No version at all fails the load (`AsyncLoad`:
 * {@link noVersionMessage}).
 */
export function versionsToLoad(
  policy: VersionPolicy,
  folderNames: readonly string[],
): { versions: number[]; missing: number[] } {
  const existing = [...new Set(folderNames.map(folderVersion).filter((v) => v !== undefined))].sort(
    (a, b) => a - b,
  );
  if (policy.kind === "all") return { versions: existing, missing: [] };
  if (policy.kind === "latest") {
    return {
      versions: policy.numVersions === 0 ? [] : existing.slice(-policy.numVersions),
      missing: [],
    };
  }
  // VersionsToLoad inserts each listed version into its set of existing ones to test for it, so
  // a version listed a second time reads as present whether or not it has a folder.
  const have = new Set(existing);
  const versions = new Set<number>();
  const missing: number[] = [];
  for (const v of policy.versions) {
    if (have.has(v)) versions.add(v);
    else {
      have.add(v);
      missing.push(v);
    }
  }
  return {
    versions: [...versions].sort((a, b) => a - b),
    missing: missing.sort((a, b) => a - b),
  };
}

/**
 * Why a model whose policy picks no version fails its load (core model_lifecycle.cc `AsyncLoad`,
 * INVALID_ARG): a folder with no version folder, `latest { num_versions: 0 }`, or `specific`
 * versions none of which has a folder.
 */
export function noVersionMessage(model: string): string {
  return `at least one version must be available under the version policy of model '${model}'`;
}
