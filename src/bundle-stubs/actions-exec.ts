// Bundle-time stand-in for @actions/exec, wired in by "paths" in tsconfig.json.
// @actions/core's own core.js (loaded only for getIDToken, see actions-core.ts)
// imports it only for core.platform (OS details by running programs), which
// this action never calls; bundling it would pull in child_process.
const notBundled = (): Promise<never> =>
  Promise.reject(new Error('@actions/exec is not bundled with this action (see src/bundle-stubs/actions-exec.ts)'));

export const exec = notBundled;
export const getExecOutput = notBundled;
