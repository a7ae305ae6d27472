import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Builds the resources listed in config `resources` (JSON): [{ kind, name, args, opts? }].
// Inside args, "$NAME" is the resource made earlier under NAME, and "$NAME.name" its name output.
interface Spec {
  kind: keyof typeof kinds;
  name: string;
  args: Record<string, unknown>;
  opts?: pulumi.CustomResourceOptions;
}
const kinds = {
  Namespace: linuxnet.Namespace,
  Bridge: linuxnet.Bridge,
  VethPair: linuxnet.VethPair,
  VlanInterface: linuxnet.VlanInterface,
  MacvlanNetwork: linuxnet.MacvlanNetwork,
  MacvlanEndpoint: linuxnet.MacvlanEndpoint,
  Sysctl: linuxnet.Sysctl,
  Route: linuxnet.Route,
  IptablesRule: linuxnet.IptablesRule,
  VxlanInterface: linuxnet.VxlanInterface,
  LinkShaping: linuxnet.LinkShaping,
  Probe: linuxnet.Probe,
};
const made: Record<string, unknown> = {};

function resolve(v: unknown): unknown {
  if (typeof v === "string" && v.startsWith("$")) {
    const [name, field] = v.slice(1).split(".");
    const r = made[name] as unknown as Record<string, unknown>;
    if (!r) throw new Error(`no resource "${name}" made before this one`);
    return field ? r[field] : r;
  }
  if (Array.isArray(v)) return v.map(resolve);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  return v;
}

const specs: Spec[] = JSON.parse(new pulumi.Config().require("resources"));
for (const s of specs) made[s.name] = new (kinds[s.kind] as any)(s.name, resolve(s.args), s.opts);

export const names = Object.keys(made);
