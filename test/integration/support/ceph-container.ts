// Starts a real Ceph RGW (Reef: 1 mon, 1 OSD on memstore, radosgw; no cephx) in one
// container with testcontainers, and sets up its IAM side (OIDC provider, roles,
// buckets) with the awscli inside that container. The image is the one
// scripts/ceph-image.sh builds offline (it also holds awscli and boto3, the S3 clients
// users run in later steps), or CEPH_IMAGE. Recipe, timings and traps:
// ../shared/docs/ceph-rgw-sts-facts.md.
//
// Host networking: RGW fetches the JWKS from the token's `iss`, the Keycloak URL on the
// host's loopback, so the container shares the host's network. Hence fixed ports (mon
// 3300 and 6789, RGW 7480 unless given): one Ceph per machine at a time.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { GenericContainer, getContainerRuntimeClient, Wait } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';
import { NODE_24 } from '../../support/run-action.js';

/** The Ceph series of our image (Debian trixie's Reef); its tag. */
export const CEPH_SERIES = '18.2';
export const DEFAULT_RGW_PORT = 7480;
/** RGW's user for IAM calls (caps `oidc-provider=*;roles=*`); it also owns the buckets createBucket makes. */
export const IAM_ADMIN = { accessKeyId: 'IAMADMINKEY', secretAccessKey: 'IAMADMINSECRET' } as const;
/** Any region works with RGW; the clients want one. */
export const REGION = 'us-east-1';

const OWN_IMAGE = `keycloak-action-test/ceph:${CEPH_SERIES}`;
const MON_PORTS = [3300, 6789];
const RGW_LOG = '/var/log/ceph/ceph-client.rgw.gw.log';
// The last line start-ceph.sh prints: RGW answers 200 and iam-admin exists with its caps.
const READY_LINE = /start-ceph: \[\d+ ms\] ready /;
// Runs "$@" with a HOME of its own, removed afterwards: awscli caches assumed-role
// credentials in ~/.aws/cli/cache, and a cached success would hide a refusal.
const FRESH_HOME = 'export HOME="$(mktemp -d)" || exit 125; "$@"; rc=$?; rm -rf "$HOME"; exit "$rc"';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunningCeph {
  /** RGW's S3 endpoint, e.g. http://127.0.0.1:7480 (the same URL on the host and in the container). */
  s3Url: string;
  /**
   * Runs a command in the container (no shell unless you call one), with a fresh HOME
   * each time and AWS_EC2_METADATA_DISABLED=true (no metadata-service probes when
   * credentials are missing). `env` adds to or overrides the container's environment;
   * no AWS credentials are set unless given. Never throws for a non-zero exit.
   */
  exec(args: string[], env?: Record<string, string>): Promise<ExecResult>;
  /** The last `lines` lines (default 200) of RGW's log: where STS refusals say why. */
  rgwLog(lines?: number): Promise<string>;
}

/** What a test file needs to reach a Ceph that another process started (plain data, for vitest's provide()). */
export interface CephAddress {
  containerId: string;
  rgwPort: number;
}

export interface StartedCeph extends RunningCeph {
  address: CephAddress;
  /** Milliseconds from creating the container until RGW answered the host and iam-admin existed. */
  readyMs: number;
  stop(): Promise<void>;
}

export interface CephOptions {
  /** RGW's port on 127.0.0.1 (default 7480). */
  rgwPort?: number;
}

export function cephImage(): string {
  return process.env.CEPH_IMAGE ?? OWN_IMAGE;
}

