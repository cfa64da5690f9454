// The calls tests make to a real Keycloak to set up scenarios: logging a user in
// for a starting refresh token, admin actions that kill sessions or users, and
// userinfo to prove an access token is real. Plain fetch; nothing here is the
// action's code.
/** The suite's Keycloak admin (also baked into the image by scripts/keycloak/Dockerfile). */
export const ADMIN = { username: 'admin', password: 'admin-password' };

/**
 * The password policy of every test realm (the files in ../realms/ too): one round of
 * PBKDF2 instead of Argon2. A password login then costs Keycloak ~36 ms instead of
 * ~150 ms (measured), and the suite logs in a few hundred times.
 */
export const TEST_PASSWORD_POLICY = 'hashAlgorithm(pbkdf2-sha256) and hashIterations(1)';

/** A user of a realm created through the admin API, as in the realm files: password `{name}-password-1`, offline tokens allowed. */
export function userRepresentation(name: string): Record<string, unknown> {
  return {
    username: name,
    enabled: true,
    email: `${name}@example.test`,
    emailVerified: true,
    firstName: name.charAt(0).toUpperCase() + name.slice(1),
    lastName: 'Test',
    credentials: [{ type: 'password', value: `${name}-password-1`, temporary: false }],
    realmRoles: ['offline_access'],
  };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token?: string;
  refresh_expires_in: number;
  scope: string;
  session_state?: string;
}

export interface Login {
  realm: string;
  clientId: string;
  username: string;
  password: string;
  clientSecret?: string;
  /** A client assertion (RFC 7523) instead of client_id and secret: federated client authentication. */
  clientAssertion?: string;
  scope?: string;
}

export class KeycloakApi {
  private adminToken: { value: string; fetchedAt: number } | undefined;

  constructor(
    /** Base URL including any relative path, e.g. http://localhost:32768 or .../auth. */
    readonly baseUrl: string,
    private readonly admin = ADMIN,
  ) {}

  tokenUrl(realm: string): string {
    return `${this.baseUrl}/realms/${realm}/protocol/openid-connect/token`;
  }

  /** The password grant: how tests get a refresh token from the real server, never from fixtures. */
  async login(login: Login): Promise<Tokens> {
    const form = new URLSearchParams({
      grant_type: 'password',
      client_id: login.clientId,
      username: login.username,
      password: login.password,
      scope: login.scope ?? 'openid',
    });
    if (login.clientSecret) form.set('client_secret', login.clientSecret);
    if (login.clientAssertion) {
      form.delete('client_id');
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', login.clientAssertion);
    }
    const response = await fetch(this.tokenUrl(login.realm), { method: 'POST', body: form });
    if (!response.ok) throw new Error(`login to ${login.realm} as ${login.username} failed: HTTP ${response.status}`);
    return (await response.json()) as Tokens;
  }

  /** Status of the userinfo call with this access token: 200 proves Keycloak accepts it. */
  async userinfoStatus(realm: string, accessToken: string): Promise<{ status: number; username?: string }> {
    const response = await fetch(`${this.baseUrl}/realms/${realm}/protocol/openid-connect/userinfo`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    const body = response.ok ? ((await response.json()) as { preferred_username?: string }) : {};
    return { status: response.status, username: body.preferred_username };
  }

  async userId(realm: string, username: string): Promise<string> {
    const users = (await this.adminGet(`/admin/realms/${realm}/users?exact=true&username=${username}`)) as { id: string }[];
    const id = users[0]?.id;
    if (!id) throw new Error(`no user ${username} in ${realm}`);
    return id;
  }

  async clientUuid(realm: string, clientId: string): Promise<string> {
    const clients = (await this.adminGet(`/admin/realms/${realm}/clients?clientId=${clientId}`)) as { id: string }[];
    const id = clients[0]?.id;
    if (!id) throw new Error(`no client ${clientId} in ${realm}`);
    return id;
  }

  /** Creates a realm from its representation (clients, users, identity providers included). */
  async createRealm(representation: Record<string, unknown>): Promise<void> {
    await this.adminSend('POST', '/admin/realms', representation);
  }

  async deleteRealm(realm: string): Promise<void> {
    await this.adminSend('DELETE', `/admin/realms/${realm}`);
  }

  /** Admin "sign out" of every session of the user. */
  async logoutUser(realm: string, username: string): Promise<void> {
    await this.adminSend('POST', `/admin/realms/${realm}/users/${await this.userId(realm, username)}/logout`);
  }

  async setUserEnabled(realm: string, username: string, enabled: boolean): Promise<void> {
    await this.adminSend('PUT', `/admin/realms/${realm}/users/${await this.userId(realm, username)}`, { enabled });
  }

  /** Sets the client's not-before to the next second: every token issued before is revoked. */
  async pushClientNotBefore(realm: string, clientId: string): Promise<void> {
    const uuid = await this.clientUuid(realm, clientId);
    const client = (await this.adminGet(`/admin/realms/${realm}/clients/${uuid}`)) as Record<string, unknown>;
    await this.adminSend('PUT', `/admin/realms/${realm}/clients/${uuid}`, {
      ...client,
      notBefore: Math.floor(Date.now() / 1000) + 1,
    });
  }

  private async adminGet(path: string): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: await this.adminHeaders() });
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
    return response.json();
  }

  private async adminSend(method: string, path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(await this.adminHeaders()), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  }

  private async adminHeaders(): Promise<Record<string, string>> {
    // master's access tokens live 60 s; take a new one well before that.
    if (this.adminToken === undefined || Date.now() - this.adminToken.fetchedAt > 30_000) {
      const tokens = await this.login({
        realm: 'master',
        clientId: 'admin-cli',
        username: this.admin.username,
        password: this.admin.password,
      });
      this.adminToken = { value: tokens.access_token, fetchedAt: Date.now() };
    }
    return { Authorization: `Bearer ${this.adminToken.value}` };
  }
}
