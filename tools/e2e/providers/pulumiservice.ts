/**
 * A fake `pulumiservice` resource provider for the e2e run (docs/e2e.md): the real one manages
 * Pulumi Cloud objects (deployment settings, teams, tokens) through the Pulumi Cloud API, which the
 * run has no account for. Inputs become outputs; the id is the resource name.
 */
import * as crypto from "node:crypto";
import * as provider from "@pulumi/pulumi/provider";
import { changedInputs } from "./outputs";

type Props = Record<string, unknown>;

/** What Pulumi Cloud returns for a new object, by type: an agent pool's id and its access token. */
function computed(urn: string): Props {
  if (urn.split("::")[2].endsWith("pulumiservice:index:AgentPool"))
    return { agentPoolId: crypto.randomUUID(), tokenValue: `pul-${crypto.randomBytes(20).toString("hex")}` };
  return {};
}

class FakePulumiService implements provider.Provider {
  readonly version = process.env.E2E_PULUMISERVICE_VERSION ?? "1.3.0";

  async check(_urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
    return { inputs: news };
  }

  async diff(_id: string, _urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    return { changes: changedInputs(olds, news).length > 0 };
  }

  async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    const id = `${urn.split("::")[3]}-${crypto.randomBytes(4).toString("hex")}`;
    return { id, outs: { ...inputs, ...computed(urn), __inputs: inputs } };
  }

  async update(_id: string, _urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    return { outs: { ...olds, ...news, __inputs: news } };
  }

  async delete(): Promise<void> {}
}

void provider.main(new FakePulumiService(), process.argv.slice(2));
