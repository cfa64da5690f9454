// See ../README.md: @actions/http-client imports undici only for its fetch-style
// proxy dispatcher, which this action never asks for.
export class ProxyAgent {
  constructor() {
    throw new Error('undici is not bundled with this action (see bundle-stubs/README.md)');
  }
}
