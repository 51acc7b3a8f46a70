/**
 * Starting a runtime with its protocol: the host (`@servingkit/mock-core`) plus the plugins of the
 * runtime's module. The CLI and the contract suite start mocks only through here, so a runtime
 * always comes with its protocol routes; only the runtime's family is loaded (`loadRuntimeModule`).
 */
import {
  type BuiltMock,
  buildMock,
  type MockOptions,
  type RunningMock,
  type RuntimeOptionValues,
  startMock,
} from "@servingkit/mock-core/host";
import { loadRuntimeModule } from "./runtime-modules.js";

/** {@link MockOptions} plus the values of the runtime module's own options. */
export interface RuntimeMockOptions extends MockOptions {
  /**
   * Values of the options the runtime's module declares (`RuntimeMockModule.options`), keyed by
   * option name without dashes. Default: none (the module's defaults).
   */
  readonly values?: RuntimeOptionValues;
}

async function withProtocol(options: RuntimeMockOptions): Promise<MockOptions> {
  const { values, ...host } = options;
  const module = await loadRuntimeModule(options.runtime);
  const protocol = await module.plugins({
    runtime: options.runtime,
    models: options.models ?? [],
    values: values ?? {},
  });
  return { ...host, plugins: [...protocol, ...(options.plugins ?? [])] };
}

/** Builds a runtime's mock with its protocol plugins, without listening (tests: `inject()`). */
export async function buildRuntimeMock(options: RuntimeMockOptions): Promise<BuiltMock> {
  return buildMock(await withProtocol(options));
}

/** Starts a runtime's mock with its protocol plugins, listening on its ports. */
export async function startRuntimeMock(options: RuntimeMockOptions): Promise<RunningMock> {
  return startMock(await withProtocol(options));
}
