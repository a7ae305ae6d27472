import { rollback, transaction } from "../../provider/core/undo";

describe("transaction", () => {
  it("undoes completed steps in reverse order and rethrows the original error", async () => {
    const log: string[] = [];
    await expect(
      transaction(async (onFailure) => {
        log.push("make a");
        onFailure(async () => log.push("undo a"));
        log.push("make b");
        onFailure(async () => log.push("undo b"));
        throw new Error("step c failed");
      }),
    ).rejects.toThrow("step c failed");
    expect(log).toEqual(["make a", "make b", "undo b", "undo a"]);
  });

  it("keeps the original error and appends a failed cleanup to it", async () => {
    await expect(
      transaction(async (onFailure) => {
        onFailure(async () => {
          throw new Error("undo exploded");
        });
        throw new Error("create failed");
      }),
    ).rejects.toThrow("create failed; cleanup also failed: undo exploded");
  });

  it("runs no undo when the body succeeds", async () => {
    let undone = false;
    await expect(transaction(async (onFailure) => (onFailure(async () => (undone = true)), 42))).resolves.toBe(42);
    expect(undone).toBe(false);
  });

  it("rolls a failed step back and rethrows its error, saying in the same line when putting back failed too", async () => {
    let undone = "";
    await expect(rollback(new Error("add failed"), async (e) => (undone = (e as Error).message))).rejects.toThrow(/^add failed$/);
    expect(undone).toBe("add failed");
    await expect(
      rollback(new Error("add failed"), async () => {
        throw new Error("the old rule was not put back: Index of insertion too big");
      }),
    ).rejects.toThrow(/^add failed; cleanup also failed: the old rule was not put back: Index of insertion too big$/);
  });
});
