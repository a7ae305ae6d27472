// Tests are written in TypeScript and compiled by tsc into dist/test (no ts-jest): what runs
// is exactly what ships. Four tiers; kernel and e2e refuse to start outside a sandbox, and
// fullkernel only inside the VM scripts/full-kernel.sh boots (scripts/test.sh runs it there
// and selects the other three on the host).
const guarded = (name, setup = "guard-setup") => ({
  displayName: name,
  testMatch: [`<rootDir>/dist/test/${name}/**/*.test.js`],
  globalSetup: `<rootDir>/dist/test/support/${setup}.js`,
});
module.exports = {
  testTimeout: 60_000,
  projects: [
    { displayName: "unit", testMatch: ["<rootDir>/dist/test/unit/**/*.test.js"] },
    guarded("kernel"),
    guarded("e2e"),
    // Inside the VM the checkout is read over 9p under emulation, where every file costs: it
    // crawls only its own tests (imports outside resolve as usual; crawling node_modules cost
    // ~6 s per boot) and transforms nothing (dist/ is plain JS already).
    { ...guarded("fullkernel", "fullkernel-setup"), roots: ["<rootDir>/dist/test/fullkernel"], transform: {} },
  ],
};
