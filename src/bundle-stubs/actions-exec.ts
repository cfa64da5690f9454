// Bundle-time stand-in for @actions/exec, wired in by "paths" in tsconfig.json.
// @actions/core imports it only for core.platform (OS details by running
// programs), which this action never calls; loading it pulls in child_process.
const notBundled = (): Promise<never> =>
  Promise.reject(new Error('@actions/exec is not bundled with this action (see src/bundle-stubs/actions-exec.ts)'));

export const exec = notBundled;
export const getExecOutput = notBundled;
