// GitHub's issues, as `gh` reaches them, for the nightly check's issue step under act:
// gh talks to https://api.github.com/graphql only, so this is an HTTPS proxy
// (HTTPS_PROXY) that answers CONNECT to api.github.com itself, with a certificate for
// api.github.com from a CA made for the run (SSL_CERT_FILE for gh), and a GraphQL
// stand-in that knows the few operations `gh issue list --search`, `gh issue create`
// and `gh issue comment` send. Every other CONNECT is refused: nothing leaves the machine.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { makeTestCa } from '../../support/test-ca.js';
import { closeServer, listenOnLoopback } from '../../support/loopback-server.js';

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  comments: string[];
}

export interface FakeGitHubIssues {
  /** HTTPS_PROXY for gh. */
  proxyUrl: string;
  /** SSL_CERT_FILE for gh: the run's CA. */
  caFile: string;
  issues: FakeIssue[];
  /** The Authorization header of each request, and the GraphQL operation's first words. */
  requests: { authorization: string | undefined; operation: string }[];
  close(): Promise<void>;
}

export async function startFakeGitHubIssues(): Promise<FakeGitHubIssues> {
  const ca = makeTestCa(['api.github.com']);
  const issues: FakeIssue[] = [];
  const requests: FakeGitHubIssues['requests'] = [];
  const issueNode = (issue: FakeIssue) => ({
    id: `I_${issue.number}`, number: issue.number, title: issue.title, body: issue.body, state: 'OPEN', url: `https://github.com/acme/pipeline/issues/${issue.number}`,
    createdAt: '2026-12-06T00:00:00Z', updatedAt: '2026-12-06T00:00:00Z', labels: { nodes: [], totalCount: 0 }, author: { login: 'github-actions' },
  });
  const repository = { id: 'R_1', name: 'pipeline', owner: { login: 'acme' }, hasIssuesEnabled: true, viewerPermission: 'WRITE', defaultBranchRef: { name: 'main' }, isPrivate: false };

  const answer = (query: string, variables: Record<string, unknown>): unknown => {
    if (query.includes('createIssue')) {
      const input = variables.input as { title: string; body: string };
      const issue = { number: issues.length + 1, title: input.title, body: input.body, comments: [] };
      issues.push(issue);
      return { createIssue: { issue: issueNode(issue) } };
    }
    if (query.includes('addComment')) {
      const input = variables.input as { subjectId: string; body: string };
      const issue = issues.find((candidate) => `I_${candidate.number}` === input.subjectId);
      issue?.comments.push(input.body);
      return { addComment: { commentEdge: { node: { url: `https://github.com/acme/pipeline/issues/${issue?.number}#issuecomment-1` } } } };
    }
    if (query.includes('search(')) {
      const wanted = /in:title "([^"]*)"/.exec(String(variables.query ?? ''))?.[1];
      const found = issues.filter((issue) => wanted === undefined || issue.title.includes(wanted));
      return { repository, search: { issueCount: found.length, nodes: found.map(issueNode), pageInfo: { hasNextPage: false, endCursor: '' } } };
    }
    if (/issue\w*\(number/.test(query)) {
      const issue = issues.find((candidate) => candidate.number === Number(variables.number));
      const node = issue ? { __typename: 'Issue', ...issueNode(issue) } : null;
      return { repository: { ...repository, issue: node, issueOrPullRequest: node } };
    }
    if (query.includes('repository(')) return { repository };
    return undefined;
  };

  const api = createHttpsServer({ cert: ca.serverCert, key: ca.serverKey }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (req.method !== 'POST' || req.url !== '/graphql') {
        requests.push({ authorization: req.headers.authorization, operation: `${req.method} ${req.url}` });
        return send(404, { message: 'Not Found' });
      }
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { query: string; variables?: Record<string, unknown> };
      requests.push({ authorization: req.headers.authorization, operation: query.trim().split(/[({]/)[0]?.trim() ?? '' });
      const data = answer(query, variables ?? {});
      if (data === undefined) return send(200, { errors: [{ message: `the fake knows no such operation: ${query.slice(0, 80)}` }] });
      send(200, { data });
    });
  });

  const proxy = createServer((_req, res) => res.writeHead(403).end());
  proxy.on('connect', (req: IncomingMessage, socket, head: Buffer) => {
    if (req.url !== 'api.github.com:443') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    api.emit('connection', socket);
  });
  const proxyUrl = await listenOnLoopback(proxy);
  return { proxyUrl, caFile: ca.caCertFile, issues, requests, close: () => closeServer(proxy) };
}
