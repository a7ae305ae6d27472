import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// bench/program's topology as one resource: N members bK, each with eth0 (10.200.x.y/16, host
// K+2 of the subnet, as bench/tutorial.sh numbers them) whose other end, named bK, is a port of
// br0. Config `moved` (a member's position): that member's address becomes 10.200.255.250/16,
// the benchmark's update of one member. Config `topology` "plain" (bench/run.sh above 1023
// members, the most a bridge holds): no bridge, each member's other end a plain link in the
// namespace pulumi runs in.
const config = new pulumi.Config();
const n = config.requireNumber("n");
const moved = config.getNumber("moved");
const topology = config.get("topology") ?? "bridge";
if (topology !== "bridge" && topology !== "plain") throw new Error(`bench/fleet: config topology: "bridge" or "plain", not "${topology}"`);
// As users write a fleet of like members (count and a name prefix); with `moved`, written out
// (the state holds every member written out either way, so only that member differs).
const like = { count: n, namePrefix: "b" };
const members = Array.from({ length: n }, (_, k) => (k === moved ? { name: `b${k}`, addresses: ["10.200.255.250/16"] } : { name: `b${k}` }));
// The bridge by its name (an output of br0, so the fleet comes after it); the Bridge itself
// works too since the SDK takes its namespace from its inputs (before, a bridge in the
// provider's own namespace made every no-op preview propose to replace the fleet).
const bridge = topology === "bridge" ? new linuxnet.Bridge("br0", { name: "br0", addresses: ["10.200.0.1/16"] }).name : undefined;
new linuxnet.NamespaceFleet("b", { ...(moved === undefined ? like : { members }), ...(bridge === undefined ? {} : { bridge }), subnet: "10.200.0.0/16" });
