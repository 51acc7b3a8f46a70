import { describe, expect, it } from "vitest";
import { runScenarioApart, type ScenarioRequest } from "./scenario-process.js";
import { defaultLoadSettings, type ScenarioName } from "./scenarios.js";

// The built scenario-child.js runs real scenarios (`pnpm bench`); test files run from TypeScript
// sources, which a child cannot load, so a fixture child stands in for it here.
const fixture = new URL("./testdata/scenario-child-fixture.mjs", import.meta.url);
const request = (name: string): ScenarioRequest => ({
  name: name as ScenarioName,
  settings: { ...defaultLoadSettings, seconds: 2.5 },
});

describe("runScenarioApart", () => {
  it("runs each scenario in a fresh process of its own and hands back its result", async () => {
    const first = await runScenarioApart(request("rest-health"), fixture);
    const second = await runScenarioApart(request("rest-health"), fixture);
    expect(first.name).toBe("rest-health");
    // The request's settings reach the child.
    expect(first.load).toBe("2.5 s");
    expect(first.title).not.toBe(`pid ${process.pid}`);
    expect(second.title).not.toBe(first.title);
  });

  it("rejects with the child's error, named for the scenario", async () => {
    await expect(runScenarioApart(request("throw"), fixture)).rejects.toThrow(
      "throw: no such server",
    );
  });

  it("rejects when the child exits without answering", async () => {
    await expect(runScenarioApart(request("exit-silently"), fixture)).rejects.toThrow(
      "exit-silently: the scenario's process exited with 3",
    );
  });
});
