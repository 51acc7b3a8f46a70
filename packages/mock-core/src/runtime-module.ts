/**
 * The contract between the host and a protocol family's mock: which runtimes it serves, the
 * command-line options it adds to `servingkit mock <runtime>`, and how it builds its plugins.
 * Each family package (`@servingkit/vllm/mock`, `@servingkit/kserve/mock`, ...) exports one;
 * `@servingkit/mocks` lists them, and the CLI and the contract suite start runtimes through it.
 */
import type { MockPlugin } from "./plugin.js";
import type { RuntimeName } from "./runtime-catalog.js";

/** One command-line option a runtime module adds, in `node:util` `parseArgs` terms. */
export interface RuntimeOption {
  /** `string` takes a value (`--flag V`); `boolean` is a switch. */
  readonly type: "string" | "boolean";
  /** Whether the option may be given more than once (values arrive as an array). */
  readonly multiple?: boolean;
  /** The value's placeholder in help (`DIR`, `NAME`); omitted for switches. */
  readonly valueName?: string;
  /** One line for `--help`, naming the default. */
  readonly help: string;
}

/** The values of a module's options as given on the command line or by a caller. */
export type RuntimeOptionValues = Readonly<
  Record<string, string | boolean | readonly string[] | undefined>
>;

/** What a module gets to build one runtime's plugins. */
export interface RuntimeModuleSettings {
  /** The runtime being started (a module may serve several, e.g. triton, mlserver and ovms). */
  readonly runtime: RuntimeName;
  /** Model names from `--model` (may be empty: the module picks its default). */
  readonly models: readonly string[];
  /** The module's own option values, keyed by option name without dashes. */
  readonly values: RuntimeOptionValues;
}

/** A protocol family's mock. */
export interface RuntimeMockModule {
  /** A name for help and errors (`vllm`, `kserve-v2`, ...). */
  readonly name: string;
  /** The runtimes it serves. */
  readonly runtimes: readonly RuntimeName[];
  /** Options it adds to `servingkit mock <runtime>`, keyed by name without dashes. */
  readonly options?: Readonly<Record<string, RuntimeOption>>;
  /**
   * Builds the protocol plugins for one runtime; they install after the runtime's base plugin.
   * Throws an Error with a clear message for unusable option values (the CLI shows it).
   */
  plugins(settings: RuntimeModuleSettings): readonly MockPlugin[] | Promise<readonly MockPlugin[]>;
  /**
   * The model ids clients must send to these settings' mock (the `--model` ids, or the module's
   * built-in default when none), for the CLI's ready line; omitted where a runtime takes any
   * name or the module has not said.
   */
  defaultModels?(settings: RuntimeModuleSettings): readonly string[];
}
