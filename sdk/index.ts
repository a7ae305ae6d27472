/**
 * pulumi-linuxnet: Linux virtual networks as code. Each class is a Pulumi resource whose
 * provider runs the real tools (`ip`, `tc`, `iptables`, `sysctl`, …) against the kernel of the
 * machine running `pulumi`, or of the machine its `connection` names (over SSH).
 */
export { Namespace, type NamespaceArgs } from "./namespace";
export { NamespaceFleet, type NamespaceFleetArgs, type FleetMemberArgs, type FleetExpectationArgs, type FleetMemberState } from "./fleet";
export { VethPair, type VethPairArgs, type VethEndArgs, type VethEnd } from "./veth";
export { Bridge, type BridgeArgs } from "./bridge";
export { VlanInterface, type VlanInterfaceArgs } from "./vlan";
export { VxlanInterface, VxlanTunnel, vxlanOverhead, type VxlanInterfaceArgs, type VxlanTunnelArgs, type VxlanEndArgs } from "./vxlan";
export { LinkShaping, type LinkShapingArgs, type Percent } from "./link-shaping";
export { Sysctl, Route, IptablesRule, type SysctlArgs, type RouteArgs, type IptablesRuleArgs } from "./router-kinds";
export { Router, type RouterArgs, type Leg } from "./router";
export { MacvlanNetwork, MacvlanEndpoint, type MacvlanNetworkArgs, type MacvlanEndpointArgs, type MacvlanMode } from "./macvlan";
export { Probe, expectReachability, type ProbeArgs, type ProbeSeen, type ProbeOrigin, type ProbePair, type ReachabilityArgs } from "./probe";
export type { LinkArgs, NetnsRef } from "./link";
export { Host, type CommonArgs, type ConnectionArgs } from "./provider";
