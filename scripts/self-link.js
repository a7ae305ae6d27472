// Makes `require("pulumi-linuxnet")` resolve from anywhere inside this checkout
// (the root demo stack, examples/*, the dynamic-provider process), so examples use
// the very build and @pulumi/pulumi instance that the tests exercise.
const fs = require("fs");
const path = require("path");
const link = path.join(__dirname, "..", "node_modules", "pulumi-linuxnet");
try {
  if (fs.readlinkSync(link) === "..") return;
  fs.unlinkSync(link);
} catch {
  /* missing: create below */
}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync("..", link, "dir");
