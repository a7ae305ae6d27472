/**
 * Transactional create: each step that makes something registers how to unmake it; if a
 * later step fails, the undo steps run in reverse and the original error is rethrown, so a
 * half-made object never leaks.
 */
/** Undoes one step; it is given the error that failed the transaction. */
export type Undo = (err: unknown) => Promise<unknown>;

export async function transaction<T>(body: (onFailure: (undo: Undo) => void) => Promise<T>): Promise<T> {
  const undos: Undo[] = [];
  try {
    return await body((undo) => undos.push(undo));
  } catch (err) {
    for (const undo of undos.reverse()) {
      try {
        await undo(err);
      } catch (undoErr) {
        alsoFailed(err, undoErr);
      }
    }
    throw err;
  }
}

/** The original error is the one the user must see; what could not be put back is said in the same line. */
function alsoFailed(err: unknown, undoErr: unknown): void {
  if (err instanceof Error) err.message += `; cleanup also failed: ${undoErr instanceof Error ? undoErr.message : String(undoErr)}`;
}

/**
 * After a step failed with `err`: puts back what it took away (`undo`), then rethrows `err`,
 * saying in its line if putting back failed too. Never silent.
 */
export async function rollback(err: unknown, undo: Undo): Promise<never> {
  try {
    await undo(err);
  } catch (undoErr) {
    alsoFailed(err, undoErr);
  }
  throw err;
}
