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
        // The original error is the one the user must see; say what could not be cleaned up too.
        if (err instanceof Error) err.message += `; cleanup also failed: ${(undoErr as Error).message}`;
      }
    }
    throw err;
  }
}
