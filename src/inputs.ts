// Parses and validates the action's inputs. Pure: the caller passes a reader
// (core.getInput at the edge, a plain object in tests), so nothing here touches
// the runner. Every problem is an InputError that names the input and never
// repeats its value, because the value may be a secret.

import { parseDuration } from './duration.js';
import { realmUrl } from './keycloak/endpoint.js';

export type ClientAuth = 'post' | 'basic' | 'github-oidc';
export type Mode = 'refresh' | 'check';
export type CheckMethod = 'introspect' | 'refresh';
export type Fallback = 'none' | 'password' | 'client-credentials';
export type Rotation = 'off' | 'on';

export interface ActionInputs {
  mode: Mode;
  /** How check mode asks the server; `auto` is resolved to one of these. */
  checkMethod: CheckMethod;
  /** Check mode fails when less validity remains, and warns below the warning threshold. */
  minValiditySeconds: number | undefined;
  warnValiditySeconds: number | undefined;
  /** Base URL without trailing slash, including a legacy `/auth` path when given. */
  keycloakUrl: string;
  realm: string;
  clientId: string;
  clientSecret: string | undefined;
  clientAuth: ClientAuth;
  /** The audience asked for the job's GitHub OIDC token, with client-auth: github-oidc. */
  oidcAudience: string | undefined;
  /** '' when a fallback login, or client-auth: github-oidc's client credentials grant, replaces the refresh. */
  refreshToken: string;
  /** How to log in when the refresh token is dead (or not given). */
  fallback: Fallback;
  username: string | undefined;
  password: string | undefined;
  scope: string | undefined;
  timeoutMs: number;
  exportEnv: boolean;
  tokenFile: boolean;
  /** Further attempts after the first, for failures retry.ts calls safe. */
  retries: number;
  retryAfterSend: boolean;
  /** Whether the realm revokes a refresh token once used (Keycloak's "Revoke Refresh Token"). */
  rotation: Rotation;
  /** Raw ca-certificate input (PEM text or a file path); ca-certificates.ts reads it. */
  caCertificate: string;
  /** Where a new refresh token is stored back, when asked. */
  updateSecret: SecretUpdate | undefined;
  /** The role to assume at RGW's STS with the new access token, when asked (role-arn). */
  s3Role: S3Role | undefined;
}

export interface S3Role {
  roleArn: string;
  stsEndpoint: string;
  /** Undefined: built from the repository and run by the caller. */
  roleSessionName: string | undefined;
  durationSeconds: number;
  /** Exported as AWS_ENDPOINT_URL; sts-endpoint unless given. */
  s3Endpoint: string;
}

export interface SecretUpdate {
  name: string;
  environment: string | undefined;
  githubToken: string;
}

export interface ParsedInputs {
  inputs: ActionInputs;
  /** Things that are allowed but deserve a loud warning. Never contain input values. */
  warnings: string[];
}

/** Returns the raw value of an input, '' when it is not set. */
export type InputReader = (name: string) => string;

export class InputError extends Error {
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`Input '${input}' ${problem}`);
    this.name = 'InputError';
  }
}

/** Inputs that carry secrets: masked before they are parsed. */
export const SECRET_INPUTS = ['refresh-token', 'client-secret', 'password', 'github-token'] as const;

const MIN_TIMEOUT_SECONDS = 1;
const MAX_TIMEOUT_SECONDS = 600;
const DEFAULT_TIMEOUT_SECONDS = 15;

