import { describe, expect, it } from "vitest";
import { commands } from "./command-table.js";
import { contractCommand } from "./commands/contract.js";
import { mockCommand } from "./commands/mock.js";
import { simulateCommand } from "./commands/simulate.js";

describe("command table", () => {
  it("names and summarises each command as its module does, without loading it", () => {
    const loaded = [mockCommand, contractCommand, simulateCommand];
    expect(commands.map((c) => [c.name, c.summary])).toEqual(
      loaded.map((c) => [c.name, c.summary]),
    );
  });
});
