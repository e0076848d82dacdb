/**
 * The alerting capability: its config slice (`platform:alerting`, hub only) with the Alertmanager
 * receivers (credentials as Pulumi secrets) and the platform's default alert rules.
 * docs/alerting.md explains it.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { parseAddressList } from "email-addresses";
import { z } from "zod";
import { PlatformAlertRules } from "../components/alerting";
import type { CoreConfig } from "./core";
import type { SectionOf } from "./schema";
import { ConfigError, NAMESPACE, boolean, kubernetesName, structured } from "./schema";

/** What the offline plan passes for a `secure:` value it cannot decrypt (tools/plan). */
const PLAN_SECRET_PLACEHOLDER = "[secret]";

const httpsUrl = () =>
  z.string().refine((v) => v === PLAN_SECRET_PLACEHOLDER || /^https:\/\/\S+$/.test(v), {
    error: "an https:// URL",
  });

const common = {
  /** Receiver name, unique. */
  name: kubernetesName(),
  /** Label matchers, e.g. ["severity = critical"]; empty routes every alert. @default [] */
  matchers: z.array(z.string().min(1)).default([]),
  /** Notify when alerts resolve. @default true */
  sendResolved: z.boolean().default(true),
};

/** One Alertmanager receiver. https://prometheus.io/docs/alerting/latest/configuration/#receiver */
const receiverSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      ...common,
      type: z.literal("slack"),
      /** Slack incoming-webhook URL (secret). */
      url: httpsUrl(),
      /** Slack channel. @default the webhook's */
      channel: z.string().optional(),
    }),
    z.strictObject({ ...common, type: z.literal("webhook"), /** Endpoint (secret). */ url: httpsUrl() }),
    z.strictObject({
      ...common,
      type: z.literal("pagerduty"),
      /** PagerDuty Events API v2 integration (routing) key (secret). */
      routingKey: z.string().min(1),
    }),
    z.strictObject({
      ...common,
      type: z.literal("email"),
      /** Recipient address(es), comma-separated. */
      to: z.string().min(3),
      /** Sender address. */
      from: z.email({ error: "an e-mail address" }),
      /** SMTP server `host:port` (STARTTLS required). */
      smarthost: z
        .string()
        .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: "an SMTP host:port such as smtp.example.com:587" }),
      /** SMTP user. @default none */
      username: z.string().optional(),
      /** SMTP password (secret). @default none */
      password: z.string().optional(),
    }),
  ],
  { error: "a receiver of type slack, webhook, pagerduty or email" },
);

/** The `platform:alerting` object. */
const alertingConfigSchema = z.preprocess(
  // The offline plan cannot decrypt a whole-key secret: it plans no receivers.
  (v) => (v === PLAN_SECRET_PLACEHOLDER ? {} : v),
  z
    .object({
      /** Alertmanager receivers (credentials: set the key with pulumi config set --secret). @default [] */
      receivers: z.array(receiverSchema).default([]),
      /** Receiver of what no other route takes. @default the first receiver */
      defaultReceiver: kubernetesName().optional(),
      /** The platform's PrometheusRule (Flux, certificates, backups). @default true */
      platformRules: boolean().default(true),
    })
    .strict(),
);

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const alertingSchema = {
  /** Hub: Alertmanager receivers and the platform's alert rules (object, see docs/alerting.md). @default platform rules on, no receivers */
  alerting: structured(alertingConfigSchema).prefault({}),
};

/** The key belongs to the hub (Alertmanager and the rules run there). */
export const alertingRoles = { alerting: "hub" } as const;

type AlertingStackConfig = CoreConfig & SectionOf<typeof alertingSchema>;

/** True when the alerting settings hold credentials (a receiver), which must then be a Pulumi secret. */
export function alertingHasCredentials(value: unknown): boolean {
  const receivers = (value as { receivers?: unknown[] } | undefined)?.receivers;
  return Array.isArray(receivers) && receivers.length > 0;
}

/**
 * The addresses of the e-mail receivers' `to` (an RFC 5322 address list, as Alertmanager reads it:
 * `ops@example.com, Team <team@example.com>`), each once, in order. The storage capability
 * subscribes them to its backup alerts topic (docs/backups.md).
 * @throws ConfigError naming `platform:alerting.receivers[i].to` when it is not an address list.
 */
export function emailReceiverAddresses(config: Pick<AlertingStackConfig, "alerting">): string[] {
  const addresses = new Map<string, string>();
  config.alerting.receivers.forEach((r, i) => {
    if (r.type !== "email") return;
    const parsed = parseAddressList(r.to);
    if (parsed === null || parsed.length === 0)
      throw new ConfigError(
        `${NAMESPACE}:alerting.receivers[${i}].to`,
        "(secret, not shown)",
        "a comma-separated list of e-mail addresses such as ops@example.com, Team <team@example.com>",
      );
    for (const mailbox of parsed.flatMap((a) => (a.type === "group" ? a.addresses : [a])))
      if (!addresses.has(mailbox.address.toLowerCase()))
        addresses.set(mailbox.address.toLowerCase(), mailbox.address);
  });
  return [...addresses.values()];
}

/** Cross-field rules: unique names, `null` reserved, defaultReceiver among the receivers, e-mail lists. */
export function alertingChecks(config: Pick<AlertingStackConfig, "alerting">): void {
  const key = `${NAMESPACE}:alerting`;
  const seen = new Set<string>();
  config.alerting.receivers.forEach((r, i) => {
    if (r.name === "null")
      throw new ConfigError(`${key}.receivers[${i}].name`, r.name, "a name other than null (reserved)");
    if (seen.has(r.name))
      throw new ConfigError(`${key}.receivers[${i}].name`, r.name, "a receiver name used once");
    seen.add(r.name);
  });
  emailReceiverAddresses(config);
  const d = config.alerting.defaultReceiver;
  if (d !== undefined && !seen.has(d))
    throw new ConfigError(
      `${key}.defaultReceiver`,
      d,
      seen.size ? `one of the receivers: ${[...seen].join(", ")}` : "no value without receivers",
    );
}

/** Builds the platform's alert rules on the hub when enabled. */
export function buildAlertingHub(
  config: AlertingStackConfig,
  foundation: { readonly provider: k8s.Provider },
  prometheusStack: pulumi.Resource,
): PlatformAlertRules | undefined {
  if (!config.alerting.platformRules) return undefined;
  return new PlatformAlertRules(config.stack, { provider: foundation.provider, prometheusStack });
}
