import { transaction } from "../../provider/core/undo";

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
});
