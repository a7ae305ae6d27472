import { parseCommand } from "../../../cli/args";

describe("the command line", () => {
  it("parses each command with its options", () => {
    expect(parseCommand(["preview-summary", "--title", "T", "--max-length", "20000", "p.json"])).toEqual({ name: "preview-summary", file: "p.json", title: "T", maxLength: 20000, ownFresh: false });
    expect(parseCommand(["diagram"])).toEqual({ name: "diagram", file: undefined, format: "mermaid", preview: false, stack: undefined });
    expect(parseCommand(["diagram", "--preview", "--format", "svg", "-"])).toMatchObject({ format: "svg", preview: true, file: "-" });
    expect(parseCommand([])).toEqual({ name: "help" });
    expect(parseCommand(["reachability"])).toEqual({ name: "reachability", file: undefined, format: "markdown", preview: false, stack: undefined, ownFresh: false, from: [], to: [], family: "both", linkLocal: false });
    expect(parseCommand(["reachability", "--own-netns", "fresh", "--from", "a", "--from", "b", "--to", "10.0.0.1", "--format", "json", "--preview", "p.json"])).toEqual({
      name: "reachability",
      file: "p.json",
      format: "json",
      preview: true,
      stack: undefined,
      ownFresh: true,
      from: ["a", "b"],
      to: ["10.0.0.1"],
      family: "both",
      linkLocal: false,
    });
    expect(parseCommand(["reachability", "--family", "ipv6", "--link-local", "--to", "fe80::1%eth0"])).toMatchObject({ family: "ipv6", linkLocal: true, to: ["fe80::1%eth0"] });
    expect(() => parseCommand(["reachability", "--family", "ip6"])).toThrow('invalid --family "ip6" (must be one of both, ipv4, ipv6)');
    expect(() => parseCommand(["reachability", "--family", "ipv4", "--link-local"])).toThrow("--link-local is IPv6's: it takes no --family ipv4");
    expect(() => parseCommand(["diagram", "--family", "ipv4"])).toThrow("diagram takes no --family");
    expect(parseCommand(["orphans", "--stack", "dev", "--host", "root@10.0.0.1", "--host", "h2:2222", "--identity", "k", "--delete"])).toEqual({
      name: "orphans",
      stack: "dev",
      project: undefined,
      hosts: ["root@10.0.0.1", "h2:2222"],
      identity: "k",
      knownHosts: undefined,
      insecureIgnoreHostKey: false,
      delete: true,
    });
  });

  it("refuses what does not make sense, with exit code 2 and the usage", () => {
    const fails = (argv: string[], message: string) => {
      try {
        parseCommand(argv);
      } catch (e) {
        expect((e as Error).message.split("\n")[0]).toBe(message);
        expect((e as { exitCode: number }).exitCode).toBe(2);
        return;
      }
      throw new Error(`accepted ${argv.join(" ")}`);
    };
    fails(["draw"], 'unknown command "draw" (known: new, preview-summary, diagram, reachability, orphans)');
    fails(["reachability", "--format", "svg"], 'invalid --format "svg" (must be one of markdown, json)');
    fails(["reachability", "--own-netns", "empty"], 'invalid --own-netns "empty" (must be one of fresh, unknown)');
    fails(["reachability", "--title", "x"], "reachability takes no --title");
    fails(["diagram", "--from", "x"], "diagram takes no --from");
    fails(["diagram", "--format", "png"], 'invalid --format "png" (must be one of mermaid, dot, svg)');
    fails(["preview-summary", "--max-length", "10"], 'invalid --max-length "10" (must be a whole number of characters, at least 1000)');
    fails(["preview-summary", "--stack", "x"], "preview-summary takes no --stack");
    fails(["diagram", "--stack", "s", "f.json"], "--stack reads the stack with `pulumi stack export`; it takes no FILE and no --preview");
    fails(["diagram", "a", "b"], "one input file at most, got 2");
    fails(["orphans", "--format", "svg"], "orphans takes no --format");
    fails(["orphans", "state.json"], 'orphans takes no FILE (it reads the states with `pulumi stack export`), got "state.json"');
    fails(["diagram", "--delete"], "diagram takes no --delete");
  });
});
