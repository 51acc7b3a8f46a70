import type { HealthRoute } from "@servingkit/mock-core";
import type { CaseContext } from "../contract-case.js";

/**
 * The route concerns other than health (auth, TLS) use to reach a runtime: its first health
 * route, which every runtime has, needs no model and costs the server nothing. Skips the case if
 * a runtime ever has none.
 */
export function probeRoute(context: CaseContext): HealthRoute {
  const route = context.runtime.healthRoutes[0];
  if (route === undefined) return context.skip(`${context.runtime.name} has no health route`);
  return route;
}
