/**
 * Start-up trim for the plan process only (imported first by tools/plan/cli.ts; the real program
 * and the tests never load it).
 *
 * 1. The index files of `@pulumi/pulumi`, `@pulumi/aws`, `@pulumi/kubernetes`, `@pulumi/tls` and
 *    `@pulumi/pulumiservice` (and of their sub-modules) require every sub-module eagerly:
 *    `@pulumi/aws` alone loads its ~260 service modules, `@pulumi/pulumi` its Automation API and
 *    process-spawning libraries, `@pulumi/pulumiservice` the 16 modules of its `api` namespace
 *    (the platform uses one resource of its root), a third of the modules of a plan. In the plan,
 *    those namespaces load when first read instead ({@link lazySubmodules}, applied by a
 *    `module.registerHooks` load hook). What the program reads is the same module object; a
 *    service it never reads is never loaded. The one difference is that an unread service does not
 *    register its resource module, which only matters when deserializing a reference to a resource
 *    of a type the program never constructs.
 *
 * 2. `@pulumi/pulumi` and the policy SDK also load, eagerly, code the plan never runs: the
 *    function-serialization machinery (the TypeScript compiler, npm's arborist,
 *    normalize-package-data; about half a second on this machine), used only by
 *    `pulumi.runtime.serializeFunction`, and the engine's gRPC transport, its generated service
 *    clients and OpenTelemetry tracing, used only to talk to a real engine (the plan's mock
 *    monitor is in-process). Those modules, when these SDKs require them, are replaced by a proxy
 *    that loads the real module on first use: behaviour is unchanged, only the cost moves to the
 *    (absent) first use.
 */
import Module from "node:module";
import { lazySubmodules } from "./lazy-index";

/** @pulumi/pulumi, and the policy SDK (its analyzer server is gRPC). */
const PULUMI_SDKS = /[\\/]@pulumi[\\/](pulumi|policy)[\\/]/;
/** Modules deferred (a proxy that loads on first use) when the given packages require them. */
const DEFERRED: readonly { readonly requests: ReadonlySet<string>; readonly parents: RegExp }[] = [
  {
    requests: new Set([
      "typescript",
      "@npmcli/arborist",
      "normalize-package-data",
      // The engine's gRPC transport and tracing: the plan's mock monitor never opens a connection.
      "@grpc/grpc-js",
      "@opentelemetry/api",
    ]),
    parents: PULUMI_SDKS,
  },
  // File globbing of `kubernetes.yaml.ConfigGroup` (7 modules), which the platform does not use.
  { requests: new Set(["glob"]), parents: /[\\/]@pulumi[\\/]kubernetes[\\/]/ },
  // Number words for cron descriptions; the platform only parses schedules and computes next runs.
  { requests: new Set(["number-to-words"]), parents: /[\\/]aws-cron-parser[\\/]/ },
];
/** The generated gRPC service clients (`../proto/resource_grpc_pb`): built on @grpc/grpc-js at load. */
const GRPC_SERVICES = /_grpc_pb$/;

function deferred(request: string, parentFile: string): boolean {
  if (GRPC_SERVICES.test(request)) return PULUMI_SDKS.test(parentFile);
  return DEFERRED.some((d) => d.requests.has(request) && d.parents.test(parentFile));
}

type Loader = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: Loader };
const originalLoad = moduleInternals._load;

function lazyModule(load: () => object): object {
  let real: object | undefined;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      // An ES-module marker keeps `__importStar` from enumerating (and so loading) the module.
      get: (_, key) => (key === "__esModule" ? true : Reflect.get(target(), key)),
      has: (_, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
        return descriptor ? { ...descriptor, configurable: true } : undefined;
      },
    },
  );
}

moduleInternals._load = function (request, parent, isMain) {
  if (deferred(request, parent?.filename ?? "")) {
    return lazyModule(() => originalLoad.call(this, request, parent, isMain) as object);
  }
  return originalLoad.call(this, request, parent, isMain);
};

/** The index files {@link lazySubmodules} applies to. */
const LAZY_INDEX =
  /\/node_modules\/(@pulumi\/(pulumi\/index\.js|(aws|kubernetes|pulumiservice|tls)\/(.+\/)?index\.js)|zod\/v4\/(core\/index|classic\/external)\.cjs)$/;

// Node 22.15 and later; on older Node the plan only loads more modules.
const { registerHooks } = Module as Partial<typeof Module>;
registerHooks?.({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (!LAZY_INDEX.test(url) || result.source === null || result.source === undefined) return result;
    const text =
      typeof result.source === "string"
        ? result.source
        : Buffer.from(result.source as ArrayBuffer).toString("utf8");
    return { ...result, source: lazySubmodules(text).source };
  },
});
