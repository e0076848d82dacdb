/**
 * The plan's protobuf `Struct` stand-in (tools/plan/mocks.ts `keepStructsAsJavaScript`) against the
 * real google-protobuf module @pulumi/pulumi loads: the same JavaScript back, the same fields and
 * bytes when read as protobuf, the same error for a value a `Struct` cannot hold. And the plain
 * JSON the plan records of serialized properties (`plainProperties`).
 */
import * as assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { keepStructsAsJavaScript, plainProperties, throughStruct } from "../tools/plan/mocks";

interface StructMessage {
  toJavaScript(): unknown;
  getFieldsMap(): { getLength(): number };
  serializeBinary(): Uint8Array;
}
const { Struct } = createRequire(require.resolve("@pulumi/pulumi"))(
  "google-protobuf/google/protobuf/struct_pb",
) as {
  Struct: { fromJavaScript(value: unknown): StructMessage };
};

/** Values shaped like serialized resource properties: nesting, key order, integer-like keys, signatures. */
const SAMPLES: Record<string, unknown>[] = [
  {},
  { b: 1, a: "x", c: true, d: null },
  {
    metadata: { name: "flux-system", labels: { "z.io/x": "1", "a.io/y": "2" }, annotations: {} },
    spec: { rules: [{ to: [{ ports: [{ port: 443, protocol: "TCP" }] }] }, []], "10": "ten", "9": "nine" },
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    value: { "4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", value: "s3cr3t" },
    numbers: [0, -1.5, 1e21, Number.MAX_SAFE_INTEGER],
    unicode: { é: "ü", Z: "z", a: "A" },
  },
];

describe("plan: protobuf Struct kept as JavaScript", () => {
  let restore: () => void = () => undefined;
  const real = (value: unknown) => Struct.fromJavaScript(value);
  // The real round trip and bytes, taken before the stand-in is in place.
  const expected = SAMPLES.map((value) => {
    const message = real(value);
    return { js: message.toJavaScript(), bytes: Buffer.from(message.serializeBinary()) };
  });

  before(() => {
    restore = keepStructsAsJavaScript();
  });
  after(() => restore());

  SAMPLES.forEach((value, i) => {
    it(`sample ${i}: toJavaScript() returns what the real round trip returns, keys in the same order`, () => {
      const js = Struct.fromJavaScript(value).toJavaScript();
      assert.deepEqual(js, expected[i].js);
      assert.equal(JSON.stringify(js), JSON.stringify(expected[i].js));
      assert.equal(JSON.stringify(throughStruct(value)), JSON.stringify(expected[i].js));
    });

    it(`sample ${i}: a second toJavaScript() is an equal, separate copy; read as protobuf, the same fields and bytes`, () => {
      const message = Struct.fromJavaScript(value);
      const first = message.toJavaScript();
      const second = message.toJavaScript();
      assert.deepEqual(second, first);
      if (Object.keys(value).length > 0) assert.notEqual(second, first);
      assert.equal(message.getFieldsMap().getLength(), Object.keys(value).length);
      assert.deepEqual(Buffer.from(message.serializeBinary()), expected[i].bytes);
      assert.equal(JSON.stringify(message.toJavaScript()), JSON.stringify(expected[i].js));
    });
  });

  it("copies the value when converted: a later change of the source is not seen", () => {
    const source: Record<string, unknown> = { a: { b: 1 } };
    const message = Struct.fromJavaScript(source);
    (source.a as Record<string, unknown>).b = 2;
    assert.deepEqual(message.toJavaScript(), { a: { b: 1 } });
  });

  for (const [what, value] of [
    ["undefined", { a: undefined }],
    ["a function", { a: () => 1 }],
    ["a hole in a list", { a: [1, , 3] }], // eslint-disable-line no-sparse-arrays
  ] as const) {
    it(`refuses ${what} with the real conversion's error`, () => {
      restore();
      assert.throws(() => Struct.fromJavaScript(value), /^Error: Unexpected struct type\.$/);
      restore = keepStructsAsJavaScript();
      assert.throws(() => Struct.fromJavaScript(value), /^Error: Unexpected struct type\.$/);
    });
  }

  it("is undone by the function it returns", () => {
    restore();
    assert.ok(!("keepsJavaScript" in Struct.fromJavaScript));
    restore = keepStructsAsJavaScript();
    assert.ok("keepsJavaScript" in Struct.fromJavaScript);
  });
});

describe("plan: plain properties of serialized ones", () => {
  const {
    specialSigKey: SIG,
    specialSecretSig,
    specialResourceSig,
    specialOutputValueSig,
    unknownValue,
  } = pulumi.runtime;

  it("unwraps secrets (or masks them), shows resource references as their URN and output values as their value", () => {
    const serialized = {
      password: { [SIG]: specialSecretSig, value: "hunter2" },
      role: { [SIG]: specialResourceSig, urn: "urn:pulumi:s::p::aws:iam/role:Role::r", id: "r" },
      known: { [SIG]: specialOutputValueSig, value: [1, { [SIG]: specialSecretSig, value: "x" }] },
      secretOutput: { [SIG]: specialOutputValueSig, value: "y", secret: true },
      unknown: { [SIG]: specialOutputValueSig },
    };
    assert.deepEqual(plainProperties(serialized), {
      password: "hunter2",
      role: "urn:pulumi:s::p::aws:iam/role:Role::r",
      known: [1, "x"],
      secretOutput: "y",
      unknown: unknownValue,
    });
    assert.deepEqual(plainProperties(serialized, true), {
      password: "[secret]",
      role: "urn:pulumi:s::p::aws:iam/role:Role::r",
      known: [1, "[secret]"],
      secretOutput: "[secret]",
      unknown: unknownValue,
    });
  });

  it("shares the parts with nothing to convert and copies only the paths to a conversion, leaving the input as it was", () => {
    const untouched = { labels: { a: "1" }, ports: [80, 443] };
    const serialized = {
      metadata: untouched,
      data: { token: { [SIG]: specialSecretSig, value: "t" }, plain: { b: 2 } },
      list: [{ c: 3 }, { [SIG]: specialResourceSig, urn: "urn:x" }],
    };
    const before = JSON.stringify(serialized);
    const plain = plainProperties(serialized) as typeof serialized & Record<string, any>;
    assert.equal(plain.metadata, untouched, "an object without conversions is the same object");
    assert.notEqual(plain, serialized);
    assert.notEqual(plain.data, serialized.data);
    assert.equal(plain.data.plain, serialized.data.plain);
    assert.equal(plain.list[0], serialized.list[0]);
    assert.equal(plain.list[1], "urn:x");
    assert.equal(JSON.stringify(serialized), before, "the serialized properties are unchanged");
    assert.deepEqual(Object.keys(plain), ["metadata", "data", "list"], "keys keep their order");
    const flat = { a: 1, b: [true, null, "s"] };
    assert.equal(plainProperties(flat), flat);
  });

  it("copies a class instance into a plain object", () => {
    class Box {
      constructor(readonly size: number) {}
    }
    const plain = plainProperties({ box: new Box(3) }) as { box: unknown };
    assert.deepEqual(plain, { box: { size: 3 } });
    assert.equal(Object.getPrototypeOf(plain.box), Object.prototype);
  });
});
