/**
 * One registry of kinds (provider/registry.ts), and everything that must agree with it: the
 * kinds' files and provider dispatch, each kind's schema and replacement fields, the SDK's
 * provider modules and resource classes (their type names, the provider they are wired to,
 * their declared outputs), the CLI's kind table and diagram, and the tables that must cover
 * every kind: the reachability model's rules, the marked kinds (what `orphans` lists and
 * removes, and what a Namespace's delete guard looks for). A kind in one of them and not the
 * others fails here, by name. The SDK classes are read from their TypeScript sources (declared fields leave
 * nothing at run time), with the TypeScript compiler's parser.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { COMPONENTS, KINDS, REPLACE_ON_EVERY_KIND, type KindDecl } from "../../provider/registry";
import { handlersFor } from "../../provider";
import { fieldPaths } from "../../provider/core/kind";
import { providerFor, MODULE } from "../../sdk/provider";
import { KINDS as CLI_KINDS, entryFor } from "../../cli/kinds";
import { REMOVED_AS } from "../../cli/admin/orphans";
import { REACH_KINDS } from "../../model/kinds";
import { REMOVAL_ORDER } from "../../provider/core/marked";
import type { z } from "zod";

const ROOT = join(__dirname, "..", "..", "..");
const decls: KindDecl[] = Object.values(KINDS);
const sorted = (xs: Iterable<string>) => [...xs].sort();
const tsFiles = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));

/** What an SDK source file's resource classes say about themselves. */
interface SdkClass {
  file: string;
  name: string;
  exported: boolean;
  base: string;
  /** The super call's type name (its last argument) and module (the one before), where literal or MODULE. */
  type?: string;
  module?: string;
  /** The module the provider given to super was imported from (`import p = require("./providers/x")`). */
  providerModule?: string;
  /** `placeholders("<key>")` in the constructor. */
  placeholders: string[];
  declared: string[];
}

function sdkClasses(): SdkClass[] {
  return tsFiles("sdk").flatMap((file) => {
    const text = readFileSync(join(ROOT, "sdk", file), "utf8");
    const src = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const imports = new Map<string, string>();
    for (const s of src.statements) {
      if (ts.isImportEqualsDeclaration(s) && ts.isExternalModuleReference(s.moduleReference) && ts.isStringLiteral(s.moduleReference.expression)) {
        imports.set(s.name.text, s.moduleReference.expression.text);
      }
    }
    return src.statements.filter(ts.isClassDeclaration).map((c) => {
      const base = c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression.getText(src) ?? "";
      const declared = c.members
        .filter(ts.isPropertyDeclaration)
        .filter((m) => m.modifiers?.some((x) => x.kind === ts.SyntaxKind.DeclareKeyword))
        .map((m) => m.name.getText(src));
      const info: SdkClass = { file, name: c.name?.text ?? "", exported: Boolean(c.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)), base, declared, placeholders: [] };
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) {
          const args = n.arguments;
          const literal = (a?: ts.Expression) => (a && ts.isStringLiteral(a) ? a.text : a?.getText(src) === "MODULE" ? MODULE : undefined);
          if (base === "pulumi.dynamic.Resource") {
            info.type = literal(args[args.length - 1]);
            info.module = literal(args[args.length - 2]);
            info.providerModule = ts.isIdentifier(args[0]) ? imports.get(args[0].text) : undefined;
          } else info.type = literal(args[0]);
        }
        if (ts.isCallExpression(n) && n.expression.getText(src) === "placeholders" && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) info.placeholders.push(n.arguments[0].text);
        ts.forEachChild(n, visit);
      };
      visit(c);
      return info;
    });
  });
}

