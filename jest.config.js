// Tests are written in TypeScript and compiled by tsc into dist/test (no ts-jest): what runs
// is exactly what ships. Three tiers; kernel and e2e refuse to start outside a sandbox.
const guarded = (name) => ({
  displayName: name,
  testMatch: [`<rootDir>/dist/test/${name}/**/*.test.js`],
  globalSetup: "<rootDir>/dist/test/support/guard-setup.js",
});
module.exports = {
  testTimeout: 60_000,
  projects: [{ displayName: "unit", testMatch: ["<rootDir>/dist/test/unit/**/*.test.js"] }, guarded("kernel"), guarded("e2e")],
};
