// Bundle-time stand-in for @actions/http-client, wired in by "paths" in
// tsconfig.json (tests use the real package). It is the real client, loaded on
// the first request: the package imports http, https, tls, net and tunnel when
// it is loaded, which would cost every run, the post step and a bad input
// included, a good part of a bare Node's start-up. The real module goes into a
// chunk of its own (as libsodium does), loaded by import().
import type * as Real from '../../node_modules/@actions/http-client/lib/index.js';
import type { TypedResponse } from '../../node_modules/@actions/http-client/lib/interfaces.js';

type Options = ConstructorParameters<typeof Real.HttpClient>;

export class HttpClient {
  private readonly options: Options;
  private real: Promise<Real.HttpClient> | undefined;

  constructor(...options: Options) {
    this.options = options;
  }

  // transport.ts sends with request(); @actions/core's OIDC client (getIDToken) reads with getJson().
  async request(...args: Parameters<Real.HttpClient['request']>): ReturnType<Real.HttpClient['request']> {
    return (await this.client()).request(...args);
  }

  async getJson<T>(...args: Parameters<Real.HttpClient['getJson']>): Promise<TypedResponse<T>> {
    return (await this.client()).getJson<T>(...args);
  }

  private client(): Promise<Real.HttpClient> {
    this.real ??= import('../../node_modules/@actions/http-client/lib/index.js').then(({ HttpClient: RealClient }) => new RealClient(...this.options));
    return this.real;
  }
}
