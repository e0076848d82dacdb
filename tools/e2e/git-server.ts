/**
 * A Git smart-HTTP server on 127.0.0.1 for the e2e run's Flux (docs/e2e.md, "Flux"): Node's http
 * server in front of Git's own CGI, `git http-backend` (found through `git --exec-path`). Flux's
 * source-controller clones with go-git, which speaks only the smart protocol (not the "dumb" one a
 * plain static file server would give).
 *
 * Each served repository is a throw-away bare repository built from a copy of a directory: one
 * commit on branch `main` (plus the given tags on it), so the checkout in the cluster is exactly the
 * directory's content at the time the server started. The source directories are only read.
 * https://git-scm.com/docs/git-http-backend
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

/** One repository to serve. */
export interface ServedRepository {
  /** Repository name: it is served at `http://127.0.0.1:<port>/<name>.git`. `[A-Za-z0-9._-]+`. */
  readonly name: string;
  /** Directory whose content becomes the repository's only commit. */
  readonly source: string;
  /**
   * Directory inside the repository where `source` goes, e.g. `gitops` to serve a checkout's
   * `gitops/` tree at the path the platform's stacks expect (`./gitops/clusters/hub`).
   * @default "" (the repository's root)
   */
  readonly prefix?: string;
  /** Tags to create on the commit (e.g. a version a GitRepository pins with `ref.tag`). @default [] */
  readonly tags?: readonly string[];
}

/** A running Git server. */
export interface GitServer {
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** The clone URL of a served repository, `http://127.0.0.1:<port>/<name>.git`. */
  url(name: string): string;
  /** The commit SHA of `main` in a served repository. */
  revision(name: string): string;
  /** Stops the server and deletes the bare repositories. */
  stop(): Promise<void>;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "platform-e2e",
  GIT_AUTHOR_EMAIL: "e2e@platform.invalid",
  GIT_COMMITTER_NAME: "platform-e2e",
  GIT_COMMITTER_EMAIL: "e2e@platform.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV } });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} (in ${cwd}): ${r.stderr.trim() || r.error}`);
  return r.stdout.trim();
}

/** Builds `<root>/<name>.git` from a copy of the repository's source directory. */
function buildBareRepository(root: string, repo: ServedRepository): void {
  if (!/^[A-Za-z0-9._-]+$/.test(repo.name) || repo.name.startsWith("."))
    throw new Error(`git server: repository name ${JSON.stringify(repo.name)} must match [A-Za-z0-9._-]+`);
  if (!fs.statSync(repo.source, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`git server: source of ${repo.name} is not a directory: ${repo.source}`);
  const work = path.join(root, "work", repo.name);
  const target = path.join(work, repo.prefix ?? "");
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // cp without the source's modes: the shared upstream copies are read-only.
  const cp = spawnSync("cp", ["-R", "--no-preserve=mode,ownership", repo.source, target], {
    encoding: "utf8",
  });
  if (cp.status !== 0) throw new Error(`git server: copying ${repo.source}: ${cp.stderr}`);
  git(work, "init", "--quiet", "--initial-branch=main");
  git(work, "add", "--all");
  git(work, "commit", "--quiet", "--no-gpg-sign", "-m", `e2e: ${repo.source}`);
  for (const tag of repo.tags ?? []) git(work, "tag", tag);
  git(root, "clone", "--quiet", "--bare", work, `${repo.name}.git`);
  fs.rmSync(work, { recursive: true, force: true });
}

/** Path of Git's `git-http-backend` CGI (`git --exec-path`). */
function httpBackend(): string {
  const execPath = spawnSync("git", ["--exec-path"], { encoding: "utf8" }).stdout?.trim();
  const backend = execPath ? path.join(execPath, "git-http-backend") : "";
  if (!backend || !fs.existsSync(backend))
    throw new Error(`git server: git-http-backend not found under git --exec-path (${execPath || "no git"})`);
  return backend;
}

/**
 * Answers one request through the CGI: request line and headers become CGI variables, the body
 * goes to its stdin, its `Status:`/headers/body come back.
 */
function serveCgi(backend: string, root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    REMOTE_USER: "",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
    ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
  };
  const child = spawn(backend, [], { env, stdio: ["pipe", "pipe", "pipe"] });
  let head = Buffer.alloc(0);
  let headersDone = false;
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf("\r\n\r\n");
    const lf = head.indexOf("\n\n");
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
    if (end < 0) return;
    const sep = end === crlf ? 4 : 2;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    headersDone = true;
    res.write(head.subarray(end + sep));
  });
  child.on("error", (err) => {
    if (!res.headersSent) res.statusCode = 500;
    res.end(String(err));
  });
  child.on("close", (code) => {
    if (!headersDone) {
      res.statusCode = 500;
      res.end(`git http-backend exited with ${code}: ${stderr}`);
    } else res.end();
  });
  req.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
}

/**
 * Builds the repositories under `dir` (created; emptied first) and serves them on a free port of
 * 127.0.0.1.
 * @throws when git or git-http-backend is missing, a source is not a directory or a name is invalid.
 */
export async function startGitServer(
  dir: string,
  repositories: readonly ServedRepository[],
): Promise<GitServer> {
  const backend = httpBackend();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const names = new Set<string>();
  for (const repo of repositories) {
    if (names.has(repo.name)) throw new Error(`git server: repository ${repo.name} given twice`);
    names.add(repo.name);
    buildBareRepository(dir, repo);
  }
  const server = http.createServer((req, res) => serveCgi(backend, dir, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    url: (name) => `${baseUrl}/${name}.git`,
    revision: (name) => git(path.join(dir, `${name}.git`), "rev-parse", "main"),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
