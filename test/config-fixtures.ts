/**
 * The smallest valid raw configurations (`platform:*` keys as the Pulumi CLI hands them to the
 * program) of a hub and of a spoke, for tests that load a configuration and change a few keys.
 */

/** A hub: region, role, VPC CIDR and the GitOps repository (the only required keys). */
export const minimalHub: Readonly<Record<string, string>> = {
  "aws:region": "eu-west-1",
  "platform:role": "hub",
  "platform:vpcCidr": "10.100.0.0/16",
  "platform:gitops": '{"repositoryUrl":"https://github.com/acme/platform"}',
};

/** A spoke of that hub: its own VPC CIDR and the hub's stack reference. */
export const minimalSpoke: Readonly<Record<string, string>> = {
  "aws:region": "eu-west-1",
  "platform:role": "spoke",
  "platform:vpcCidr": "10.0.0.0/16",
  "platform:gitops": '{"repositoryUrl":"https://github.com/acme/platform"}',
  "platform:hubStackReference": "acme/platform/hub",
};