describe("the registry of kinds", () => {
  it("keys each declaration by its dispatch key, with unique type names and files, and the common inputs", () => {
    for (const [key, d] of Object.entries(KINDS)) {
      expect(d.key).toBe(key);
      expect(d.inputs).toEqual(expect.arrayContaining(["connection", "owner", "adopt"]));
    }
    expect(new Set(decls.map((d) => d.kind)).size).toBe(decls.length);
    expect(new Set(decls.map((d) => d.file)).size).toBe(decls.length);
    for (const c of COMPONENTS) expect(decls.map((d) => d.kind)).not.toContain(c);
  });

  it("has a declaration for every file in provider/kinds, and a file for every declaration", () => {
    expect(sorted(tsFiles("provider/kinds").map((f) => f.replace(/\.ts$/, "")))).toEqual(sorted(decls.map((d) => d.file)));
  });

  it("dispatches every key to that kind's six handlers, and refuses an unknown key", () => {
    for (const d of decls) {
      const h = handlersFor(d.key) as unknown as Record<string, unknown>;
      expect(h).toBeDefined();
      for (const m of ["check", "diff", "create", "read", "update", "delete"]) expect([d.key, m, typeof h[m]]).toEqual([d.key, m, "function"]);
    }
    expect(() => handlersFor("tunnel")).toThrow('pulumi-linuxnet: unknown resource kind "tunnel"');
  });

  it("declares as inputs exactly the top-level fields of each kind's schema", () => {
    for (const d of decls) {
      const schema = (require(join(ROOT, "dist", "provider", "kinds", d.file)) as { schema: z.ZodObject }).schema;
      expect([d.kind, sorted(Object.keys(schema.shape))]).toEqual([d.kind, sorted(d.inputs)]);
    }
  });

  it("replaces each kind on exactly its declared fields (and a new host or port), by the kind's own diff", async () => {
    const setAt = (path: string, v: string): Record<string, unknown> => path.split(".").reduceRight<unknown>((inner, k) => ({ [k]: inner }), v) as Record<string, unknown>;
    for (const d of decls) {
      const schema = (require(join(ROOT, "dist", "provider", "kinds", d.file)) as { schema: z.ZodObject }).schema;
      const fields = fieldPaths(schema);
      const replacing = [...d.replaceOn, ...REPLACE_ON_EVERY_KIND];
      for (const f of replacing) expect([d.kind, f, fields.includes(f)]).toEqual([d.kind, f, true]); // a replace-on field the schema has
      for (const f of fields) {
        const r = await handlersFor(d.key).diff("id", setAt(f, "a"), setAt(f, "b"));
        expect([d.kind, f, r.replaces]).toEqual([d.kind, f, replacing.includes(f) ? [f.split(".")[0]] : []]);
      }
    }
  });
});

