import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// A key as many programs read it: a plain string, the text of a file (not pulumi.secret).
// config: address, hostKey, keyFile.
const config = new pulumi.Config();
const privateKey = readFileSync(config.require("keyFile"), "utf8");
const host = new linuxnet.Host("h1", { host: config.require("address"), hostKey: config.require("hostKey"), privateKey });
const ns = new linuxnet.Namespace("k1", { name: "k1", connection: host });
export const made = ns.name;
