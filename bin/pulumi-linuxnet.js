#!/usr/bin/env node
// `npx pulumi-linuxnet preview-summary < preview.json`, `npx pulumi-linuxnet diagram --format svg`: see dist/cli/main.js.
require("../dist/cli/main.js").cli();
