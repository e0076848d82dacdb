/**
 * Start-up trim for the plan process only (imported first by tools/plan/cli.ts; the real program
 * and the tests never load it).
 *
 * `@pulumi/pulumi` loads its function-serialization machinery eagerly: the TypeScript compiler and
 * npm's arborist, about half a second on this machine, used only by `pulumi.runtime.serializeFunction`
 * (callback Lambdas and dynamic providers), which this program never calls. Here those two modules,
 * when `@pulumi/pulumi` requires them, are replaced by a proxy that loads the real module on first
 * use: behaviour is unchanged, only the cost moves to the (absent) first use.
 */
import Module from "node:module";
import * as path from "node:path";

const LAZY = new Set(["typescript", "@npmcli/arborist", "normalize-package-data"]);
const PULUMI_DIR = `${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

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
  if (LAZY.has(request) && parent?.filename?.includes(PULUMI_DIR)) {
    return lazyModule(() => originalLoad.call(this, request, parent, isMain) as object);
  }
  return originalLoad.call(this, request, parent, isMain);
};
