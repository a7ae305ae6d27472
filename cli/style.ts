/**
 * How the diagram marks operations and shapes, shared by the Mermaid and DOT renderers so
 * the two read alike. Colours follow the summary's markers (🟢 🔵 🟠 🔴).
 */
import type { Op } from "./resources";

export const OP_COLOUR: Record<Exclude<Op, "same">, string> = {
  create: "#2da44e",
  update: "#0969da",
  replace: "#e16f24",
  delete: "#cf222e",
};

/** The legend a planned diagram carries. */
export const LEGEND = "green: create · blue: update · orange: replace · red, dashed: delete · dashed grey: not in this stack";

export const EXTERNAL_COLOUR = "#8c959f";

/** An operation's colour, or undefined for what stays as it is. */
export const colourOf = (op?: Op): string | undefined => (op && op !== "same" ? OP_COLOUR[op] : undefined);
