// A stand-in for `aws --debug s3 ls` in a later step, as far as logs go. Like
// botocore it takes environment credentials (AWS_ACCESS_KEY_ID ...) first, else
// runs the profile's credential_process without a shell, with stdout and stderr
// piped: the process's stderr (where keycloak-token writes its add-mask) stays
// inside botocore and never reaches the runner. Then it logs on stderr, as
// botocore's debug log does, the signed request with its headers: the access key
// id in Authorization and the session token in X-Amz-Security-Token, in clear.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';

const log = (name, message) => process.stderr.write(`2026-12-06 06:00:00,000 - MainThread - ${name} - DEBUG - ${message}\n`);

function profileCredentials() {
  const profile = process.env.AWS_PROFILE ?? 'default';
  const header = profile === 'default' ? '[default]' : `[profile ${profile}]`;
  const config = readFileSync(process.env.AWS_CONFIG_FILE ?? '', 'utf8');
  const section = config.split(/\n(?=\[)/).find((block) => block.trim().split('\n')[0] === header);
  const line = section?.split('\n').find((l) => l.startsWith('credential_process'));
  if (line === undefined) throw new Error(`The config profile (${profile}) could not be found`);
  // botocore's compat_shell_split: POSIX shell words, no shell.
  const words = [...line.slice(line.indexOf('=') + 1).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
  log('botocore.credentials', `Retrieving credentials via: custom-process (profile ${profile})`);
  const out = execFileSync(words[0], words.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out);
}

const env = process.env.AWS_ACCESS_KEY_ID;
const credentials = env ? { AccessKeyId: env, SessionToken: process.env.AWS_SESSION_TOKEN ?? '' } : profileCredentials();
if (env) log('botocore.credentials', 'Found credentials in environment variables.');
log(
  'botocore.endpoint',
  `Sending http request: <AWSPreparedRequest stream_output=False, method=GET, url=https://s3.example.test/, headers={'X-Amz-Date': b'20261206T060000Z', 'X-Amz-Security-Token': b'${credentials.SessionToken}', 'Authorization': b'AWS4-HMAC-SHA256 Credential=${credentials.AccessKeyId}/20261206/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=0f0e'}>`,
);
process.stdout.write(`${credentials.AccessKeyId === env ? 'environment' : process.env.AWS_PROFILE}\n`);
