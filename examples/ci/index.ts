import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// The lab the CI example (network-review.yml, comment.sh) previews on every pull request: bridge
// lab-br0 in namespace ci-host with `containers` namespaces on it, and an uplink veth pair from
// ci-host to ci-edge whose edge address is a secret (`pulumi config set --secret uplinkAddress`),
// which the pull-request comment never prints.
const config = new pulumi.Config();
const count = config.getNumber("containers") ?? 2;
const bridgeName = config.get("bridgeName") ?? "lab-br0";
const subnet = config.get("subnet") ?? "10.20.0";

const host = new linuxnet.Namespace("host", { name: "ci-host" });
const edge = new linuxnet.Namespace("edge", { name: "ci-edge" });
const uplink = new linuxnet.VethPair("uplink", {
  end: { name: "up0", netns: edge, addresses: [config.getSecret("uplinkAddress") ?? "192.168.50.2/24"] },
  peer: { name: "up0-host", netns: host, addresses: ["192.168.50.1/24"] },
});

const br = new linuxnet.Bridge("lab-br0", { name: bridgeName, netns: host, addresses: [`${subnet}.1/24`] });
const containers = Array.from({ length: count }, (_, i) => {
  const ns = new linuxnet.Namespace(`c${i + 1}`, { name: `ci-c${i + 1}` });
  const pair = new linuxnet.VethPair(`c${i + 1}-eth0`, {
    end: { name: "eth0", netns: ns, addresses: [`${subnet}.${11 + i}/24`] },
    peer: { name: `veth-c${i + 1}`, netns: host, master: br },
  });
  return { namespace: ns.name, ifindex: pair.endIfindex };
});

export const bridge = { name: br.name, ifindex: br.ifindex };
export const uplinkIfindex = uplink.endIfindex;
export { containers };
