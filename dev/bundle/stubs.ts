/**
 * Modules ccxt imports that binance and okx never reach, replaced in the bundle by modules whose every export throws
 * when called. They are imported statically by ccxt's base class for other exchanges (web3 signing, ccxt pro's
 * WebSocket layer, zkLink, dYdX protobufs), or dynamically only under Node or behind a proxy setting (ccxt picks the
 * platform `fetch` whenever a `Deno` global exists, as in the Edge runtime). A stub that something does call fails
 * loudly with the module's name, instead of the bundle silently growing by the module.
 *
 * Export names are listed by hand: a named import of an unlisted name, or a namespace member that is not listed, fails
 * the build (see `logOverride` in build.ts), so a ccxt upgrade that starts using more of a stubbed module cannot slip
 * through.
 */

export interface Stub {
  /** Matches the import specifier as written in ccxt's source (resolved paths differ between installs). */
  specifier: RegExp;
  why: string;
  /** Named exports; `default` is a throwing function unless `defaultMembers` makes it an object of throwing ones. */
  exports: readonly string[];
  defaultMembers?: readonly string[];
}

export const STUBS: readonly Stub[] = [
  {
    specifier: /^ws$/,
    why: "WebSocket streams (ccxt pro); the functions use REST only",
    exports: ["createWebSocketStream"],
  },
  {
    specifier: /\/ws\/WsClient\.js$/,
    why: "ccxt pro's WebSocket client (watch* methods); the functions' streams are their own clients",
    exports: [],
  },
  {
    specifier: /\/ws\/Future\.js$/,
    why: "ccxt pro's message futures (watch* methods)",
    exports: ["Future"],
  },
  {
    specifier: /\/ws\/OrderBook\.js$/,
    why: "ccxt pro's streamed order books (watchOrderBook)",
    exports: ["OrderBook", "IndexedOrderBook", "CountedOrderBook"],
  },
  {
    specifier: /\/functions\/ethabi\.js$/,
    why: "Ethereum ABI encoding and typed-data signing (wallet-signed venues)",
    exports: ["abiEncode", "TypedDataEncoder"],
  },
  {
    specifier: /^crypto$/,
    why: "RSA-signed Binance API keys (node:crypto createSign); the functions sign with HMAC secrets",
    exports: [],
    defaultMembers: ["createSign", "constants"],
  },
  {
    specifier: /^undici$/,
    why: "ccxt's Node-only fetch engine; under Deno ccxt uses the platform fetch",
    exports: ["fetch", "Agent", "ProxyAgent", "request"],
  },
  {
    specifier: /^node:(http|zlib)$/,
    why: "Node-only HTTP agents and response decompression (undici and proxy paths)",
    exports: ["Agent", "STATUS_CODES", "createGunzip", "createBrotliDecompress", "createInflate"],
  },
  {
    specifier: /^node:(fs|os|path|url)$/,
    why: "ccxt's Node-only file cache (base/functions/io.js loads these only when running under Node)",
    exports: [],
  },
  {
    specifier: /^@scure\/starknet$/,
    why: "Starknet signing (paradex and other Starknet venues)",
    exports: ["getStarkKey", "ethSigToPrivate", "sign"],
  },
  {
    specifier: /\/functions\/starknet\.js$/,
    why: "Starknet signing (paradex and other Starknet venues)",
    exports: [
      "compileCalldata",
      "getSelectorFromName",
      "calculateContractAddressFromHash",
      "getMessageHash",
      "computePoseidonHashOnElements",
    ],
  },
  {
    specifier: /\/zklink\/zklink-sdk-web\.js$/,
    why: "zkLink signing (zkLink venues), a 150 kB WebAssembly loader",
    exports: ["newRpcSignerWithProvider", "ContractBuilder", "newContract", "TransferBuilder", "newTransfer"],
  },
  {
    specifier: /\/dydx-v4-client\//,
    why: "dYdX v4 protobuf messages (dydx)",
    exports: ["Long", "encodeAsAny", "AuthInfo", "Tx", "TxBody", "TxRaw", "SignDoc", "SignMode"],
  },
  {
    specifier: /\/protobuf\/mexc\/compiled\.cjs$/,
    why: "MEXC WebSocket protobuf decoding (mexc)",
    exports: [],
  },
];

/** Source of the replacement module for `stub`, as seen from `specifier`. */
export function stubSource(stub: Stub, specifier: string): string {
  const what = JSON.stringify(`${specifier} (${stub.why})`);
  const lines = [
    `const fail = (name) => function () { const e = new Error(${what} + " is not in this bundle; " + name + ` +
    `" was called (see dev/bundle/stubs.ts)"); e.name = "StubCalledError"; throw e; };`,
  ];
  for (const name of stub.exports) lines.push(`export const ${name} = fail(${JSON.stringify(name)});`);
  if (stub.defaultMembers) {
    const members = stub.defaultMembers.map((name) => `${name}: fail(${JSON.stringify(name)})`).join(", ");
    lines.push(`export default { ${members} };`);
  } else {
    lines.push(`export default fail("default");`);
  }
  return lines.join("\n") + "\n";
}
