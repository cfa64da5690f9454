// See ../README.md: @actions/core imports @actions/exec only for core.platform,
// which this action never calls.
const notBundled = () => Promise.reject(new Error('@actions/exec is not bundled with this action (see bundle-stubs/README.md)'));

export const exec = notBundled;
export const getExecOutput = notBundled;
