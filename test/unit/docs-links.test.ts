/**
 * Every relative link and #anchor of every Markdown file of the repository resolves: the file
 * exists, and the anchor is one a heading of it makes under GitHub's rules (its text lower-cased,
 * punctuation dropped, spaces as hyphens, a repeated heading numbered -1, -2, …).
 */
import { relative } from "node:path";
import { anchorsOf, brokenLinks, markdownFiles, ROOT, slug } from "./docs-check";

describe("the links of every Markdown file", () => {
  const files = markdownFiles();

  it("all resolve: relative files exist, anchors name a heading", () => {
    expect(files.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(["README.md", "CONTRIBUTING.md", "docs/concepts.md", "docs/troubleshooting.md"]));
    expect(files.flatMap((f) => brokenLinks(f))).toEqual([]);
  });

  it("makes anchors as GitHub does", () => {
    expect(slug("The fast mode: `PULUMI_SKIP_CHECKPOINTS=true`")).toBe("the-fast-mode-pulumi_skip_checkpointstrue");
    expect(slug("N=200 and N=1000")).toBe("n200-and-n1000");
    expect(slug("Routes, sysctls, iptables and Router")).toBe("routes-sysctls-iptables-and-router");
    expect(slug("`adopt`: taking over what exists")).toBe("adopt-taking-over-what-exists");
    expect([...anchorsOf("# A\n## B\n```\n# not a heading\n```\n## B\n")]).toEqual(["a", "b", "b-1"]);
  });

  it("finds a planted missing file, a planted missing anchor and a planted anchor of another page", () => {
    const planted = ["[gone](docs/no-such-page.md)", "[here](#no-such-heading)", "[there](docs/concepts.md#no-such-heading)", "[fine](docs/concepts.md#ownership-marks)", "`[code](not-a-link.md)`"].join("\n");
    const broken = brokenLinks(`${ROOT}/README.md`, `# Title\n${planted}\n`);
    expect(broken).toEqual([
      "README.md:2: docs/no-such-page.md (no such file)",
      "README.md:3: #no-such-heading (no heading makes #no-such-heading)",
      "README.md:4: docs/concepts.md#no-such-heading (no heading makes #no-such-heading)",
    ]);
  });
});
