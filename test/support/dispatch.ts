/** The provider's handlers called by kind name, as the dynamic provider calls them (for tests that go through `connection`). */
import { dispatch } from "../../provider";

export type Props = Record<string, unknown>;

export const call = (kind: string, method: string, ...args: unknown[]) =>
  dispatch(kind, method as never, args) as Promise<{ id: string; outs: Props; inputs?: Props; failures?: unknown[] }>;

/** check (which must pass), then create. */
export async function create(kind: string, props: Props) {
  const { inputs, failures } = await call(kind, "check", {}, props);
  expect(failures).toEqual([]);
  return call(kind, "create", inputs);
}