describe("the SDK agrees with the registry", () => {
  const classes = sdkClasses();
  const resources = classes.filter((c) => c.base === "pulumi.dynamic.Resource");
  const sdk = require(join(ROOT, "dist", "sdk")) as Record<string, unknown>;

  it("has a provider module for every kind and no other, each the kind's providerFor object", () => {
    expect(sorted(tsFiles("sdk/providers").map((f) => f.replace(/\.ts$/, "")))).toEqual(sorted(decls.map((d) => d.file)));
    for (const d of decls) {
      const text = readFileSync(join(ROOT, "sdk", "providers", `${d.file}.ts`), "utf8");
      expect([d.file, /^export = providerFor\("([^"]+)"\);$/m.exec(text)?.[1]]).toEqual([d.file, d.key]);
      expect(require(join(ROOT, "dist", "sdk", "providers", d.file))).toBe(providerFor(d.key));
    }
  });

  it("registers each kind's type name with one exported class of that name, wired to that kind's provider and placeholders", () => {
    expect(sorted(resources.map((c) => c.type ?? `${c.name}: no literal type name`))).toEqual(sorted(decls.map((d) => d.kind)));
    for (const d of decls) {
      const c = resources.find((x) => x.type === d.kind)!;
      expect({ kind: d.kind, name: c.name, exported: c.exported, module: c.module, provider: c.providerModule, placeholders: c.placeholders }).toEqual({
        kind: d.kind,
        name: d.kind,
        exported: true,
        module: "linuxnet",
        provider: `./providers/${d.file}`,
        placeholders: [d.key],
      });
      expect(typeof sdk[d.kind]).toBe("function"); // exported by the package
    }
  });

  it("declares on each class only the kind's inputs, outputs and owner, and every output", () => {
    for (const d of decls) {
      const c = resources.find((x) => x.type === d.kind)!;
      const allowed = new Set([...d.inputs, ...d.outputs, "owner"]);
      expect([d.kind, c.declared.filter((f) => !allowed.has(f))]).toEqual([d.kind, []]);
      expect([d.kind, d.outputs.filter((o) => !c.declared.includes(o))]).toEqual([d.kind, []]);
    }
  });

  it("has a component class for every component and no other", () => {
    const components = classes.filter((c) => c.base === "pulumi.ComponentResource");
    expect(sorted(components.map((c) => c.type ?? c.name))).toEqual(sorted(COMPONENTS.map((k) => `linuxnet:index:${k}`)));
    for (const k of COMPONENTS) expect(typeof sdk[k]).toBe("function");
  });
});

describe("the CLI's kind table agrees with the registry", () => {
  it("has an entry for every kind and component, and no other", () => {
    expect(sorted(Object.keys(CLI_KINDS))).toEqual(sorted([...decls.map((d) => d.kind), ...COMPONENTS]));
  });

  it("takes each kind's identity fields from its replace-on fields and the connection's host and port; a component has none", () => {
    for (const d of decls) expect([d.kind, sorted(Object.keys(CLI_KINDS[d.kind].identity))]).toEqual([d.kind, sorted([...d.replaceOn, ...REPLACE_ON_EVERY_KIND])]);
    for (const k of COMPONENTS) expect(CLI_KINDS[k].identity).toEqual({});
  });
});

describe("every table that must cover every kind does", () => {
  const everyKind = [...decls.map((d) => d.kind), ...COMPONENTS];

  it("the reachability model has a rule for every kind and component (a kind without one makes its namespaces unknown), and no other", () => {
    expect(everyKind.filter((k) => !(k in REACH_KINDS))).toEqual([]);
    expect(Object.keys(REACH_KINDS).filter((k) => !everyKind.includes(k))).toEqual([]);
  });

  it("the diagram draws every kind and component by its own entry, never the generic one", () => {
    expect(everyKind.filter((k) => entryFor(k) !== CLI_KINDS[k])).toEqual([]);
  });

  /**
   * How each kind's kernel object is found again without a state (provider/core/marked.ts) and
   * removed by `orphans --delete` (cli/admin/orphans.ts): as a link, by its own marked kind (removed
   * by its own delete), or not at all because it makes nothing. The keys are checked against
   * the registry below, so a new kind fails here until it says which.
   */
  const FOUND_AS: Record<string, "link" | "its own" | "namespaces" | "makes nothing"> = {
    Namespace: "its own",
    NamespaceFleet: "namespaces", // each member's namespace, marked as a Namespace's and removed by its delete

    Bridge: "link",
    VethPair: "link",
    VlanInterface: "link",
    MacvlanNetwork: "link",
    MacvlanEndpoint: "link",
    VxlanInterface: "link",
    LinkShaping: "its own",
    Sysctl: "its own",
    Route: "its own",
    IptablesRule: "its own",
    Probe: "makes nothing",
  };

  it("says for every kind how its objects are found without a state (and no other)", () => {
    expect(sorted(Object.keys(FOUND_AS))).toEqual(sorted(decls.map((d) => d.kind)));
  });

  it("lists every kind that makes something among the marked kinds, which orphans removes and the namespace guard looks for", () => {
    // A marked kind of its own is one whose removal is that kind's own delete.
    const markedAs = (d: KindDecl) => (FOUND_AS[d.kind] === "link" ? "link" : FOUND_AS[d.kind] === "namespaces" ? REMOVAL_ORDER.find((m) => REMOVED_AS[m] === "namespace") : REMOVAL_ORDER.find((m) => REMOVED_AS[m] === d.key));
    expect(decls.filter((d) => FOUND_AS[d.kind] !== "makes nothing" && markedAs(d) === undefined).map((d) => d.kind)).toEqual([]);
    // The guard (othersIn) reads every marked kind but the namespace itself; orphans removes each in REMOVAL_ORDER.
    expect(REMOVAL_ORDER.filter((m) => REMOVED_AS[m] === undefined)).toEqual([]);
    expect(sorted(Object.keys(REMOVED_AS))).toEqual(sorted(REMOVAL_ORDER));
    expect(Object.values(REMOVED_AS).filter((k) => k !== "link" && !(k in KINDS))).toEqual([]);
  });
});