export function parseInputs(read: InputReader): ParsedInputs {
  const warnings: string[] = [];
  const keycloakUrl = parseKeycloakUrl(read('keycloak-url'), warnings);
  const realm = parseRealm(read('realm'));
  const clientId = requiredSingleLine(read, 'client-id');
  const clientSecret = optionalSingleLine(read, 'client-secret');
  const clientAuth = parseClientAuth(read('client-auth'), clientSecret);
  const oidcAudience = parseOidcAudience(read('oidc-audience'), clientAuth, realmUrl(keycloakUrl, realm));
  // Without a secret only github-oidc makes a confidential client.
  const confidential = clientSecret !== undefined || clientAuth === 'github-oidc';
  const mode = parseChoice(read('mode'), 'mode', ['refresh', 'check'] as const, 'refresh');
  const { fallback, username, password } = parseFallback(read, confidential, mode);
  const loginInstead = mode === 'refresh' && (fallback !== 'none' || clientAuth === 'github-oidc');
  const refreshToken = loginInstead && read('refresh-token').trim() === '' ? '' : parseToken(read('refresh-token'), 'refresh-token');
  const scope = optionalSingleLine(read, 'scope');
  const timeoutMs = parseTimeoutSeconds(read('timeout-seconds')) * 1000;
  const exportEnv = parseBoolean(read('export-env'), 'export-env', false);
  const tokenFile = parseBoolean(read('token-file'), 'token-file', false);
  const retries = parseRetries(read('retries'));
  const retryAfterSend = parseBoolean(read('retry-after-send'), 'retry-after-send', false);
  const rotation = parseChoice(read('rotation'), 'rotation', ['off', 'on'] as const, 'off');
  if (rotation === 'on' && retryAfterSend) {
    throw new InputError('retry-after-send', "must stay 'false' with rotation: on: a resent refresh would present a used-up token, and Keycloak then revokes the whole chain");
  }
  const caCertificate = read('ca-certificate');
  const checkMethod = parseCheckMethod(read('check-method'), confidential);
  const { minValiditySeconds, warnValiditySeconds } = parseThresholds(read, mode);
  const updateSecret = parseSecretUpdate(read, mode, checkMethod);
  const s3Role = parseS3Role(read, mode, warnings);
  return {
    inputs: {
      mode,
      checkMethod,
      minValiditySeconds,
      warnValiditySeconds,
      keycloakUrl,
      realm,
      clientId,
      clientSecret,
      clientAuth,
      oidcAudience,
      refreshToken,
      fallback,
      username,
      password,
      scope,
      timeoutMs,
      exportEnv,
      tokenFile,
      retries,
      retryAfterSend,
      rotation,
      caCertificate,
      updateSecret,
      s3Role,
    },
    warnings,
  };
}

function parseKeycloakUrl(raw: string, warnings: string[]): string {
  const name = 'keycloak-url';
  const value = raw.trim();
  if (value === '') throw new InputError(name, 'is required, e.g. https://sso.example.com');
  const url = parseHttpUrl(value, name, 'https://sso.example.com', warnings);
  if (url.pathname.includes('/realms/')) {
    throw new InputError(name, "must be the server's base URL, without /realms/...: give the realm as the 'realm' input");
  }
  return url.href.replace(/\/+$/, '');
}

