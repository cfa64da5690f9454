// Bundle-time stand-in for undici, wired in by "paths" in tsconfig.json.
// @actions/http-client imports undici only for ProxyAgent, which serves its
// fetch-style getAgentDispatcher(); this action sends through HttpClient.request,
// whose proxy support is the `tunnel` package. Loading all of undici cost
// ~450 kB of bundle and ~40 ms of start-up for code that never runs here.
export class ProxyAgent {
  constructor() {
    throw new Error('undici is not bundled with this action (see src/bundle-stubs/undici.ts)');
  }
}
