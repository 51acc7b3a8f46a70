/**
 * The readiness state the host and the plugins share: REST readiness routes, gRPC health and
 * any protocol's "server ready" RPC read it; slow start and shutdown write it.
 */

/** A listener told of every change of readiness. */
export type ReadinessListener = (ready: boolean) => void;

/**
 * Whether the server is ready to serve, with change notification (gRPC health `Watch` streams
 * subscribe to it).
 */
export class Readiness {
  #ready: boolean;
  #listeners = new Set<ReadinessListener>();

  /** @param ready the initial state; default true. */
  constructor(ready = true) {
    this.#ready = ready;
  }

  /** True while the server is ready. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Sets the state; listeners hear of it only when it changes. */
  set(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    for (const listener of [...this.#listeners]) listener(ready);
  }

  /** Subscribes to changes; returns the function that unsubscribes. */
  subscribe(listener: ReadinessListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
