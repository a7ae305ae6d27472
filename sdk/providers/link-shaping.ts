import { providerFor } from "../provider";

// Being this module's whole export lets Pulumi store the provider as `require("pulumi-linuxnet/dist/sdk/providers/link-shaping.js")`.
export = providerFor("linkShaping");
