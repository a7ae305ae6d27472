/**
 * DOT → SVG without a browser or a system Graphviz: Graphviz compiled to WebAssembly
 * (@hpcc-js/wasm-graphviz, ESM-only, so loaded by a dynamic import on first use).
 */
import { problems } from "./errors";

type Graphviz = Awaited<ReturnType<(typeof import("@hpcc-js/wasm-graphviz", { with: { "resolution-mode": "import" } }))["Graphviz"]["load"]>>;
let graphviz: Promise<Graphviz> | undefined;

export async function toSvg(dot: string): Promise<string> {
  graphviz ??= import("@hpcc-js/wasm-graphviz").then((m) => m.Graphviz.load());
  try {
    return (await graphviz).dot(dot, "svg");
  } catch (e) {
    throw problems.renderFailed((e as Error).message ?? String(e));
  }
}
