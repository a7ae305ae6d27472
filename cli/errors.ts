/**
 * Every message the command prints when it cannot do its job is built here: one line that
 * says what was wrong with which input and what was expected, printed by main.ts as
 * `pulumi-linuxnet <command>: <message>` with a non-zero exit.
 */

/** A failure the user can act on; its message is the whole line. */
export class CliError extends Error {
  constructor(
    message: string,
    /** 2: the command line was wrong; 1: the input or a tool was. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** What the command reads, and the command that makes it, for messages. */
export const SOURCES = {
  preview: "`pulumi preview --json`",
  export: "`pulumi stack export`",
} as const;
export type Expected = keyof typeof SOURCES;

export const problems = {
  usage: (detail: string, usage: string) => new CliError(`${detail}\n${usage}`, 2),
  unreadable: (file: string, cause: string) => new CliError(`cannot read file ${file}: ${cause}`),
  emptyInput: (where: string, expected: Expected) =>
    new CliError(`${where} is empty; pipe the output of ${SOURCES[expected]} into it${expected === "export" ? " (or pass --stack NAME to have it run)" : ""}`),
  notJson: (where: string, expected: Expected, cause: string) =>
    new CliError(`${where} is not JSON (${cause}); expected the output of ${SOURCES[expected]}`),
  wrongShape: (where: string, expected: Expected, issue: string) => new CliError(`${where} is not the output of ${SOURCES[expected]}: ${issue}`),
  previewGiven: (where: string) => new CliError(`${where} is the output of ${SOURCES.preview}, not ${SOURCES.export}; add --preview to draw what the preview plans`),
  exportGiven: (where: string) => new CliError(`${where} is the output of ${SOURCES.export}, not ${SOURCES.preview}`),
  previewFailed: (where: string, message: string) => new CliError(`${where} holds a failed preview, not a plan: ${message}`),
  emptyStack: (where: string, expected: Expected) =>
    new CliError(
      expected === "export"
        ? `${where} holds no pulumi-linuxnet resources: the stack is empty (never deployed, or destroyed)`
        : `${where} plans no pulumi-linuxnet resources: the program declares none and the stack holds none`,
    ),
  exportFailed: (cause: string) => new CliError(`could not read the stack: \`pulumi stack export\` failed: ${cause}`),
  notInStack: (what: string, rule: string) => new CliError(`invalid ${what} (must be ${rule})`, 2),
  renderFailed: (cause: string) => new CliError(`Graphviz could not lay out the diagram: ${cause}`),
};
