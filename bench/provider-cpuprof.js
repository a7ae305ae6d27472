// Preloaded by bench/profile.sh (NODE_OPTIONS=--require) into every Node process of a command;
// acts only in the dynamic-provider process. The engine ends that process with SIGKILL, so
// `node --cpu-prof` never writes its profile: this one profiles through the inspector and
// writes a chunk every 2 s (provider.PID.K.cpuprofile in LINUXNET_PROVIDER_PROF_DIR), losing
// at most the last 2 s. bench/cpuprofile-summary.js sums the chunks of one process.
"use strict";
const dir = process.env.LINUXNET_PROVIDER_PROF_DIR;
if (dir && /[\\/]cmd[\\/]dynamic-provider/.test(process.argv[1] ?? "")) {
  const { Session } = require("node:inspector");
  const { writeFileSync } = require("node:fs");
  const session = new Session();
  session.connect();
  let chunk = 0;
  session.post("Profiler.enable", () => session.post("Profiler.start"));
  setInterval(() => {
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(`${dir}/provider.${process.pid}.${chunk++}.cpuprofile`, JSON.stringify(result.profile));
      session.post("Profiler.start");
    });
  }, 2000).unref();
}