export async function startCeph(options: CephOptions = {}): Promise<StartedCeph> {
  const rgwPort = options.rgwPort ?? DEFAULT_RGW_PORT;
  const taken = (await Promise.all([...MON_PORTS, rgwPort].map(async (port) => ((await listening(port)) ? port : undefined)))).filter(
    (port) => port !== undefined,
  );
  if (taken.length > 0) {
    throw new Error(
      `cannot start Ceph: 127.0.0.1:${taken.join(', ')} already in use (the container uses the host's network). ` +
        'Is another Ceph test container still running (docker ps)?',
    );
  }
  const output = new Tail(80);
  const started = Date.now();
  let container: StartedTestContainer;
  try {
    container = await new GenericContainer(cephImage())
      .withNetworkMode('host')
      // awscli and boto3 run keep-fresh's credential_process here: the Node binary and the
      // command (under the temp folder, like the job's RUNNER_TEMP) at the same paths as on the host.
      .withBindMounts([{ source: tmpdir(), target: tmpdir(), mode: 'rw' }, ...nodeMounts()])
      .withEnvironment({
        RGW_PORT: String(rgwPort),
        IAM_ADMIN_ACCESS_KEY: IAM_ADMIN.accessKeyId,
        IAM_ADMIN_SECRET_KEY: IAM_ADMIN.secretAccessKey,
      })
      // The image's CMD keeps bash as PID 1 with a TERM trap: stop() is immediate.
      .withLogConsumer((stream) => output.follow(stream))
      .withWaitStrategy(Wait.forLogMessage(READY_LINE).withStartupTimeout(90_000))
      .start();
  } catch (error) {
    // testcontainers removes a container that failed to start: keep what it said.
    throw new Error(`Ceph (${cephImage()}) did not start: ${(error as Error).message}\n--- container output:\n${output.text()}`, {
      cause: error,
    });
  }
  const s3Url = `http://127.0.0.1:${rgwPort}`;
  let stopped: Promise<unknown> | undefined;
  const stop = async () => {
    stopped ??= container.stop({ timeout: 5_000 });
    await stopped;
  };
  // The script checked RGW from inside; this proves the host (where the action runs) reaches it too.
  const status = await fetch(`${s3Url}/`, { signal: AbortSignal.timeout(5_000) }).then(
    (response) => response.status,
    (error: Error) => error.message,
  );
  if (status !== 200) {
    await stop();
    throw new Error(`Ceph started, but GET ${s3Url}/ from the host gave ${status}, not 200\n--- container output:\n${output.text()}`);
  }
  const readyMs = Date.now() - started;
  return { ...runningCeph(rgwPort, (command, env) => container.exec(command, { env })), address: { containerId: container.getId(), rgwPort }, readyMs, stop };
}

/** The Ceph another process started (the integration suite's global setup), reached through the Docker engine. */
export async function attachToCeph(address: CephAddress): Promise<RunningCeph> {
  const engine = await getContainerRuntimeClient();
  const container = engine.container.getById(address.containerId);
  return runningCeph(address.rgwPort, (command, env) => engine.container.exec(container, command, { env }));
}

type ContainerExec = (command: string[], env: Record<string, string>) => Promise<ExecResult>;

function runningCeph(rgwPort: number, containerExec: ContainerExec): RunningCeph {
  const s3Url = `http://127.0.0.1:${rgwPort}`;
  const exec = async (args: string[], env: Record<string, string> = {}): Promise<ExecResult> => {
    const result = await containerExec(['bash', '-c', FRESH_HOME, 'fresh-home', ...args], { AWS_EC2_METADATA_DISABLED: 'true', ...env });
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  };
  return {
    s3Url,
    exec,
    rgwLog: async (lines = 200) => (await exec(['tail', '-n', String(lines), RGW_LOG])).stdout,
  };
}

// ---------------------------------------------------------------------------
// IAM and S3 set-up as iam-admin, with the awscli in the container
// ---------------------------------------------------------------------------

/** The environment for awscli/boto3 in the container as iam-admin against RGW. */
export function iamAdminEnv(ceph: RunningCeph): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: IAM_ADMIN.accessKeyId,
    AWS_SECRET_ACCESS_KEY: IAM_ADMIN.secretAccessKey,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: ceph.s3Url,
  };
}

/** `aws ARGS... --output json` as iam-admin; its stdout. Throws with awscli's stderr (and RGW's last log lines) on failure. */
export async function awsAsIamAdmin(ceph: RunningCeph, args: string[]): Promise<string> {
  const result = await ceph.exec(['aws', ...args, '--output', 'json'], iamAdminEnv(ceph));
  if (result.exitCode !== 0) {
    const log = (await ceph.rgwLog(15)).trimEnd();
    throw new Error(`aws ${args.join(' ')} (as iam-admin) failed with exit ${result.exitCode}: ${result.stderr.trim()}\n--- RGW log:\n${log}`);
  }
  return result.stdout;
}

