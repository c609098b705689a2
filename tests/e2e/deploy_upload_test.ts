/**
 * `supabase functions deploy --use-api` as shipped: the pinned CLI, run on a copy of config.toml and the committed
 * bundles, against a stand-in for Supabase's Management API on loopback that records the multipart uploads. It proves
 * what a deploy from a fresh clone sends: per function, its bundle (byte for byte) and the empty import map, with
 * the bundle as entrypoint, and nothing else. Any other outbound request goes to a dead proxy on loopback.
 */
import assert from "node:assert/strict";
import { artifactPath, importMapPath, SHIPPED_FUNCTIONS } from "../../dev/bundle/build.ts";
import { REPO_ROOT, requireBinary, SUPABASE_CLI } from "../../dev/stack/commands.ts";
import { freePort, LOOPBACK } from "../../dev/stack/net.ts";

interface Upload {
  slug: string;
  files: { name: string; bytes: Uint8Array }[];
  metadata: Record<string, unknown>;
}

const PROJECT_REF = "abcdefghijklmnopqrst";

function fakeManagementApi(uploads: Upload[], unexpected: string[]) {
  return Deno.serve({ hostname: LOOPBACK, port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const projectPath = `/v1/projects/${PROJECT_REF}`;
    if (req.method === "POST" && url.pathname === `${projectPath}/functions/deploy`) {
      const form = await req.formData();
      const slug = url.searchParams.get("slug") ?? "";
      const files: Upload["files"] = [];
      let metadata: Record<string, unknown> = {};
      for (const [key, value] of form.entries()) {
        if (typeof value === "string") {
          if (key === "metadata") metadata = JSON.parse(value);
        } else {
          files.push({ name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) });
        }
      }
      uploads.push({ slug, files, metadata });
      return Response.json({ id: crypto.randomUUID(), slug, name: slug, version: 1, status: "ACTIVE" }, {
        status: 201,
      });
    }
    await req.body?.cancel();
    if (req.method === "GET" && url.pathname === `${projectPath}/functions`) return Response.json([]);
    if (req.method === "PUT" && url.pathname === `${projectPath}/functions`) return Response.json([]);
    if (req.method === "GET" && url.pathname === projectPath) return Response.json({ id: PROJECT_REF, name: "x" });
    unexpected.push(`${req.method} ${url.pathname}`);
    return Response.json({ message: "not part of the stand-in" }, { status: 404 });
  });
}

/** The files the CLI reads for a deploy: config.toml and each function's dist folder, nothing of the sources. */
async function copyDeployInputs(workdir: string): Promise<void> {
  await Deno.mkdir(`${workdir}/supabase`, { recursive: true });
  await Deno.copyFile(`${REPO_ROOT}/supabase/config.toml`, `${workdir}/supabase/config.toml`);
  for (const name of SHIPPED_FUNCTIONS) {
    await Deno.mkdir(`${workdir}/supabase/functions/${name}/dist`, { recursive: true });
    for (const path of [artifactPath(name), importMapPath(name)]) {
      await Deno.copyFile(`${REPO_ROOT}/${path}`, `${workdir}/${path}`);
    }
  }
}

Deno.test("supabase functions deploy --use-api uploads each function's bundle and empty import map", async () => {
  const cli = await requireBinary(SUPABASE_CLI);
  const workdir = await Deno.makeTempDir({ prefix: "deploy-upload-" });
  const uploads: Upload[] = [];
  const unexpected: string[] = [];
  const api = fakeManagementApi(uploads, unexpected);
  try {
    await copyDeployInputs(workdir);
    const origin = `http://${LOOPBACK}:${api.addr.port}`;
    await Deno.writeTextFile(
      `${workdir}/profile.yaml`,
      [
        "name: loopback-stand-in",
        `api_url: ${origin}`,
        `dashboard_url: ${origin}`,
        `docs_url: ${origin}`,
        "project_host: localhost",
        "pooler_host: localhost",
        "",
      ].join("\n"),
    );
    await Deno.mkdir(`${workdir}/home`);
    const deadProxy = `http://${LOOPBACK}:${freePort()}`;
    const output = await new Deno.Command(cli, {
      args: [
        "functions",
        "deploy",
        "--use-api",
        "--project-ref",
        PROJECT_REF,
        "--profile",
        `${workdir}/profile.yaml`,
        "--workdir",
        workdir,
        "--yes",
      ],
      cwd: workdir,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: `${workdir}/home`,
        SUPABASE_ACCESS_TOKEN: "sbp_0000000000000000000000000000000000000000",
        SUPABASE_TELEMETRY_DISABLED: "1",
        DO_NOT_TRACK: "1",
        HTTP_PROXY: deadProxy,
        HTTPS_PROXY: deadProxy,
        NO_PROXY: LOOPBACK,
      },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.ok(output.success, text);

    assert.deepEqual(uploads.map((upload) => upload.slug).sort(), [...SHIPPED_FUNCTIONS].sort(), text);
    for (const upload of uploads) {
      const bundle = artifactPath(upload.slug);
      const importMap = importMapPath(upload.slug);
      assert.deepEqual(
        upload.files.map((file) => file.name).sort(),
        [importMap, bundle].sort(),
        `${upload.slug}: only the dist folder is uploaded`,
      );
      for (const file of upload.files) {
        assert.deepEqual(file.bytes, await Deno.readFile(`${REPO_ROOT}/${file.name}`), `${file.name} as committed`);
      }
      assert.equal(upload.metadata.entrypoint_path, bundle);
      assert.equal(upload.metadata.import_map_path, importMap);
    }
    assert.deepEqual(unexpected, []);
  } finally {
    await api.shutdown();
    await Deno.remove(workdir, { recursive: true });
  }
});
