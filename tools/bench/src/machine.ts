import { availableParallelism, cpus, platform, release, totalmem } from "node:os";

/** The facts that make numbers from two machines comparable (or not). */
export interface MachineFacts {
  /** Cores Node may use (`os.availableParallelism()`). */
  readonly cores: number;
  /** CPU model string of the first core. */
  readonly cpu: string;
  /** Total memory in GiB, one decimal. */
  readonly memoryGiB: number;
  /** `process.version`. */
  readonly node: string;
  /** `platform release`, e.g. `linux 6.8.0`. */
  readonly os: string;
}

/** Reads the facts of this machine. */
export function machineFacts(): MachineFacts {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}