/** RGW's name for the provider of an issuer: the URL without its scheme, e.g. 127.0.0.1:8080/realms/demo. */
export function oidcProviderId(issuerUrl: string): string {
  return issuerUrl.replace(/^https?:\/\//, '');
}

export function oidcProviderArn(issuerUrl: string): string {
  return `arn:aws:iam:::oidc-provider/${oidcProviderId(issuerUrl)}`;
}

/**
 * Registers the issuer (exactly the tokens' `iss`) with the client ids RGW accepts as
 * `aud` (or `azp`). Returns the provider ARN. The thumbprint is the SHA-1 of the first
 * signing key's certificate when the issuer's JWKS is reachable from here, else 40
 * zeros: RGW 18.2 does not check it (facts doc, pitfall 11), but wants one.
 */
export async function createOidcProvider(ceph: RunningCeph, issuerUrl: string, clientIds: string[]): Promise<string> {
  const thumbprint = (await jwksThumbprint(issuerUrl)) ?? '0'.repeat(40);
  const out = await awsAsIamAdmin(ceph, [
    'iam',
    'create-open-id-connect-provider',
    '--url',
    issuerUrl,
    '--client-id-list',
    ...clientIds,
    '--thumbprint-list',
    thumbprint,
  ]);
  return (JSON.parse(out) as { OpenIDConnectProviderArn: string }).OpenIDConnectProviderArn;
}

/** Creates a role with this trust policy (object or JSON text; sent compact). Returns its ARN, e.g. arn:aws:iam:::role/S3Access. */
export async function createRole(ceph: RunningCeph, name: string, trustPolicy: PolicyDocument): Promise<string> {
  const out = await awsAsIamAdmin(ceph, ['iam', 'create-role', '--role-name', name, '--assume-role-policy-document', compactJson(trustPolicy)]);
  return (JSON.parse(out) as { Role: { Arn: string } }).Role.Arn;
}

/** Attaches an inline permission policy (object or JSON text; sent compact) to a role. */
export async function putRolePolicy(ceph: RunningCeph, role: string, policyName: string, policy: PolicyDocument): Promise<void> {
  await awsAsIamAdmin(ceph, ['iam', 'put-role-policy', '--role-name', role, '--policy-name', policyName, '--policy-document', compactJson(policy)]);
}

/** Creates a bucket owned by iam-admin (names: 3 to 63 characters, else RGW answers InvalidBucketName). */
export async function createBucket(ceph: RunningCeph, name: string): Promise<void> {
  await awsAsIamAdmin(ceph, ['s3api', 'create-bucket', '--bucket', name]);
}

export type PolicyDocument = string | Record<string, unknown>;

export interface TrustConditions {
  /** Required `aud` (RGW's condition key `<provider>:app_id`); several values: any of them. */
  audience: string | string[];
  /** Optional `sub` (`<provider>:sub`); several values: any of them. */
  sub?: string | string[];
}

/** The usual trust policy: AssumeRoleWithWebIdentity for tokens of this issuer, with StringEquals on aud (and sub). */
export function webIdentityTrustPolicy(issuerUrl: string, conditions: TrustConditions): Record<string, unknown> {
  const provider = oidcProviderId(issuerUrl);
  const stringEquals: Record<string, string | string[]> = { [`${provider}:app_id`]: conditions.audience };
  if (conditions.sub !== undefined) stringEquals[`${provider}:sub`] = conditions.sub;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: [oidcProviderArn(issuerUrl)] },
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Condition: { StringEquals: stringEquals },
      },
    ],
  };
}

/** A permission policy allowing every S3 action on one bucket and its objects. */
export function bucketPolicy(bucket: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
  };
}

// ---------------------------------------------------------------------------

// Compact: Ceph 16 refused policies with spaces (form-encoded as '+'); 18 accepts them, but one form is enough.
function compactJson(document: PolicyDocument): string {
  return JSON.stringify(typeof document === 'string' ? JSON.parse(document) : document);
}

async function jwksThumbprint(issuerUrl: string): Promise<string | undefined> {
  try {
    const signal = AbortSignal.timeout(5_000);
    const discovery = (await (await fetch(`${issuerUrl}/.well-known/openid-configuration`, { signal })).json()) as { jwks_uri: string };
    const jwks = (await (await fetch(discovery.jwks_uri, { signal })).json()) as { keys: { use?: string; x5c?: string[] }[] };
    const cert = jwks.keys.find((key) => key.use !== 'enc' && key.x5c?.[0])?.x5c?.[0];
    return cert ? createHash('sha1').update(Buffer.from(cert, 'base64')).digest('hex') : undefined;
  } catch {
    return undefined;
  }
}

/** Does anything accept connections on 127.0.0.1:port? */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** The last lines of a container's output, for error messages. */
class Tail {
  private lines: string[] = [];
  constructor(private readonly max: number) {}
  follow(stream: Readable): void {
    stream.on('data', (chunk: Buffer | string) => {
      this.lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
    });
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/**
 * Node 24 at the path the suite names and at its real path: the action writes
 * process.execPath into the AWS profile, which is the real path when node_modules
 * is a symlink (a git worktree that shares another's node_modules).
 */
function nodeMounts(): { source: string; target: string; mode: 'ro' }[] {
  const folder = dirname(dirname(NODE_24));
  const real = realpathSync(folder);
  return [...new Set([folder, real])].map((target) => ({ source: real, target, mode: 'ro' as const }));
}
