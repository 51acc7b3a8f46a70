/**
 * What one KServe v2 mock holds, shared by its REST routes and its gRPC service so that both
 * answer alike: the runtime's profile, the model repository with its load state, the inference
 * statistics and (Triton) the log and trace settings and the shared-memory regions.
 */
import type { ModelRepository } from "./model-control.js";
import type { KserveProfile } from "./profiles.js";
import type { StatsStore } from "./triton-extensions.js";
import type { LogSettingsStore } from "./triton-logging.js";
import type { SharedMemoryRegistry } from "./triton-shared-memory.js";
import type { TraceSettingsStore } from "./triton-trace.js";

/** One mock's state (see the module comment). */
export interface KserveMockState {
  /** The runtime's profile. */
  readonly profile: KserveProfile;
  /** The models and which of them are loaded. */
  readonly repository: ModelRepository;
  /** Inference statistics (Triton's statistics extension reads them). */
  readonly stats: StatsStore;
  /** Triton's log settings (`/v2/logging`, LogSettings). */
  readonly logging: LogSettingsStore;
  /** Triton's trace settings (`/v2[/models/{m}]/trace/setting`). */
  readonly trace: TraceSettingsStore;
  /** Triton's shared-memory regions; undefined where the runtime lacks the extension. */
  readonly sharedMemory: SharedMemoryRegistry | undefined;
}
