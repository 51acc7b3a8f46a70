/**
 * Accelerators the modelled GPU can be: memory as the driver reports it, HBM bandwidth and dense
 * BF16 tensor throughput, from the vendors' datasheets. Data, not logic: the step-time model and
 * the KV-capacity arithmetic read these numbers and nothing else about the device.
 */

const MiB = 1024 * 1024;

/** One accelerator model. Units: bytes, bytes per second, floating-point operations per second. */
export interface DeviceProfile {
  /** Short id used by options (`--gpu h100-80gb`). */
  readonly id: string;
  /** The name the driver reports (what vLLM's platform layer would log). */
  readonly name: string;
  /** Total device memory in bytes, as `nvidia-smi --query-gpu=memory.total` (or rocm-smi) reports it. */
  readonly memoryBytes: number;
  /** Peak HBM/GDDR bandwidth in bytes per second (datasheet). */
  readonly memoryBandwidth: number;
  /** Peak dense (no sparsity) BF16 tensor-core throughput in FLOP/s (datasheet). */
  readonly bf16Flops: number;
  /**
   * Whether vLLM counts this device as a large GPU when choosing default batch limits:
   * vllm-openai.md §9, `get_batch_defaults`: at least 70 GiB of memory and not an A100.
   */
  readonly largeForBatchDefaults: boolean;
  /** Where the numbers come from. */
  readonly source: string;
  /**
   * CUDA compute capability ("9.0" Hopper, "8.9" Ada, "8.0" Ampere); absent for a non-NVIDIA
   * device. vLLM picks attention backends by it (FlashMLA on 9.x, kv-capacity.ts).
   */
  readonly cudaCapability?: string;
}

const TB = 1e12;

/** The built-in devices, keyed by id. */
export const deviceProfiles = {
  "h100-80gb": {
    cudaCapability: "9.0",
    id: "h100-80gb",
    name: "NVIDIA H100 80GB HBM3",
    memoryBytes: 81_559 * MiB,
    memoryBandwidth: 3.35 * TB,
    bf16Flops: 989.4 * TB,
    largeForBatchDefaults: true,
    source:
      "NVIDIA H100 Tensor Core GPU datasheet (SXM5): 80 GB HBM3, 3.35 TB/s, 989 TFLOPS dense BF16",
  },
  h200: {
    cudaCapability: "9.0",
    id: "h200",
    name: "NVIDIA H200",
    memoryBytes: 143_771 * MiB,
    memoryBandwidth: 4.8 * TB,
    bf16Flops: 989.4 * TB,
    largeForBatchDefaults: true,
    source: "NVIDIA H200 datasheet (SXM): 141 GB HBM3e, 4.8 TB/s, 989 TFLOPS dense BF16",
  },
  "a100-80gb": {
    cudaCapability: "8.0",
    id: "a100-80gb",
    name: "NVIDIA A100-SXM4-80GB",
    memoryBytes: 81_920 * MiB,
    memoryBandwidth: 2.039 * TB,
    bf16Flops: 312 * TB,
    largeForBatchDefaults: false,
    source: "NVIDIA A100 datasheet (SXM4 80GB): HBM2e 2,039 GB/s, 312 TFLOPS dense BF16",
  },
  "a100-40gb": {
    cudaCapability: "8.0",
    id: "a100-40gb",
    name: "NVIDIA A100-SXM4-40GB",
    memoryBytes: 40_960 * MiB,
    memoryBandwidth: 1.555 * TB,
    bf16Flops: 312 * TB,
    largeForBatchDefaults: false,
    source: "NVIDIA A100 datasheet (SXM4 40GB): HBM2 1,555 GB/s, 312 TFLOPS dense BF16",
  },
  l40s: {
    cudaCapability: "8.9",
    id: "l40s",
    name: "NVIDIA L40S",
    memoryBytes: 46_068 * MiB,
    memoryBandwidth: 0.864 * TB,
    bf16Flops: 362.05 * TB,
    largeForBatchDefaults: false,
    source:
      "NVIDIA L40S datasheet: 48 GB GDDR6, 864 GB/s, 362 TFLOPS dense BF16 (733 with sparsity)",
  },
  l4: {
    cudaCapability: "8.9",
    id: "l4",
    name: "NVIDIA L4",
    memoryBytes: 23_034 * MiB,
    memoryBandwidth: 0.3 * TB,
    bf16Flops: 121 * TB,
    largeForBatchDefaults: false,
    source: "NVIDIA L4 datasheet: 24 GB GDDR6, 300 GB/s, 121 TFLOPS dense BF16 (242 with sparsity)",
  },
  mi300x: {
    id: "mi300x",
    name: "AMD Instinct MI300X",
    memoryBytes: 196_592 * MiB,
    memoryBandwidth: 5.3 * TB,
    bf16Flops: 1307.4 * TB,
    largeForBatchDefaults: true,
    source: "AMD Instinct MI300X datasheet: 192 GB HBM3, 5.3 TB/s, 1,307.4 TFLOPS dense BF16",
  },
} as const satisfies Record<string, DeviceProfile>;

/** Id of a built-in device. */
export type DeviceId = keyof typeof deviceProfiles;

/** The built-in device with this id; throws a RangeError naming the known ids otherwise. */
export function deviceProfile(id: string): DeviceProfile {
  const found = (deviceProfiles as Record<string, DeviceProfile>)[id];
  if (!found) {
    throw new RangeError(
      `unknown device "${id}"; known: ${Object.keys(deviceProfiles).join(", ")}`,
    );
  }
  return found;
}
