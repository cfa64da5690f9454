// `npm run demo`: the action end to end on a local Keycloak it starts itself.
// Starts the container (building the image first when missing), logs the demo
// user in for a refresh token, runs the committed bundle with it as GitHub's
// runner would (main and post step), checks the token at userinfo during the job
// and after it (the post step revokes it), prints what the run page would show,
// and stops the container.
import { prepareTestEnvironment } from '../test/integration/support/environment.js';
import { DEFAULT_VERSION, startKeycloak } from '../test/integration/support/keycloak-container.js';
import { maskedValues } from '../test/support/leak-check.js';
import { runAction } from '../test/support/run-action.js';

const SECRET_OUTPUTS = new Set(['access-token', 'refresh-token', 'id-token']);

async function main(): Promise<void> {
  await prepareTestEnvironment({ keycloakVersions: [DEFAULT_VERSION], ceph: false });
  console.log(`Starting Keycloak ${DEFAULT_VERSION} with the realm 'test' ...`);
  const keycloak = await startKeycloak();
  try {
    console.log(`Keycloak is ready at ${keycloak.baseUrl} (${(keycloak.startupMs / 1000).toFixed(1)} s).`);
    const login = { realm: 'test', clientId: 'ceph-s3', username: 'demo', password: 'demo-password', scope: 'openid offline_access' };
    const tokens = await keycloak.api.login(login);
    console.log(`Logged in as '${login.username}' with scope '${login.scope}': got an offline refresh token.\n`);

    const inputs = {
      'keycloak-url': keycloak.baseUrl,
      realm: login.realm,
      'client-id': login.clientId,
      'refresh-token': tokens.refresh_token,
      'token-file': 'true',
    };
    // A later step of the job uses the token; after the job the post step has revoked it.
    let during: { status: number; username?: string } = { status: 0 };
    const run = await runAction(inputs, {
      betweenSteps: async (main) => {
        during = await keycloak.api.userinfoStatus(login.realm, main.outputs['access-token'] ?? '');
      },
    });
    const after = await keycloak.api.userinfoStatus(login.realm, run.outputs['access-token'] ?? '');

    const masks = maskedValues(run);
    const hide = (text: string) => masks.reduce((shown, secret) => shown.split(secret).join('***'), text);
    console.log('--- step log, as the runner shows it (masked) ---');
    for (const line of `${run.stdout}${run.stderr}`.trimEnd().split('\n')) {
      // Without step debug logging the runner hides ::debug:: lines too.
      if (!line.startsWith('::debug::')) console.log(line.startsWith('::add-mask::') ? '::add-mask::***' : hide(line));
    }
    console.log(`--- exit code ${run.exitCode} ---\n`);

    console.log('--- step outputs ---');
    for (const [name, value] of Object.entries(run.outputs)) {
      console.log(`${name}: ${SECRET_OUTPUTS.has(name) && value !== '' ? `*** (${value.length} characters, masked)` : value}`);
    }
    console.log(`\nKeycloak's userinfo endpoint with the new access token, during the job: HTTP ${during.status}, user '${during.username}'.\n`);

    console.log('--- job summary ---');
    console.log(hide(run.summary.replace(/<\/tr>/g, '\n').replace(/<[^>]+>/g, ' ').replace(/[ \t]+/g, ' ').trim()));

    const { post } = run;
    console.log(`\n--- post step (exit code ${post.exitCode}) ---\n${hide(post.stdout).trim()}`);
    console.log(`\nThe same access token after the job (revoke-on-post): HTTP ${after.status}.`);
    if (run.exitCode !== 0 || post.exitCode !== 0 || during.status !== 200 || after.status !== 401) process.exitCode = 1;
  } finally {
    await keycloak.stop();
    console.log('\nKeycloak stopped.');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
