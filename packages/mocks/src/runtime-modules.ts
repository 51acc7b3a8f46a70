/**
 * Which protocol family serves which runtime: the one list of runtime modules. Each family
 * package owns its module; this file only lists them, each behind a dynamic import, so a process
 * that serves Triton loads the KServe family and not vLLM's tokenizer, templates and schemas
 * (issue 4: the live heap sets the cost of V8's full collections per large request).
 */
import type { RuntimeMockModule, RuntimeName } from "@servingkit/mock-core/host";

/** One family: the runtimes it serves (pinned against the loaded module by a test) and its loader. */
interface FamilyEntry {
  readonly runtimes: readonly RuntimeName[];
  readonly load: () => Promise<RuntimeMockModule>;
}

/** The families in the order help and the catalogue list them. */
const families: readonly FamilyEntry[] = [
  {
    runtimes: ["vllm"],
    load: async () => (await import("@servingkit/vllm/mock")).vllmMockModule,
  },
  {
    runtimes: ["caikit-tgis", "caikit-standalone"],
    load: async () => (await import("@servingkit/caikit/mock")).caikitMockModule,
  },
  {
    runtimes: ["tgis"],
    load: async () => (await import("@servingkit/tgis/mock")).tgisMockModule,
  },
  {
    runtimes: ["ovms", "triton", "mlserver"],
    load: async () => (await import("@servingkit/kserve/mock")).kserveMockModule,
  },
];

function familyOf(runtime: RuntimeName): FamilyEntry {
  const family = families.find((f) => f.runtimes.includes(runtime));
  if (!family) throw new Error(`unknown runtime '${runtime}' (no mock module serves it)`);
  return family;
}

/**
 * The runtimes each family serves, without loading any family: which runtimes share a module
 * (and so its options) is known before the import.
 */
export const familyRuntimes: readonly (readonly RuntimeName[])[] = families.map((f) => f.runtimes);

/**
 * Loads the module that serves `runtime` and only its family (every runtime has exactly one; a
 * test pins that). Repeated calls return the same module: the import is cached by the loader.
 * Rejects with an Error naming the runtime for an unknown one.
 */
export async function loadRuntimeModule(runtime: RuntimeName): Promise<RuntimeMockModule> {
  return familyOf(runtime).load();
}

/**
 * Loads the modules serving `runtimes`, each family once, in the catalogue's order: what a
 * process starting several runtimes (`servingkit mock all`) needs and nothing more.
 */
export async function loadRuntimeModulesFor(
  runtimes: readonly RuntimeName[],
): Promise<readonly RuntimeMockModule[]> {
  const needed = families.filter((f) => f.runtimes.some((r) => runtimes.includes(r)));
  return Promise.all(needed.map((f) => f.load()));
}

/**
 * Loads every protocol family's module: for what needs them all (the CLI's help lists every
 * module's options, tests check the list). Costs every family's code and data in the heap.
 */
export async function loadRuntimeModules(): Promise<readonly RuntimeMockModule[]> {
  return Promise.all(families.map((f) => f.load()));
}
