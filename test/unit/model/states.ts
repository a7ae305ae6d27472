/**
 * Small hand-written states for the reachability model's unit tests: resources as
 * `pulumi stack export` has them (the provider's checked inputs, defaults filled in).
 */
import { buildModel } from "../../../model/kinds";
import { type Prediction, predict } from "../../../model/predict";
import type { Resource } from "../../../model/resource";
import type { Props } from "../../../model/values";

export function res(kind: string, name: string, props: Props, extra: Partial<Resource> = {}): Resource {
  const type = kind === "Router" ? "linuxnet:index:Router" : `pulumi-nodejs:dynamic/linuxnet:${kind}`;
  return { urn: `urn:pulumi:dev::lab::${type}::${name}`, type, kind, name, props, inputs: props, op: "same", dependencies: [], ...extra };
}

export const ns = (name: string, loopbackUp = true, extra: Props = {}) => res("Namespace", name, { name, loopbackUp, ...extra });

interface End {
  name: string;
  netns?: string;
  addresses?: string[];
  master?: string;
  up?: boolean;
}
const end = (e: End) => ({ addresses: [], up: true, ...e });
export const veth = (name: string, a: End, b: End, extra: Props = {}) => res("VethPair", name, { end: end(a), peer: end(b), ...extra });
export const bridge = (name: string, netns: string, addresses: string[] = [], extra: Props = {}) => res("Bridge", name, { name, netns, addresses, up: true, stp: false, ...extra });
export const route = (name: string, netns: string, destination: string, via: string, extra: Props = {}) => res("Route", name, { destination, via, netns, table: "main", family: "ipv4", ...extra });
export const sysctl = (name: string, netns: string, key: string, value: string) => res("Sysctl", name, { key, value, netns });
export const rule = (name: string, netns: string, chain: string, tokens: string[], extra: Props = {}) =>
  res("IptablesRule", name, { table: chain === "POSTROUTING" ? "nat" : "filter", chain, rule: tokens, position: "append", family: "ipv4", netns, ...extra });
export const forwarding = (netns: string) => sysctl(`${netns}-forward`, netns, "net.ipv4.ip_forward", "1");

export interface Network {
  name: string;
  parent: string;
  netns: string;
  mode?: string;
  subnet: string;
  gateway: string;
  hostAccess?: { name: string; address: string };
}
export const macvlanNetwork = (n: Network) => res("MacvlanNetwork", `${n.netns}-${n.name}`, { mode: "bridge", ...n });
export const endpoint = (name: string, netns: string, address: string, n: Network, extra: Props = {}) =>
  res("MacvlanEndpoint", name, {
    name: "eth0",
    netns,
    address,
    defaultRoute: true,
    up: true,
    network: { parent: n.parent, netns: n.netns, mode: n.mode ?? "bridge", subnet: n.subnet, gateway: n.gateway, ...(n.hostAccess && { shim: n.hostAccess }) },
    ...extra,
  });

/** The prediction for one pair in a state (pulumi's own namespace fresh unless said). */
export function ping(resources: Resource[], from: string, to: string, ownFresh = true): Prediction {
  return predict(buildModel(resources, { ownFresh }), from, to);
}

/** "reachable 63", "unreachable", "unknown": the answer in a word (and the TTL). */
export const answer = (p: Prediction): string => (p.answer === "reachable" ? `reachable ${p.ttl}` : p.answer);
