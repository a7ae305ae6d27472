import { providerFor } from "../provider";

// Being this module's whole export lets Pulumi store the provider as `require("pulumi-linuxnet/dist/sdk/providers/namespace-fleet.js")`
// when the package is installed under node_modules (a few hundred bytes of state per resource instead of ~2 KB).
export = providerFor("namespaceFleet");