/** An http(s) URL without credentials, query or fragment; plain http:// only to loopback without a warning. */
function parseHttpUrl(value: string, name: string, example: string, warnings: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(name, `is not a valid URL: expected e.g. ${example}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `must use https:// (or http:// for a local server), not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError(name, `must not contain credentials${name === 'keycloak-url' ? ': pass the secret as client-secret' : ''}`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InputError(name, 'must not have a query (?...) or fragment (#...)');
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    warnings.push(`${name} uses plain http:// to ${url.hostname}: tokens and secrets travel unencrypted. Use https://.`);
  }
  return url;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function parseRealm(raw: string): string {
  const realm = requiredValue(raw, 'realm');
  if (/[/\\]/.test(realm) || realm === '.' || realm === '..') {
    throw new InputError('realm', "must be a realm name, not a path (no '/', '\\', '.' or '..')");
  }
  return realm;
}

function parseChoice<T extends string>(raw: string, name: string, choices: readonly T[], fallback: T): T {
  const value = raw.trim().toLowerCase() || fallback;
  const choice = choices.find((c) => c === value);
  if (choice === undefined) throw new InputError(name, `must be one of: ${choices.map((c) => `'${c}'`).join(', ')}`);
  return choice;
}

function parseSecretUpdate(read: InputReader, mode: Mode, checkMethod: CheckMethod): SecretUpdate | undefined {
  const name = optionalSingleLine(read, 'update-secret');
  const githubToken = optionalSingleLine(read, 'github-token');
  const environment = optionalSingleLine(read, 'secret-environment');
  if (name === undefined) {
    if (githubToken !== undefined) throw new InputError('github-token', 'is only used with update-secret');
    if (environment !== undefined) throw new InputError('secret-environment', 'is only used with update-secret');
    return undefined;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /^GITHUB_/i.test(name)) {
    throw new InputError('update-secret', 'must be a secret name: letters, digits and _, not starting with a digit or GITHUB_');
  }
  if (githubToken === undefined) {
    throw new InputError('github-token', 'is required with update-secret: a token allowed to write secrets (GITHUB_TOKEN is not)');
  }
  if (mode === 'check' && checkMethod === 'introspect') {
    throw new InputError('update-secret', 'has nothing to store when mode: check introspects (the token is not used); use check-method: refresh');
  }
  return { name, environment, githubToken };
}

const S3_INPUTS = ['sts-endpoint', 'role-session-name', 'role-duration-seconds', 's3-endpoint'] as const;

function parseS3Role(read: InputReader, mode: Mode, warnings: string[]): S3Role | undefined {
  const roleArn = optionalSingleLine(read, 'role-arn');
  if (roleArn === undefined) {
    const stray = S3_INPUTS.find((name) => read(name).trim() !== '');
    if (stray !== undefined) throw new InputError(stray, 'is only used with role-arn');
    return undefined;
  }
  if (mode !== 'refresh') throw new InputError('role-arn', 'only applies with mode: refresh');
  if (!/^arn:[\w-]+:iam::[^:\s]*:role\/\S+$/.test(roleArn)) {
    throw new InputError('role-arn', 'must be a role ARN, e.g. arn:aws:iam:::role/ci-writer');
  }
  const rawSts = read('sts-endpoint').trim();
  if (rawSts === '') throw new InputError('sts-endpoint', "is required with role-arn: RGW's URL, e.g. https://rgw.example.com");
  const stsEndpoint = parseHttpUrl(rawSts, 'sts-endpoint', 'https://rgw.example.com', warnings).href;
  const rawS3 = read('s3-endpoint').trim();
  const s3Endpoint = rawS3 === '' ? stsEndpoint : parseHttpUrl(rawS3, 's3-endpoint', 'https://rgw.example.com', warnings).href;
  const roleSessionName = optionalSingleLine(read, 'role-session-name');
  if (roleSessionName !== undefined && !/^[\w+=,.@-]{2,64}$/.test(roleSessionName)) {
    throw new InputError('role-session-name', 'must be 2 to 64 of the characters A-Z a-z 0-9 + = , . @ _ -');
  }
  const durationSeconds = parseDurationSeconds(read('role-duration-seconds'));
  return { roleArn, stsEndpoint: stsEndpoint.replace(/\/+$/, ''), roleSessionName, durationSeconds, s3Endpoint: s3Endpoint.replace(/\/+$/, '') };
}

function parseDurationSeconds(raw: string): number {
  const value = raw.trim();
  if (value === '') return 3600;
  if (!/^\d+$/.test(value) || Number(value) < 900 || Number(value) > 43_200) {
    throw new InputError('role-duration-seconds', 'must be a whole number of seconds from 900 to 43200');
  }
  return Number(value);
}

function parseFallback(read: InputReader, confidential: boolean, mode: Mode): Pick<ActionInputs, 'fallback' | 'username' | 'password'> {
  const fallback = parseChoice(read('fallback'), 'fallback', ['none', 'password', 'client-credentials'] as const, 'none');
  if (mode === 'check' && fallback !== 'none') {
    throw new InputError('fallback', 'only applies with mode: refresh: a check must report a dead token, not log in around it');
  }
  const username = optionalSingleLine(read, 'username');
  const password = optionalSingleLine(read, 'password');
  if (fallback === 'password') {
    if (username === undefined) throw new InputError('username', "is required with fallback: password");
    if (password === undefined) throw new InputError('password', "is required with fallback: password");
  } else if (username !== undefined || password !== undefined) {
    throw new InputError(username !== undefined ? 'username' : 'password', "is only used with fallback: password");
  }
  if (fallback === 'client-credentials' && !confidential) {
    throw new InputError('fallback', "is 'client-credentials' but client-secret is empty (and client-auth is not github-oidc): only a confidential client with a service account can log in that way");
  }
  return { fallback, username, password };
}

function parseCheckMethod(raw: string, confidential: boolean): CheckMethod {
  const value = parseChoice(raw, 'check-method', ['auto', 'introspect', 'refresh'] as const, 'auto');
  if (value === 'introspect' && !confidential) {
    throw new InputError('check-method', "is 'introspect' but client-secret is empty: Keycloak lets only confidential clients introspect (use 'refresh')");
  }
  if (value === 'auto') return confidential ? 'introspect' : 'refresh';
  return value;
}

function parseThresholds(read: InputReader, mode: Mode): Pick<ActionInputs, 'minValiditySeconds' | 'warnValiditySeconds'> {
  const [minValiditySeconds, warnValiditySeconds] = (['min-validity', 'warn-validity'] as const).map((name) => {
    const raw = read(name).trim();
    if (raw === '') return undefined;
    if (mode !== 'check') throw new InputError(name, "only applies with mode: check");
    const seconds = parseDuration(raw);
    if (seconds === undefined) throw new InputError(name, 'must be a duration such as 90m, 12h, 7d, or a number of seconds');
    return seconds;
  });
  if (minValiditySeconds !== undefined && warnValiditySeconds !== undefined && warnValiditySeconds <= minValiditySeconds) {
    throw new InputError('warn-validity', 'must be longer than min-validity: it warns before the check fails');
  }
  return { minValiditySeconds, warnValiditySeconds };
}

function parseClientAuth(raw: string, clientSecret: string | undefined): ClientAuth {
  const value = parseChoice(raw, 'client-auth', ['post', 'basic', 'github-oidc'] as const, 'post');
  if (value === 'basic' && clientSecret === undefined) {
    throw new InputError('client-auth', "is 'basic' but client-secret is empty: Basic auth needs the client secret");
  }
  if (value === 'github-oidc' && clientSecret !== undefined) {
    throw new InputError('client-secret', "is set, but client-auth: github-oidc authenticates with the job's OIDC token instead: remove client-secret");
  }
  return value;
}

// Keycloak wants the realm's issuer URL as the assertion's only audience.
function parseOidcAudience(raw: string, clientAuth: ClientAuth, realmIssuer: string): string | undefined {
  const value = raw.trim();
  if (clientAuth !== 'github-oidc') {
    if (value !== '') throw new InputError('oidc-audience', 'is only used with client-auth: github-oidc');
    return undefined;
  }
  if (value === '') return realmIssuer;
  if (/\s/.test(value)) throw new InputError('oidc-audience', 'must be one audience without spaces, e.g. the realm issuer https://sso.example.com/realms/ci');
  return value;
}

function parseToken(raw: string, name: string): string {
  const token = raw.trim();
  if (token === '') {
    throw new InputError(name, 'is empty: pass the stored token, e.g. ${{ secrets.KEYCLOAK_REFRESH_TOKEN }}');
  }
  if (/\s/.test(token)) {
    throw new InputError(name, 'contains whitespace or a line break inside it: a token is a single word');
  }
  return token;
}

function requiredValue(raw: string, name: string): string {
  const value = raw.trim();
  if (value === '') throw new InputError(name, 'is required');
  if (/[\r\n]/.test(value)) throw new InputError(name, 'contains a line break');
  return value;
}

function requiredSingleLine(read: InputReader, name: string): string {
  return requiredValue(read(name), name);
}

function optionalSingleLine(read: InputReader, name: string): string | undefined {
  const value = read(name).trim();
  if (value === '') return undefined;
  if (/[\r\n]/.test(value)) throw new InputError(name, 'contains a line break');
  return value;
}

function parseTimeoutSeconds(raw: string): number {
  const value = raw.trim();
  if (value === '') return DEFAULT_TIMEOUT_SECONDS;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= MIN_TIMEOUT_SECONDS && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new InputError('timeout-seconds', `must be a number of seconds from ${MIN_TIMEOUT_SECONDS} to ${MAX_TIMEOUT_SECONDS}`);
  }
  return seconds;
}

const MAX_RETRIES = 10;
const DEFAULT_RETRIES = 2;

function parseRetries(raw: string): number {
  const value = raw.trim();
  if (value === '') return DEFAULT_RETRIES;
  if (!/^\d+$/.test(value) || Number(value) > MAX_RETRIES) {
    throw new InputError('retries', `must be a whole number from 0 to ${MAX_RETRIES}`);
  }
  return Number(value);
}

// The YAML 1.2 core schema booleans, as core.getBooleanInput accepts them.
const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

function parseBoolean(raw: string, name: string, fallback: boolean): boolean {
  const value = raw.trim();
  if (value === '') return fallback;
  if (TRUE_VALUES.includes(value)) return true;
  if (FALSE_VALUES.includes(value)) return false;
  throw new InputError(name, "must be 'true' or 'false'");
}
