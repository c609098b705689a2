/**
 * Serves a built dashboard folder on loopback, with config.json answered from memory (so one build serves any
 * project). Only files directly in the folder are served; anything else is 404.
 */

import { basename } from "node:path";
import { type WebConfig, webConfig } from "./build.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  png: "image/png",
};

export interface WebServer {
  url: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  dir: string;
  config: WebConfig;
  /** Default 0: a free port. */
  port?: number;
  hostname?: string;
}

export function serveDashboard(options: ServeOptions): WebServer {
  const configBody = JSON.stringify(webConfig(options.config));
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({ hostname, port: options.port ?? 0, onListen: () => {} }, async (request) => {
    const path = new URL(request.url).pathname;
    const name = path === "/" ? "index.html" : path.slice(1);
    const headers = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed", { status: 405 });
    }
    if (name === "config.json") {
      return new Response(configBody, { headers: { ...headers, "content-type": TYPES.json } });
    }
    if (name !== basename(name) || name.startsWith(".")) return new Response("not found", { status: 404 });
    try {
      const body = await Deno.readFile(`${options.dir}/${name}`);
      const type = TYPES[name.split(".").pop() ?? ""] ?? "application/octet-stream";
      return new Response(body, { headers: { ...headers, "content-type": type } });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return new Response("not found", { status: 404 });
      throw error;
    }
  });
  return {
    url: `http://${hostname}:${server.addr.port}/`,
    stop: () => server.shutdown(),
  };
}
